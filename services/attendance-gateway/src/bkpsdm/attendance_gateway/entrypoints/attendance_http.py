"""Daily attendance records and the unit's monthly recap (XLSX) over HTTP."""

# No `from __future__ import annotations`: FastAPI reads the routes' local `Reader` alias at runtime.

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from bkpsdm.attendance_gateway import attendance
from bkpsdm.attendance_gateway.adapters.recap_xlsx import render_recap
from bkpsdm.attendance_gateway.domain import errors
from bkpsdm.attendance_gateway.domain.daily import DailyAttendance
from bkpsdm.attendance_gateway.domain.rules import AttendanceRules
from bkpsdm.attendance_gateway.domain.work_calendar import WorkCalendar
from bkpsdm.attendance_gateway.service import UnitOfWorkFactory
from bkpsdm.common.auth import FORBIDDEN_ROLE, TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_MISSING, Principal
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import error_responses

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_AUTH = (TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID, FORBIDDEN_ROLE)
MAX_DAYS = 366


def build_attendance_router(
    unit_of_work: UnitOfWorkFactory,
    reader: Callable[..., Principal],
    rules: AttendanceRules,
    calendar: WorkCalendar,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/attendance", tags=["kehadiran"])
    Reader = Annotated[Principal, Depends(reader)]

    @router.get(
        "/daily",
        response_model=list[DailyAttendance],
        responses=error_responses(errors.DATE_RANGE_INVALID, *_AUTH),
    )
    async def daily(
        _principal: Reader,
        nip: Annotated[str, Query(pattern=r"^[0-9]{18}$", description="NIP pegawai")],
        first_day: Annotated[date, Query(description="Tanggal awal")],
        last_day: Annotated[date, Query(description="Tanggal akhir")],
    ) -> list[DailyAttendance]:
        if not 0 <= (last_day - first_day).days < MAX_DAYS:
            raise DomainError(errors.DATE_RANGE_INVALID)
        now = datetime.now(UTC)
        return await attendance.daily_records(unit_of_work(), nip, first_day, last_day, rules, now, calendar)

    @router.get(
        "/recap.xlsx",
        response_class=Response,
        responses={
            200: {"content": {XLSX: {}}, "description": "Rekap bulanan unit kerja (XLSX)"},
            **error_responses(*_AUTH),
        },
    )
    async def recap(
        _principal: Reader,
        unit: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")],
        year: Annotated[int, Query(ge=2000, le=2100)],
        month: Annotated[int, Query(ge=1, le=12)],
    ) -> Response:
        now = datetime.now(UTC)
        result = await attendance.unit_recap(unit_of_work(), unit, year, month, rules, now, calendar)
        return Response(
            render_recap(result),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="rekap-{year}-{month:02d}.xlsx"'},
        )

    return router
