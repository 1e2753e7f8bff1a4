"""Daily records follow the service calendar: national holidays, cuti bersama and the agency's
closures are not working days (no category, no deduction, no "no record"); weekends are not
either (the rules have no hours then); an open date of the calendar is worked again."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bkpsdm.attendance_gateway.domain.daily import attendance_for_period, daily_attendance
from bkpsdm.attendance_gateway.domain.punch import Punch
from bkpsdm.attendance_gateway.domain.recap import monthly_recap
from bkpsdm.attendance_gateway.domain.rules import default_rules
from bkpsdm.attendance_gateway.domain.work_calendar import WorkCalendar
from bkpsdm.common.service_calendar import CalendarConfig, ServiceCalendar, load_calendar, load_config

WIB = ZoneInfo("Asia/Jakarta")
NIP = "198501012010011001"
RULES = default_rules()
CALENDAR = WorkCalendar(load_calendar())


def with_config(**changes: Any) -> WorkCalendar:
    config = CalendarConfig.model_validate({**load_config().model_dump(), **changes})
    return WorkCalendar(ServiceCalendar(config))


def punch(day: date, hhmm: str) -> Punch:
    hour, minute = (int(x) for x in hhmm.split(":"))
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)
    return Punch(nip=NIP, timestamp=moment, state=255, terminal_serial="T1", user_id="17")


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 12, 25), "Hari Raya Natal"),
        (date(2026, 12, 24), "Cuti Bersama Hari Raya Natal"),
        (date(2026, 3, 23), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia"),
        (date(2026, 1, 1), "Tahun Baru Masehi"),
        (date(2026, 3, 21), "Hari Raya Idul Fitri"),  # a Saturday: closed whatever the rules say
        (date(2026, 11, 23), None),  # an ordinary Monday
        (date(2026, 11, 28), None),  # an ordinary Saturday: the attendance rules decide
    ],
)
def test_the_work_calendar_closes_national_holidays_and_cuti_bersama(day: date, reason: str | None) -> None:
    assert CALENDAR.closed_reason(day) == reason


@pytest.mark.parametrize(
    ("changes", "day", "reason"),
    [
        (
            {"closed_dates": [{"day": "2026-11-24", "reason": "HUT Kota Singkawang"}]},
            date(2026, 11, 24),
            "HUT Kota Singkawang",
        ),
        ({"open_dates": [{"day": "2026-12-24", "reason": "Hari kerja pengganti"}]}, date(2026, 12, 24), None),
        ({"holidays": None}, date(2026, 12, 25), None),
        (
            {"holidays": {"country": "ID", "categories": ["public"]}},
            date(2026, 12, 24),
            None,
        ),  # without cuti bersama
        ({"holidays": {"country": "ID", "categories": ["public"]}}, date(2026, 12, 25), "Hari Raya Natal"),
    ],
)
def test_the_agencys_calendar_file_adds_closures_and_reopens_days(
    changes: dict[str, Any], day: date, reason: str | None
) -> None:
    assert with_config(**changes).closed_reason(day) == reason


@pytest.mark.parametrize(
    ("day", "times", "working", "tl", "psw", "deduction", "reason"),
    [
        (date(2026, 12, 25), (), False, None, None, "0", "Hari Raya Natal"),
        (date(2026, 12, 24), ("09:45", "11:00"), False, None, None, "0", "Cuti Bersama Hari Raya Natal"),
        (date(2026, 3, 19), (), False, None, None, "0", "Hari Suci Nyepi"),  # within Ramadan hours
        (date(2026, 3, 22), (), False, None, None, "0", "Hari kedua dari Hari Raya Idul Fitri"),  # a Sunday
        (date(2026, 11, 28), (), False, None, None, "0", None),  # an ordinary Saturday
        (date(2026, 11, 23), (), True, "TL4", "PSW4", "4", None),  # an ordinary Monday, no record
        (date(2026, 11, 23), ("08:15", "16:00"), True, "TL2", None, "1", None),
        (
            date(2026, 12, 23),
            ("07:30", "15:45"),
            True,
            None,
            "PSW1",
            "0.5",
            None,
        ),  # the day before cuti bersama
    ],
)
def test_a_holiday_or_weekend_is_not_a_working_day_with_absences(
    day: date,
    times: tuple[str, ...],
    working: bool,
    tl: str | None,
    psw: str | None,
    deduction: str,
    reason: str | None,
) -> None:
    closed = CALENDAR.closed_between(day, day)
    record = daily_attendance(NIP, day, [punch(day, t) for t in times], RULES, closed)
    assert (record.working_day, record.tl_category, record.psw_category) == (working, tl, psw)
    assert record.deduction_percent == Decimal(deduction)
    assert record.no_record == (working and not times)
    assert record.closed_reason == reason
    assert record.calendar_version == CALENDAR.version


def test_an_open_date_of_the_calendar_is_worked_again() -> None:
    day = date(2026, 12, 24)
    calendar = with_config(open_dates=[{"day": "2026-12-24", "reason": "Hari kerja pengganti"}])
    record = daily_attendance(NIP, day, [], RULES, calendar.closed_between(day, day))
    assert (record.working_day, record.tl_category, record.psw_category) == (True, "TL4", "PSW4")


def test_the_monthly_recap_counts_only_the_calendars_working_days() -> None:
    first, last = date(2026, 12, 1), date(2026, 12, 31)
    records = attendance_for_period([NIP], first, last, [], RULES, CALENDAR.closed_between(first, last))
    employee = monthly_recap("Dinas Kesehatan", 2026, 12, records, RULES).employees[0]
    weekdays = sum(1 for i in range(31) if (first + timedelta(days=i)).weekday() < 5)
    assert (weekdays, employee.working_days) == (23, 21)  # minus Christmas and its cuti bersama
    assert employee.no_record_days == 21
    assert employee.deduction_percent == Decimal(21 * 4)


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    minutes=st.lists(st.integers(min_value=5 * 60, max_value=20 * 60), max_size=4),
)
def test_a_closed_day_never_costs_anything_whatever_was_punched(day: date, minutes: list[int]) -> None:
    times = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]
    record = daily_attendance(
        NIP, day, [punch(day, t) for t in times], RULES, CALENDAR.closed_between(day, day)
    )
    if CALENDAR.closed_reason(day) is not None or day.weekday() >= 5:
        assert not record.working_day
        assert (record.tl_category, record.psw_category, record.deduction_percent) == (None, None, Decimal(0))
    else:
        assert record.working_day
