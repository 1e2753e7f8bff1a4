"""Daily attendance use cases: punches from the topic are kept per employee; an employee's days
and a unit's monthly recap are evaluated from them when asked (DOMAIN.md "Attendance"), so a day
still in progress is not judged as finished and a calendar change applies at once. Holidays,
cuti bersama and closures come from the service calendar (`WorkCalendar`)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from bkpsdm.attendance_gateway.adapters.repository import PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.domain.daily import DailyAttendance, attendance_for_period
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


async def record_punch(uow: PostgresGatewayUnitOfWork, event: AttendancePunched) -> bool:
    """Runs in the subscription's unit of work. A punch seen before (same idempotency key, even
    under another event id) changes nothing (False)."""
    punch = Punch(
        nip=event.nip,
        timestamp=event.punched_at,
        state=event.punch_state,
        terminal_serial=event.terminal_serial,
        user_id=event.user_id,
    )
    added = await uow.attendance.add_punch(event.idempotency_key, punch, event.unit)
    if added:
        log.info("attendance.punch_recorded", nip=mask_nip(event.nip), at=event.punched_at.isoformat())
    return added


async def daily_records(
    uow: PostgresGatewayUnitOfWork,
    nip: str,
    first: date,
    last: date,
    rules: AttendanceRules,
    now: datetime,
    work_calendar: WorkCalendar,
) -> list[DailyAttendance]:
    """Every day of [first, last] up to today for an employee the gateway knows (mapped on a
    terminal or punched); days still to come are left out, today is in progress until its end."""
    last = min(last, now.astimezone(rules.zone).date())
    if last < first:
        return []
    start, end = _day_bounds(first, last, rules)
    async with uow:
        if not await uow.attendance.known_employee(nip):
            return []
        punches = await uow.attendance.punches([nip], start, end)
    closed = work_calendar.closed_between(first, last)
    return attendance_for_period([nip], first, last, punches, rules, closed, as_of=now)


async def unit_recap(
    uow: PostgresGatewayUnitOfWork,
    unit: str,
    year: int,
    month: int,
    rules: AttendanceRules,
    now: datetime,
    work_calendar: WorkCalendar,
) -> UnitMonthlyRecap:
    """The month up to today (days still to come are not "no record"; today counts once its
    hours are over)."""
    first = date(year, month, 1)
    last = min(date(year, month, calendar.monthrange(year, month)[1]), now.astimezone(rules.zone).date())
    start, end = _day_bounds(first, max(first, last), rules)
    async with uow:
        nips = await uow.attendance.roster(unit, start, end)
        punches = await uow.attendance.punches(nips, start, end)
    closed = work_calendar.closed_between(first, last)
    records = (
        attendance_for_period(nips, first, last, punches, rules, closed, as_of=now) if last >= first else []
    )
    return monthly_recap(unit, year, month, records, rules)
