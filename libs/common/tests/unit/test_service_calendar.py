from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bkpsdm.common.service_calendar import (
    CalendarConfig,
    ClosedDate,
    Interval,
    OpenDate,
    ScheduleOverride,
    ServiceCalendar,
    ServiceCalendarError,
    WeeklySchedule,
    load_calendar,
    load_config,
)

WIB = ZoneInfo("Asia/Jakarta")
HOUR = timedelta(hours=1)
DAY = 6 * HOUR
CALENDAR = load_calendar()


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


def hours(*spans: tuple[str, str]) -> tuple[Interval, ...]:
    return tuple(Interval.model_validate({"start": start, "end": end}) for start, end in spans)


def calendar_with(**changes: object) -> ServiceCalendar:
    return ServiceCalendar(CalendarConfig.model_validate(load_config().model_dump() | changes))


# Test data, not a regulation: Ramadan hours differ by year and agency.
RAMADAN = ScheduleOverride(
    name="Ramadan 1447 H",
    start_date=date(2026, 2, 18),
    end_date=date(2026, 3, 19),
    weekly=WeeklySchedule(
        monday=hours(("08:00", "12:00"), ("12:30", "15:00")),
        tuesday=hours(("08:00", "12:00"), ("12:30", "15:00")),
        wednesday=hours(("08:00", "12:00"), ("12:30", "15:00")),
        thursday=hours(("08:00", "12:00"), ("12:30", "15:00")),
        friday=hours(("08:00", "11:30"), ("13:00", "15:30")),
    ),
)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        # DOMAIN.md's three examples
        (wib(2026, 11, 23, 10), DAY, wib(2026, 11, 24, 10)),
        (wib(2026, 11, 26, 14), DAY, wib(2026, 11, 27, 15)),
        (wib(2026, 11, 28, 9), DAY, wib(2026, 11, 30, 15, 30)),
        # across the lunch break, and starting inside it or at its first minute
        (wib(2026, 11, 23, 11), HOUR, wib(2026, 11, 23, 13, 30)),
        (wib(2026, 11, 23, 12), HOUR, wib(2026, 11, 23, 14)),
        (wib(2026, 11, 23, 11, 30), HOUR / 2, wib(2026, 11, 23, 13, 30)),
        # before opening, after closing
        (wib(2026, 11, 23, 6), HOUR, wib(2026, 11, 23, 9)),
        (wib(2026, 11, 23, 16), HOUR, wib(2026, 11, 24, 9)),
        # using up the morning exactly ends at its closing, not at the afternoon opening
        (wib(2026, 11, 23, 8), 3.5 * HOUR, wib(2026, 11, 23, 11, 30)),
        (wib(2026, 11, 23, 8), DAY, wib(2026, 11, 23, 15, 30)),
        # Friday opens 08:30 and breaks 11:00-13:00
        (wib(2026, 11, 27, 8), 3 * HOUR, wib(2026, 11, 27, 13, 30)),
        (wib(2026, 11, 27, 11), HOUR, wib(2026, 11, 27, 14)),
        (wib(2026, 11, 27, 15), HOUR, wib(2026, 11, 30, 8, 30)),
        # several working days: Mon-Thu 6 h, Fri 5 h
        (wib(2026, 11, 23, 8), 5 * DAY, wib(2026, 11, 30, 9)),
        (wib(2026, 11, 23, 8), 10 * DAY, wib(2026, 12, 7, 10)),
        # Independence Day (public holiday), Monday 2026-08-17
        (wib(2026, 8, 14, 15), 2 * HOUR, wib(2026, 8, 18, 9, 30)),
        # cuti bersama Christmas 2025-12-26 after Christmas Day
        (wib(2025, 12, 24, 15), HOUR, wib(2025, 12, 29, 8, 30)),
        # cuti bersama 2026-12-24 before Christmas Day
        (wib(2026, 12, 23, 14), DAY, wib(2026, 12, 28, 14)),
        # Ascension Day 2026-05-14 and its cuti bersama 05-15
        (wib(2026, 5, 13, 15), HOUR, wib(2026, 5, 18, 8, 30)),
        # Nyepi, Idul Fitri and their cuti bersama close 2026-03-18 .. 03-24
        (wib(2026, 3, 17, 15), HOUR, wib(2026, 3, 25, 8, 30)),
        # New Year's Day between two years' layouts
        (wib(2025, 12, 31, 15), HOUR, wib(2026, 1, 2, 9)),
        # a zero target starts and ends at the next opening
        (wib(2026, 11, 28, 9), timedelta(0), wib(2026, 11, 30, 8)),
        (wib(2026, 11, 23, 10), timedelta(0), wib(2026, 11, 23, 10)),
    ],
)
def test_due_after_counts_only_open_hours(start: datetime, duration: timedelta, due: datetime) -> None:
    assert CALENDAR.due_after(start, duration) == due


