"""Daily attendance use cases: punches from the topic become each employee's daily record; a
unit's monthly recap is computed from the same punches (DOMAIN.md "Attendance"). Holidays, cuti
bersama and closures come from the service calendar (`WorkCalendar`)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from bkpsdm.attendance_gateway.adapters.repository import PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.domain.daily import DailyAttendance, attendance_for_period, daily_attendance
from bkpsdm.attendance_gateway.domain.punch import Punch
from bkpsdm.attendance_gateway.domain.recap import UnitMonthlyRecap, monthly_recap
from bkpsdm.attendance_gateway.domain.rules import AttendanceRules
from bkpsdm.attendance_gateway.domain.work_calendar import WorkCalendar
from bkpsdm.common.contracts import AttendancePunched
from bkpsdm.common.logs import get_logger, mask_nip

log = get_logger(__name__)


def _day_bounds(first: date, last: date, rules: AttendanceRules) -> tuple[datetime, datetime]:
    zone = rules.zone
    return datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)


async def record_punch(
    uow: PostgresGatewayUnitOfWork,
    event: AttendancePunched,
    rules: AttendanceRules,
    work_calendar: WorkCalendar,
) -> DailyAttendance | None:
    """Runs in the subscription's unit of work. A punch seen before (same idempotency key, even
    under another event id) changes nothing; a new one recomputes the employee's day."""
    punch = Punch(
        nip=event.nip,
        timestamp=event.punched_at,
        state=event.punch_state,
        terminal_serial=event.terminal_serial,
        user_id=event.user_id,
    )
    if not await uow.attendance.add_punch(event.idempotency_key, punch, event.unit):
        return None
    day = event.punched_at.astimezone(rules.zone).date()
    start, end = _day_bounds(day, day, rules)
    punches = await uow.attendance.punches([event.nip], start, end)
    record = daily_attendance(event.nip, day, punches, rules, work_calendar.closed_between(day, day))
    await uow.attendance.save_daily(record, event.unit)
    log.info("attendance.daily_updated", nip=mask_nip(event.nip), day=day.isoformat())
    return record


async def daily_records(
    uow: PostgresGatewayUnitOfWork, nip: str, first: date, last: date
) -> list[DailyAttendance]:
    async with uow:
        return await uow.attendance.daily(nip, first, last)


async def unit_recap(
    uow: PostgresGatewayUnitOfWork,
    unit: str,
    year: int,
    month: int,
    rules: AttendanceRules,
    today: date,
    work_calendar: WorkCalendar,
) -> UnitMonthlyRecap:
    """The month up to today (days still to come are not "no record")."""
    first = date(year, month, 1)
    last = min(date(year, month, calendar.monthrange(year, month)[1]), today)
    start, end = _day_bounds(first, max(first, last), rules)
    async with uow:
        nips = await uow.attendance.roster(unit, start, end)
        punches = await uow.attendance.punches(nips, start, end)
    closed = work_calendar.closed_between(first, last)
    records = attendance_for_period(nips, first, last, punches, rules, closed) if last >= first else []
    return monthly_recap(unit, year, month, records, rules)
