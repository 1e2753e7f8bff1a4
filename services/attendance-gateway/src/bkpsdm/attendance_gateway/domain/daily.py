"""One employee's attendance on one day, from the terminal's punches.

Decisions (kept here so a report can be explained):
- Arrival is the earliest punch of the local day and leave the latest, whatever the punch
  state: many terminals record 255 (undefined) and staff press the wrong key, so the state
  cannot be trusted.
- Minutes are counted on the minute the terminal clock shows (seconds dropped): 07:30:59
  is on time for a 07:30 start, 15:59:30 is one minute early for a 16:00 end.
- A day with a single punch (or punches all within the same minute) lacks one of the two:
  before the midpoint of the working day it is the arrival and the leave is missing; at or
  after the midpoint it is the leave and the arrival is missing.
- A missing arrival or leave, like a whole day with no record, falls in the last band
  (TL4/PSW4). No record on a working day is therefore TL4 plus PSW4.
- TL/PSW come from the minutes late (or early) minus the tolerance; the reported
  late/early minutes are the raw ones.
- A day the work calendar closes (national holiday, cuti bersama, the agency's closure:
  `work_calendar.ClosedDays`) or a weekday without hours in the rules (the weekend) is not a
  working day: no category, no deduction, no "no record", even if someone punched.
- A working day whose hours have not ended yet (`as_of`, the moment the report is made) is
  in progress: a known arrival is banded (an earlier punch cannot come); a missing arrival is
  not yet TL4, and the leave is not banded at all (a later punch may still come), so no PSW.
  Reported days are evaluated when they are read, so a finished day is judged as finished.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from bkpsdm.attendance_gateway.domain.punch import Punch, unique_punches
from bkpsdm.attendance_gateway.domain.rules import AttendanceRules, DeductionBand, WorkingHours
from bkpsdm.attendance_gateway.domain.work_calendar import NO_CLOSED_DAYS, ClosedDays


class DailyAttendance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nip: str
    date: date
    working_day: bool
    schedule: str | None  # the named schedule applied (e.g. "ramadan"); None on a non-working day
    arrival: datetime | None  # the punch as recorded, in the rules' time zone
    leave: datetime | None
    arrival_missing: bool
    leave_missing: bool
    late_minutes: int | None  # raw minutes after the start; None when the arrival is missing
    early_minutes: int | None  # raw minutes before the end; None when the leave is missing
    tl_category: str | None
    psw_category: str | None
    deduction_percent: Decimal
    rule_set_version: str
    closed_reason: str | None = None  # why a weekday with hours is not worked (holiday, cuti bersama)
    calendar_version: str | None = None  # the work calendar the closed days came from
    in_progress: bool = False  # the working hours had not ended when this was evaluated

    @property
    def no_record(self) -> bool:
        return self.working_day and not self.in_progress and self.arrival_missing and self.leave_missing


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _split_arrival_leave(
    local_punches: list[datetime], hours: WorkingHours
) -> tuple[datetime | None, datetime | None]:
    if not local_punches:
        return None, None
    first, last = min(local_punches), max(local_punches)
    if first.replace(second=0, microsecond=0) != last.replace(second=0, microsecond=0):
        return first, last
    if _minute_of_day(first) < hours.midpoint_minute:
        return first, None
    return None, last


def _band(minutes: int | None, tolerance: int, rules: AttendanceRules) -> DeductionBand | None:
    if minutes is None:
        return rules.no_record_band
    return rules.band_for(minutes - tolerance)


def _evaluate(
    nip: str,
    day: date,
    punches: list[Punch],
    rules: AttendanceRules,
    closed: ClosedDays,
    as_of: datetime | None,
) -> DailyAttendance:
    local = sorted(p.timestamp.astimezone(rules.zone) for p in punches)
    hours = rules.hours_on(day, closed.days.keys())
    if hours is None:
        return DailyAttendance(
            nip=nip,
            date=day,
            working_day=False,
            schedule=None,
            arrival=local[0] if local else None,
            leave=local[-1] if len(local) > 1 else None,
            arrival_missing=False,
            leave_missing=False,
            late_minutes=None,
            early_minutes=None,
            tl_category=None,
            psw_category=None,
            deduction_percent=Decimal(0),
            rule_set_version=rules.version,
            closed_reason=closed.days.get(day),
            calendar_version=closed.calendar_version,
        )
    arrival, leave = _split_arrival_leave(local, hours)
    end_of_hours = datetime.combine(day, time(), rules.zone) + timedelta(minutes=hours.end_minute)
    in_progress = as_of is not None and as_of < end_of_hours
    late = None if arrival is None else max(0, _minute_of_day(arrival) - hours.start_minute)
    early = None if leave is None or in_progress else max(0, hours.end_minute - _minute_of_day(leave))
    tl = None if in_progress and late is None else _band(late, rules.late_tolerance_minutes, rules)
    psw = None if in_progress else _band(early, rules.early_leave_tolerance_minutes, rules)
    return DailyAttendance(
        nip=nip,
        date=day,
        working_day=True,
        schedule=rules.schedule_name_on(day),
        arrival=arrival,
        leave=leave,
        arrival_missing=arrival is None,
        leave_missing=leave is None,
        late_minutes=late,
        early_minutes=early,
        tl_category=tl.tl if tl else None,
        psw_category=psw.psw if psw else None,
        deduction_percent=(tl.percent if tl else Decimal(0)) + (psw.percent if psw else Decimal(0)),
        rule_set_version=rules.version,
        calendar_version=closed.calendar_version,
        in_progress=in_progress,
    )


def daily_attendance(
    nip: str,
    day: date,
    punches: Iterable[Punch],
    rules: AttendanceRules,
    closed: ClosedDays = NO_CLOSED_DAYS,
    as_of: datetime | None = None,
) -> DailyAttendance:
    """`punches` may hold other days and other employees; only this NIP's punches on `day` count.
    `as_of`: when the day is looked at (None: as a finished day)."""
    return attendance_for_period([nip], day, day, punches, rules, closed, as_of)[0]


def attendance_for_period(
    nips: Iterable[str],
    first_day: date,
    last_day: date,
    punches: Iterable[Punch],
    rules: AttendanceRules,
    closed: ClosedDays = NO_CLOSED_DAYS,
    as_of: datetime | None = None,
) -> list[DailyAttendance]:
    """A record for every listed employee and every day in [first_day, last_day], by NIP then date.
    `as_of`: when the days are looked at; a day whose hours end later is in progress.

    Employees come from the roster (`nips`), not from the punches, so someone who never
    punched still gets a "no record" on each working day.
    """
    by_day: defaultdict[tuple[str, date], list[Punch]] = defaultdict(list)
    for punch in unique_punches(punches):
        by_day[(punch.nip, punch.timestamp.astimezone(rules.zone).date())].append(punch)
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return [
        _evaluate(nip, day, by_day.get((nip, day), []), rules, closed, as_of)
        for nip in sorted(set(nips))
        for day in days
    ]