def test_due_after_answers_in_the_calendar_time_zone_for_any_aware_input() -> None:
    due = CALENDAR.due_after(datetime(2026, 11, 23, 3, tzinfo=UTC), DAY)

    assert due == wib(2026, 11, 24, 10)
    assert due.tzinfo is WIB
    assert (due.hour, due.minute) == (10, 0)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        # Ramadan Monday: 08:00-12:00 and 12:30-15:00 (default hours would give 14:30)
        (wib(2026, 2, 23, 11), 2 * HOUR, wib(2026, 2, 23, 13, 30)),
        # Ramadan Friday is open at 11:00 (default hours would give 14:00)
        (wib(2026, 2, 27, 11), HOUR, wib(2026, 2, 27, 13, 30)),
        # leaving Ramadan: Tue 03-17 closes 15:00, Wed 03-25 has the default hours again
        (wib(2026, 3, 17, 14), 5 * HOUR, wib(2026, 3, 25, 13, 30)),
    ],
)
def test_due_after_follows_a_date_range_override(start: datetime, duration: timedelta, due: datetime) -> None:
    assert calendar_with(overrides=(RAMADAN,)).due_after(start, duration) == due


def test_extra_closed_date_stops_the_clock() -> None:
    calendar = calendar_with(closed_dates=(ClosedDate(day=date(2026, 11, 24), reason="Hari Jadi Kota"),))

    assert calendar.due_after(wib(2026, 11, 23, 10), DAY) == wib(2026, 11, 25, 10)
    assert calendar.closed_reason(date(2026, 11, 24)) == "Hari Jadi Kota"


def test_extra_open_date_on_cuti_bersama_uses_the_weekday_hours() -> None:
    calendar = calendar_with(open_dates=(OpenDate(day=date(2026, 12, 24), reason="Piket layanan"),))

    assert calendar.due_after(wib(2026, 12, 23, 14), DAY) == wib(2026, 12, 24, 14)


def test_extra_open_saturday_uses_its_own_hours() -> None:
    saturday = OpenDate(day=date(2026, 11, 28), reason="Layanan Sabtu", intervals=hours(("08:00", "12:00")))
    calendar = calendar_with(open_dates=(saturday,))

    assert calendar.due_after(wib(2026, 11, 28, 9), DAY) == wib(2026, 11, 30, 11)
    assert calendar.is_open(wib(2026, 11, 28, 11, 59))


def test_calendar_without_holiday_source_keeps_cuti_bersama_open() -> None:
    calendar = calendar_with(holidays=None)

    assert calendar.is_open(wib(2026, 12, 24, 10))
    assert not calendar.is_open(wib(2026, 12, 26, 10))  # still a Saturday


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2025, 1, 28), "Cuti Bersama Tahun Baru Imlek"),
        (date(2025, 4, 7), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2025, 12, 26), "Cuti Bersama Hari Raya Natal"),
        (date(2026, 2, 16), "Cuti Bersama Tahun Baru Imlek"),
        (date(2026, 3, 24), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 12, 24), "Cuti Bersama Hari Raya Natal"),
        (date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia"),
        (date(2026, 1, 1), "Tahun Baru Masehi"),
        (date(2026, 11, 28), "Tidak ada jam layanan pada hari ini"),
        (date(2026, 11, 23), None),
    ],
)
def test_closed_reason_names_holiday_or_cuti_bersama(day: date, reason: str | None) -> None:
    assert CALENDAR.closed_reason(day) == reason


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (wib(2026, 11, 23, 7, 59), False),
        (wib(2026, 11, 23, 8), True),
        (wib(2026, 11, 23, 11, 29), True),
        (wib(2026, 11, 23, 11, 30), False),
        (wib(2026, 11, 23, 12, 59), False),
        (wib(2026, 11, 23, 13), True),
        (wib(2026, 11, 23, 15, 29), True),
        (wib(2026, 11, 23, 15, 30), False),
        (wib(2026, 11, 27, 8, 15), False),
        (wib(2026, 11, 27, 8, 30), True),
        (wib(2026, 11, 27, 11), False),
        (wib(2026, 11, 28, 10), False),
        (wib(2026, 8, 17, 10), False),
        (wib(2026, 12, 24, 10), False),
    ],
)
def test_is_open(at: datetime, open_: bool) -> None:
    assert CALENDAR.is_open(at) is open_


@pytest.mark.parametrize(
    ("at", "opening"),
    [
        (wib(2026, 11, 23, 10), wib(2026, 11, 23, 10)),
        (wib(2026, 11, 23, 7), wib(2026, 11, 23, 8)),
        (wib(2026, 11, 23, 12), wib(2026, 11, 23, 13)),
        (wib(2026, 11, 23, 15, 30), wib(2026, 11, 24, 8)),
        (wib(2026, 11, 27, 16), wib(2026, 11, 30, 8)),
        (wib(2026, 12, 24, 9), wib(2026, 12, 28, 8)),
        (wib(2026, 3, 17, 16), wib(2026, 3, 25, 8)),
        (wib(2026, 12, 31, 16), wib(2027, 1, 4, 8)),
    ],
)
def test_next_opening(at: datetime, opening: datetime) -> None:
    assert CALENDAR.next_opening(at) == opening


