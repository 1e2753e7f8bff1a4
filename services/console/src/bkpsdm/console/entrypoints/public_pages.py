"""Pages anyone may open: the service catalogue and the public dashboard the portal publishes."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from bkpsdm.console.adapters.services import IntakeApi, ServiceRefused
from bkpsdm.console.domain.navigation import APPLICANTS
from bkpsdm.console.entrypoints.dashboard import Dashboard
from bkpsdm.console.entrypoints.web import STATIC, Web


def build_router(web: Web, intake: IntakeApi, dashboard: Dashboard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/katalog")
    async def catalogue(request: Request) -> Response:
        viewer = await web.viewer(request)
        services = sorted(await intake.catalogue(), key=lambda s: s["name"])
        return web.render(
            request,
            "katalog.html",
            viewer,
            {
                "title": "Katalog Layanan",
                "services": services,
                "can_submit": viewer is not None and viewer.has_any(APPLICANTS),
            },
        )

    @router.get("/katalog/{service_code}")
    async def standard(request: Request, service_code: str) -> Response:
        viewer = await web.viewer(request)
        found = await intake.standard(service_code)
        return web.render(
            request,
            "layanan.html",
            viewer,
            {
                "title": found["name"],
                "s": found,
                "can_submit": viewer is not None and viewer.has_any(APPLICANTS),
            },
        )

    @router.get("/favicon.ico")
    async def favicon() -> Response:
        # Browsers ask for it whatever the page's <link rel=icon> says.
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    @router.get("/dasbor")
    async def public_dashboard(request: Request, tahun: str = "") -> Response:
        viewer = await web.viewer(request)
        this_year = web.clock().astimezone(web.zone).year
        # The services publish 2000 .. next year; anything else is this year, not an error page.
        year = int(tahun) if tahun.isdigit() and 2000 <= int(tahun) <= this_year + 1 else this_year

        async def catalogue() -> list[dict[str, Any]]:
            try:
                return sorted(await intake.catalogue(), key=lambda s: s["name"])
            except ServiceRefused:
                return []

        services, figures = await asyncio.gather(catalogue(), dashboard.figures(year))
        return web.render(
            request,
            "dasbor.html",
            viewer,
            {
                "title": "Dasbor Publik",
                "services": services,
                "years": list(range(this_year, this_year - 5, -1)),
                **figures,
            },
        )

    return router
