"""JSON control endpoint: inspect the terminals, switch faults and record punches while the fleet runs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field, ValidationError

from bkpsdm.simulators.zk_terminal.faults import Faults
from bkpsdm.simulators.zk_terminal.server import Fleet, TerminalServer


class PunchRequest(BaseModel):
    user_id: str = Field(min_length=1)
    status: int = Field(default=1, ge=0, le=255)
    punch: int = Field(default=0, ge=0, le=255)


def describe(server: TerminalServer) -> dict[str, Any]:
    t = server.terminal
    return {
        "port": server.port,
        "serial": t.config.serial,
        "device_name": t.config.device_name,
        "time_zone": t.config.time_zone,
        "comm_key_set": t.config.comm_key != 0,
        "user_layout": int(t.config.user_layout),
        "record_layout": int(t.config.record_layout),
        "users": len(t.users),
        "records": len(t.punches),
        "open_sessions": t.open_sessions,
        "capturing_sessions": t.capturing_sessions,
        "clock": t.now().isoformat(),
        "faults": t.faults.model_dump(),
    }


def create_control_app(fleet: Fleet) -> FastAPI:
    app = FastAPI(title="ZK terminal simulator control")

    def find(port: int) -> TerminalServer:
        server = fleet.by_port(port)
        if server is None:
            raise HTTPException(
                404,
                detail={
                    "code": "TERMINAL_NOT_FOUND",
                    "message": f"Terminal pada port {port} tidak ditemukan",
                },
            )
        return server

    @app.get("/terminals")
    async def list_terminals() -> list[dict[str, Any]]:
        return [describe(s) for s in fleet.servers]

    @app.get("/terminals/{port}")
    async def get_terminal(port: int) -> dict[str, Any]:
        return describe(find(port))

    @app.patch("/terminals/{port}/faults")
    async def set_faults(port: int, changes: dict[str, Any]) -> Faults:
        server = find(port)
        try:
            return await server.set_faults(**changes)
        except ValidationError as e:
            raise HTTPException(
                422,
                detail={
                    "code": "FAULT_INVALID",
                    "message": "Sakelar gangguan tidak dikenal atau nilainya tidak valid",
                    "errors": e.errors(include_url=False, include_context=False),
                },
            ) from e

    @app.delete("/terminals/{port}/faults")
    async def clear_faults(port: int) -> Faults:
        return await find(port).set_faults(**Faults().model_dump())

    @app.post("/terminals/{port}/punches", status_code=201)
    async def record_punch(port: int, body: PunchRequest) -> dict[str, Any]:
        p = find(port).terminal.record_punch(body.user_id, body.status, body.punch)
        return {
            "user_id": p.user_id,
            "timestamp": p.timestamp.isoformat(),
            "status": p.status,
            "punch": p.punch,
        }

    return app