@pytest.mark.parametrize(
    ("start", "end", "elapsed"),
    [
        (wib(2026, 11, 23, 10), wib(2026, 11, 24, 10), DAY),
        (wib(2026, 11, 28, 9), wib(2026, 11, 30, 15, 30), DAY),
        (wib(2026, 11, 27), wib(2026, 11, 30), 5 * HOUR),
        (wib(2026, 11, 23), wib(2026, 11, 30), 29 * HOUR),
        (wib(2026, 11, 23, 12), wib(2026, 11, 23, 12, 45), timedelta(0)),
        (wib(2025, 12, 31, 15), wib(2026, 1, 2, 9), HOUR),
        (wib(2026, 11, 24, 10), wib(2026, 11, 23, 10), timedelta(0)),
        (wib(2026, 11, 23, 10), wib(2026, 11, 23, 10), timedelta(0)),
    ],
)
def test_service_time_between(start: datetime, end: datetime, elapsed: timedelta) -> None:
    assert CALENDAR.service_time_between(start, end) == elapsed


def test_earlier_years_laid_out_later_keep_answers_consistent() -> None:
    calendar = load_calendar()

    assert calendar.due_after(wib(2026, 11, 23, 10), DAY) == wib(2026, 11, 24, 10)
    assert calendar.service_time_between(wib(2024, 12, 31, 15), wib(2026, 11, 24, 10)) > 400 * DAY
    assert calendar.due_after(wib(2025, 12, 24, 15), HOUR) == wib(2025, 12, 29, 8, 30)
    assert calendar.due_after(wib(2026, 11, 26, 14), DAY) == wib(2026, 11, 27, 15)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CALENDAR.due_after(datetime(2026, 11, 23, 10), DAY),
        lambda: CALENDAR.service_time_between(datetime(2026, 11, 23, 10), wib(2026, 11, 24)),
        lambda: CALENDAR.service_time_between(wib(2026, 11, 23), datetime(2026, 11, 24)),
        lambda: CALENDAR.is_open(datetime(2026, 11, 23, 10)),
        lambda: CALENDAR.next_opening(datetime(2026, 11, 23, 10)),
    ],
)
def test_naive_datetime_is_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="zona waktu") as raised:
        call()
    assert isinstance(raised.value, ServiceCalendarError)
    assert raised.value.code == "SERVICE_TIME_NAIVE_DATETIME"


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ServiceCalendarError) as raised:
        CALENDAR.due_after(wib(2026, 11, 23, 10), -HOUR)
    assert raised.value.code == "SERVICE_TIME_NEGATIVE_DURATION"


@pytest.mark.parametrize(("days", "duration"), [(0, timedelta(0)), (1, DAY), (3, 3 * DAY), (0.5, 3 * HOUR)])
def test_working_days_are_six_service_hours_each(days: float, duration: timedelta) -> None:
    assert CALENDAR.working_days(days) == duration


def test_working_day_length_is_configurable() -> None:
    calendar = calendar_with(hours_per_working_day=7.5)

    assert calendar.working_days(2) == 15 * HOUR
    assert calendar.parse_duration("2 Hari") == 15 * HOUR


def test_working_days_refuse_a_negative_count() -> None:
    with pytest.raises(ServiceCalendarError):
        CALENDAR.working_days(-1)


def test_calendar_reports_the_rule_set_in_force() -> None:
    assert CALENDAR.version == load_config().version == "seed-003/2026.1"
    assert CALENDAR.holidays_version


def test_a_calendar_closed_for_decades_reports_no_opening() -> None:
    sealed = ScheduleOverride(
        name="Tutup", start_date=date(2026, 1, 1), end_date=date(2099, 12, 31), weekly=WeeklySchedule()
    )
    calendar = calendar_with(overrides=(sealed,))

    with pytest.raises(ServiceCalendarError) as raised:
        calendar.due_after(wib(2026, 11, 23, 10), DAY)
    assert raised.value.code == "SERVICE_TIME_NO_OPENING"


starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(WIB)
)
targets = st.timedeltas(min_value=timedelta(microseconds=1), max_value=20 * DAY)


@settings(max_examples=300, deadline=None)
@given(start=starts, duration=targets)
def test_service_time_between_undoes_due_after(start: datetime, duration: timedelta) -> None:
    due = CALENDAR.due_after(start, duration)

    assert due > start
    assert CALENDAR.service_time_between(start, due) == duration
    # The last microsecond before a due time is always service time: no due time falls in a closed gap.
    assert CALENDAR.is_open(due - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(start=starts, shorter=targets, longer=targets)
def test_due_after_is_monotonic_in_the_duration(
    start: datetime, shorter: timedelta, longer: timedelta
) -> None:
    shorter, longer = sorted((shorter, longer))

    assert CALENDAR.due_after(start, shorter) <= CALENDAR.due_after(start, longer)


def test_custom_calendar_file_is_loaded(tmp_path: Path) -> None:
    config = load_config().model_copy(update={"version": "agency-x/7", "hours_per_working_day": 5.0})
    path = tmp_path / "calendar.json"
    path.write_text(config.model_dump_json())

    calendar = load_calendar(path)

    assert calendar.version == "agency-x/7"
    assert calendar.working_days(1) == 5 * HOUR
    assert isinstance(calendar.config, CalendarConfig)
