"""The public service statistics over HTTP: no sign-in, counts only, as the agency publishes
them on its portal informasi."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bkpsdm.common.http import error_responses
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.statistics import FIRST_YEAR, Figures
from bkpsdm.routing.ports import RoutingContext
from bkpsdm.routing.statistics import StatisticsUnitOfWork, service_statistics


class FiguresView(BaseModel):
    received: int = Field(description="Berkas yang masuk (dibuka) pada periode")
    completed: int = Field(description="Dari berkas itu, yang sudah selesai")
    in_progress: int = Field(description="Yang masih berjalan, termasuk menunggu perbaikan pemohon")
    returned_at_least_once: int = Field(description="Yang pernah dikembalikan kepada pemohon")
    completed_with_sla: int = Field(description="Selesai, pada layanan yang punya target waktu")
    completed_within_sla: int = Field(description="Selesai dalam target waktu layanan")
    sla_compliance_percent: float | None = Field(
        description="Selesai dalam target / selesai dengan target x 100; kosong bila belum ada"
    )
    median_completion_service_hours: float | None = Field(
        description="Median lama penyelesaian dalam jam layanan (jam kerja kantor)"
    )


class ServiceFiguresView(FiguresView):
    service_code: str
    service_name: str | None
    sla_target: str | None = Field(description="Target waktu menurut standar pelayanan, mis. '1 Hari'")


class StatisticsView(BaseModel):
    year: int
    month: int | None
    period_start: datetime
    period_end: datetime = Field(description="Akhir periode (tidak termasuk)")
    services: list[ServiceFiguresView]
    totals: FiguresView
    calendar_version: str
    generated_at: datetime


def _figures(f: Figures) -> FiguresView:
    return FiguresView(
        **vars(f.counts),
        sla_compliance_percent=f.sla_compliance_percent,
        median_completion_service_hours=f.median_completion_service_hours,
    )


def build_statistics_router(
    unit_of_work: Callable[[], StatisticsUnitOfWork], ctx: RoutingContext
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["statistik (publik)"])
    # The years in the schema, so a fuzzer's schema-valid year is one the service answers.
    last_year = ctx.clock().astimezone(ctx.sla.calendar.zone).year + 1

    @router.get(
        "/statistics",
        response_model=StatisticsView,
        responses=error_responses(errors.STATISTICS_PERIOD_INVALID),
    )
    async def statistics(
        year: Annotated[
            int, Query(ge=FIRST_YEAR, le=last_year, description=f"Tahun, {FIRST_YEAR} sampai {last_year}")
        ],
        month: Annotated[
            int | None, Query(ge=1, le=12, description="Bulan 1-12; tanpa bulan: setahun penuh")
        ] = None,
    ) -> StatisticsView:
        """Per layanan: berkas masuk, selesai, berjalan, pernah dikembalikan, dan kepatuhan SLA."""
        found = await service_statistics(unit_of_work(), ctx, year, month)
        zone = ctx.sla.calendar.zone
        return StatisticsView(
            year=found.period.year,
            month=found.period.month,
            period_start=found.period.start,
            period_end=found.period.end,
            services=[
                ServiceFiguresView(
                    service_code=s.service_code,
                    service_name=s.service_name,
                    sla_target=s.sla_target,
                    **_figures(s.figures).model_dump(),
                )
                for s in found.services
            ],
            totals=_figures(found.totals),
            calendar_version=found.calendar_version,
            generated_at=found.generated_at.astimezone(zone),
        )

    return router
