"""JSON control endpoint: inspect the terminals, switch faults and record punches while the fleet runs."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bkpsdm.simulators._http import (
    BODY_UNREADABLE,
    JsonInt,
    ValidationErrors,
    install_allow_header,
    response,
)
from bkpsdm.simulators.zk_terminal.faults import Faults
from bkpsdm.simulators.zk_terminal.server import Fleet, TerminalServer


class PunchRequest(BaseModel):
    model_config = ConfigDict(strict=True)  # JSON as sent: false is not the punch 0

    user_id: str = Field(min_length=1)
    status: JsonInt = Field(default=1, ge=0, le=255)
    punch: JsonInt = Field(default=0, ge=0, le=255)


class PunchOut(BaseModel):
    user_id: str
    timestamp: str
    status: int
    punch: int


class TerminalOut(BaseModel):
    port: int
    serial: str
    device_name: str
    time_zone: str
    comm_key_set: bool
    user_layout: int
    record_layout: int
    users: int
    records: int
    open_sessions: int
    capturing_sessions: int
    clock: str
    faults: Faults


class Problem(BaseModel):
    code: Literal["TERMINAL_NOT_FOUND", "FAULT_INVALID"]
    message: str
    errors: list[dict[str, Any]] | None = None


class ProblemOut(BaseModel):
    detail: Problem


def _faults_patch_schema() -> dict[str, Any]:
    # every switch optional; an unknown one is refused (Faults forbids extras)
    schema = Faults.model_json_schema()
    schema.pop("required", None)
    schema["title"] = "FaultsPatch"
    return schema


_NOT_FOUND = response(ProblemOut, "Tidak ada terminal pada port itu (TERMINAL_NOT_FOUND)")
_PORT_INVALID = response(ValidationErrors, "Port bukan bilangan bulat")


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


def _fault_invalid(errors: list[Any]) -> HTTPException:
    return HTTPException(
        422,
        detail={
            "code": "FAULT_INVALID",
            "message": "Sakelar gangguan tidak dikenal atau nilainya tidak valid",
            "errors": errors,
        },
    )


def _integral_float(name: str, value: Any) -> bool:
    # JSON Schema's integer includes 3.0; the strict check below would refuse it for an int switch
    field = Faults.model_fields.get(name)
    return (
        field is not None
        and field.annotation in (int, int | None)
        and isinstance(value, float)
        and value.is_integer()
    )


async def _changes(request: Request, current: Faults) -> dict[str, Any]:
    """The body's switches, validated strictly (0 is not false) against the terminal's faults."""
    try:
        changes = json.loads(await request.body())
    except ValueError:
        changes = None
    if not isinstance(changes, dict):
        raise _fault_invalid([{"type": "dict_type", "loc": ["body"], "msg": "Isi harus objek JSON"}])
    changes = {k: int(v) if _integral_float(k, v) else v for k, v in changes.items()}
    try:
        Faults.model_validate({**current.model_dump(), **changes}, strict=True)
    except ValidationError as e:
        raise _fault_invalid(e.errors(include_url=False, include_context=False)) from e
    return changes


def create_control_app(fleet: Fleet) -> FastAPI:
    app = FastAPI(title="ZK terminal simulator control")
    install_allow_header(app)

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

    @app.get("/terminals", responses={200: response(list[TerminalOut], "Semua terminal armada")})
    async def list_terminals() -> list[dict[str, Any]]:
        return [describe(s) for s in fleet.servers]

    @app.get(
        "/terminals/{port}",
        responses={200: response(TerminalOut, "Satu terminal"), 404: _NOT_FOUND, 422: _PORT_INVALID},
    )
    async def get_terminal(port: int) -> dict[str, Any]:
        return describe(find(port))

    # The body is read here rather than declared, so an invalid switch answers FAULT_INVALID.
    @app.patch(
        "/terminals/{port}/faults",
        responses={
            200: response(Faults, "Sakelar gangguan yang berlaku sekarang"),
            404: _NOT_FOUND,
            422: response(ProblemOut | ValidationErrors, "Sakelar tidak dikenal atau nilainya tidak valid"),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _faults_patch_schema()}},
            }
        },
    )
    async def set_faults(port: int, request: Request) -> Faults:
        server = find(port)
        changes = await _changes(request, server.terminal.faults)
        return await server.set_faults(**changes)

    @app.delete(
        "/terminals/{port}/faults",
        responses={200: response(Faults, "Semua sakelar kembali mati"), 404: _NOT_FOUND, 422: _PORT_INVALID},
    )
    async def clear_faults(port: int) -> Faults:
        return await find(port).set_faults(**Faults().model_dump())

    @app.post(
        "/terminals/{port}/punches",
        status_code=201,
        responses={
            201: response(PunchOut, "Absen tercatat dan dikirim ke sesi tangkap langsung"),
            **BODY_UNREADABLE,
            404: _NOT_FOUND,
        },
    )
    async def record_punch(port: int, body: PunchRequest) -> dict[str, Any]:
        p = find(port).terminal.record_punch(body.user_id, body.status, body.punch)
        return {
            "user_id": p.user_id,
            "timestamp": p.timestamp.isoformat(),
            "status": p.status,
            "punch": p.punch,
        }

    return app
