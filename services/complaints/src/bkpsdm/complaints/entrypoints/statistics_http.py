"""The complaints service's public figures over HTTP, no sign-in: the satisfaction index (IKM)
of a year and the complaints received per month and status. Counts and scores only: no
complaint, reporter or answer is ever part of them."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bkpsdm.common.http import error_responses
from bkpsdm.complaints import service, survey
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.ikm import IkmResult
from bkpsdm.complaints.domain.statistics import FIRST_YEAR
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork
from bkpsdm.complaints.survey import SurveyContext


class ElementView(BaseModel):
    code: str
    label: str
    score: float = Field(description="Nilai unsur (rata-rata x 25)")
    grade: str


class OverallIkmView(BaseModel):
    respondents: int
    ikm: float
    grade: str = Field(description="Mutu pelayanan: A, B, C atau D")
    grade_label: str = Field(description="Kinerja unit pelayanan, mis. 'Baik'")
    elements: list[ElementView]


class ServiceIkmView(BaseModel):
    service_code: str
    service_name: str
    respondents: int
    ikm: float
    grade: str
    grade_label: str


class SemesterIkmView(BaseModel):
    period: str = Field(description="Semester, mis. 2026-S1 (Januari-Juni)")
    overall: OverallIkmView
    services: list[ServiceIkmView]


class IkmSummaryView(BaseModel):
    year: int
    rule_set_version: str
    periods: list[SemesterIkmView] = Field(description="Semester yang sudah ada jawabannya")
    generated_at: datetime


class MonthCount(BaseModel):
    month: int
    received: int


class StatusCount(BaseModel):
    status: str
    status_label: str
    count: int


class ComplaintStatisticsView(BaseModel):
    year: int
    received: int
    by_month: list[MonthCount]
    by_status: list[StatusCount] = Field(description="Menurut status pengaduan saat ini")
    generated_at: datetime


def _overall(r: IkmResult) -> OverallIkmView:
    return OverallIkmView(
        respondents=r.respondents,
        ikm=float(r.ikm),
        grade=r.grade,
        grade_label=r.grade_label,
        elements=[
            ElementView(code=e.code, label=e.label, score=float(e.score), grade=e.grade) for e in r.elements
        ],
    )


def build_statistics_router(
    unit_of_work: Callable[[], ComplaintsUnitOfWork], ctx: ComplaintsContext, survey_ctx: SurveyContext
) -> APIRouter:
    router = APIRouter(tags=["statistik (publik)"])

    def now() -> datetime:
        return ctx.clock.now().astimezone(ctx.calendar.zone)

    # The years in the schema, so a fuzzer's schema-valid year is one the service answers.
    last_year = now().year + 1
    Year = Annotated[  # a type alias, built here because its bound is this year's
        int, Query(ge=FIRST_YEAR, le=last_year, description=f"Tahun, {FIRST_YEAR} sampai {last_year}")
    ]

    @router.get(
        "/api/v1/ikm/summary",
        response_model=IkmSummaryView,
        responses=error_responses(errors.STATISTICS_PERIOD_INVALID),
    )
    async def ikm_summary(year: Year) -> IkmSummaryView:
        """Indeks Kepuasan Masyarakat per semester: seluruh layanan dan per layanan."""
        semesters = await survey.ikm_of_year(unit_of_work(), ctx, survey_ctx, year)
        return IkmSummaryView(
            year=year,
            rule_set_version=survey_ctx.rules.version,
            periods=[
                SemesterIkmView(
                    period=s.period,
                    overall=_overall(s.overall),
                    services=[
                        ServiceIkmView(
                            service_code=r.service_code,
                            service_name=survey_ctx.services.get(r.service_code, r.service_code),
                            respondents=r.respondents,
                            ikm=float(r.ikm),
                            grade=r.grade,
                            grade_label=r.grade_label,
                        )
                        for r in s.services
                    ],
                )
                for s in semesters
            ],
            generated_at=now(),
        )

    @router.get(
        "/api/v1/public/complaint-statistics",
        response_model=ComplaintStatisticsView,
        responses=error_responses(errors.STATISTICS_PERIOD_INVALID),
    )
    async def complaint_statistics(year: Year) -> ComplaintStatisticsView:
        """Jumlah pengaduan yang diterima pada tahun itu, per bulan dan per status (hanya angka)."""
        found = await service.complaint_volumes(unit_of_work(), ctx, year)
        return ComplaintStatisticsView(
            year=year,
            received=found.received,
            by_month=[MonthCount(month=m, received=n) for m, n in enumerate(found.by_month, start=1)],
            by_status=[
                StatusCount(status=s.value, status_label=s.label, count=n) for s, n in found.by_status
            ],
            generated_at=now(),
        )

    return router
