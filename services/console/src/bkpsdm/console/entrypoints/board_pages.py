"""The technicians' terminal health board, read from the attendance gateway."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bkpsdm.console.adapters.services import AttendanceGatewayApi
from bkpsdm.console.domain.navigation import PAGES, Page
from bkpsdm.console.domain.terminals import board_rows
from bkpsdm.console.entrypoints.web import Web

TERMINALS_PAGE: Page = next(p for p in PAGES if p.path == "/mesin-absensi")


def build_router(web: Web, gateway: AttendanceGatewayApi) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/mesin-absensi")
    async def health_board(request: Request) -> Response:
        viewer = await web.require(request, TERMINALS_PAGE)
        rows = board_rows(await gateway.health_board(viewer.token()))
        return web.render(
            request,
            "mesin_absensi.html",
            viewer,
            {"title": "Mesin Absensi", "rows": rows, "problems": sum(1 for r in rows if r.attention)},
        )

    return router
