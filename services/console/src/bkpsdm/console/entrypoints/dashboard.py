"""The public dashboard's figures, from the services' public statistics (no sign-in): volumes and
SLA compliance from routing, IKM from complaints, fetched side by side. A service that cannot
be reached or answers in another shape is said to have no data yet; nothing is invented."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bkpsdm.common.logs import get_logger
from bkpsdm.console.adapters.services import ComplaintsApi, RoutingApi, ServiceRefused
from bkpsdm.console.domain.dashboard import FiguresUnreadable, ikm_periods, volumes

log = get_logger(__name__)
T = TypeVar("T")
NOT_YET = "Data belum tersedia: {what} sedang tidak dapat dihubungi. Coba lagi nanti."


async def _read(source: Awaitable[Any], shape: Callable[[Any], T], service: str) -> T | None:
    try:
        return shape(await source)
    except ServiceRefused as refused:
        log.info("dashboard.unavailable", service=service, code=refused.refusal.code)
    except FiguresUnreadable as exc:
        log.warning("dashboard.unreadable", service=service, error=str(exc))
    return None


class Dashboard:
    def __init__(self, routing: RoutingApi, complaints: ComplaintsApi) -> None:
        self._routing = routing
        self._complaints = complaints

    async def figures(self, year: int) -> dict[str, Any]:
        found_volumes, found_ikm = await asyncio.gather(
            _read(self._routing.statistics(year), volumes, "routing"),
            _read(self._complaints.ikm_summary(year), ikm_periods, "complaints"),
        )
        if found_ikm is None:
            ikm_note = NOT_YET.format(what="layanan survei kepuasan")
        elif not found_ikm:
            ikm_note = f"Belum ada jawaban survei kepuasan pada tahun {year}."
        else:
            ikm_note = ""
        return {
            "year": year,
            "volumes": found_volumes,
            "volumes_note": NOT_YET.format(what="layanan alur kerja") if found_volumes is None else "",
            "ikm": found_ikm or [],
            "ikm_note": ikm_note,
        }
