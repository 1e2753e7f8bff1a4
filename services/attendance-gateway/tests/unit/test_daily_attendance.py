from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bkpsdm.attendance_gateway.domain.daily import DailyAttendance, attendance_for_period, daily_attendance
from bkpsdm.attendance_gateway.domain.punch import Punch, PunchState, unique_punches
from bkpsdm.attendance_gateway.domain.rules import AttendanceRules, default_rules
from bkpsdm.attendance_gateway.domain.work_calendar import ClosedDays

WIB = ZoneInfo("Asia/Jakarta")
NIP = "198501012010011001"
MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)
RAMADAN_MONDAY = date(2026, 3, 2)
RAMADAN_FRIDAY = date(2026, 3, 6)
RULES = default_rules()


def at(day: date, hhmm: str, second: int = 0) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=WIB)


def punch(
    moment: datetime, state: int = PunchState.UNDEFINED, serial: str = "A1B2C3", nip: str = NIP
) -> Punch:
    return Punch(nip=nip, timestamp=moment, state=state, terminal_serial=serial, user_id="17")


def day_of(
    day: date, *times: str, rules: AttendanceRules = RULES, closed: dict[date, str] | None = None
) -> DailyAttendance:
    punches = [punch(at(day, t)) for t in times]
    return daily_attendance(NIP, day, punches, rules, ClosedDays(closed or {}, "test-calendar"))


def with_tolerance(late: int, early: int) -> AttendanceRules:
    return RULES.model_copy(update={"late_tolerance_minutes": late, "early_leave_tolerance_minutes": early})


@pytest.mark.parametrize(
    ("arrival", "late", "tl", "percent"),
    [
        ("07:00", 0, None, "0"),
        ("07:30", 0, None, "0"),
        ("07:31", 1, "TL1", "0.5"),
        ("08:00", 30, "TL1", "0.5"),
        ("08:01", 31, "TL2", "1"),
        ("08:30", 60, "TL2", "1"),
        ("08:31", 61, "TL3", "1.5"),
        ("09:00", 90, "TL3", "1.5"),
        ("09:01", 91, "TL4", "2"),
    ],
)
def test_late_arrival_falls_in_the_tl_band_of_its_minutes(
    arrival: str, late: int, tl: str | None, percent: str
) -> None:
    record = day_of(MONDAY, arrival, "16:00")
    assert (record.late_minutes, record.tl_category, record.psw_category) == (late, tl, None)
    assert record.deduction_percent == Decimal(percent)


@pytest.mark.parametrize(
    ("leave", "early", "psw", "percent"),
    [
        ("17:00", 0, None, "0"),
        ("16:00", 0, None, "0"),
        ("15:59", 1, "PSW1", "0.5"),
        ("15:30", 30, "PSW1", "0.5"),
        ("15:29", 31, "PSW2", "1"),
        ("15:00", 60, "PSW2", "1"),
        ("14:59", 61, "PSW3", "1.5"),
        ("14:30", 90, "PSW3", "1.5"),
        ("14:29", 91, "PSW4", "2"),
    ],
)
def test_early_leave_falls_in_the_psw_band_of_its_minutes(
    leave: str, early: int, psw: str | None, percent: str
) -> None:
    record = day_of(MONDAY, "07:30", leave)
    assert (record.early_minutes, record.psw_category, record.tl_category) == (early, psw, None)
    assert record.deduction_percent == Decimal(percent)


@pytest.mark.parametrize(
    ("arrival", "leave", "tl", "psw"),
    [
        ("07:45", "16:00", None, None),  # 15 late = tolerance
        ("07:46", "16:00", "TL1", None),  # 1 after tolerance
        ("08:15", "16:00", "TL1", None),  # 30 after tolerance
        ("08:16", "16:00", "TL2", None),  # 31 after tolerance
        ("07:30", "15:55", None, None),  # 5 early = tolerance
        ("07:30", "15:54", None, "PSW1"),
    ],
)
def test_minutes_within_the_tolerance_are_not_counted(
    arrival: str, leave: str, tl: str | None, psw: str | None
) -> None:
    record = day_of(MONDAY, arrival, leave, rules=with_tolerance(late=15, early=5))
    assert (record.tl_category, record.psw_category) == (tl, psw)


def test_reported_minutes_stay_raw_when_a_tolerance_applies() -> None:
    record = day_of(MONDAY, "07:46", "16:00", rules=with_tolerance(late=15, early=0))
    assert record.late_minutes == 16


def test_default_tolerance_is_zero() -> None:
    assert (RULES.late_tolerance_minutes, RULES.early_leave_tolerance_minutes) == (0, 0)


def test_seconds_are_dropped_as_the_terminal_clock_shows_them() -> None:
    punches = [punch(at(MONDAY, "07:30", 59)), punch(at(MONDAY, "15:59", 30))]
    record = daily_attendance(NIP, MONDAY, punches, RULES)
    assert (record.late_minutes, record.tl_category) == (0, None)
    assert (record.early_minutes, record.psw_category) == (1, "PSW1")


def test_a_working_day_without_any_punch_is_tl4_and_psw4() -> None:
    record = day_of(MONDAY)
    assert record.working_day
    assert record.no_record
    assert (record.arrival_missing, record.leave_missing) == (True, True)
    assert (record.tl_category, record.psw_category) == ("TL4", "PSW4")
    assert (record.late_minutes, record.early_minutes) == (None, None)
    assert record.deduction_percent == Decimal("4")


@pytest.mark.parametrize(
    ("day", "time", "arrival_missing", "leave_missing", "tl", "psw"),
    [
        (MONDAY, "07:20", False, True, None, "PSW4"),
        (MONDAY, "11:44", False, True, "TL4", "PSW4"),  # Mon 07:30-16:00: midpoint 11:45
        (MONDAY, "11:45", True, False, "TL4", "PSW4"),
        (MONDAY, "16:05", True, False, "TL4", None),
        (FRIDAY, "11:59", False, True, "TL4", "PSW4"),  # Fri 07:30-16:30: midpoint 12:00
        (FRIDAY, "12:00", True, False, "TL4", "PSW4"),
    ],
)
def test_a_single_punch_is_arrival_before_the_midpoint_and_leave_from_it(
    day: date, time: str, arrival_missing: bool, leave_missing: bool, tl: str | None, psw: str | None
) -> None:
    record = day_of(day, time)
    assert (record.arrival_missing, record.leave_missing) == (arrival_missing, leave_missing)
    assert (record.tl_category, record.psw_category) == (tl, psw)
    assert not record.no_record


def test_a_missing_leave_costs_the_psw4_percent() -> None:
    record = day_of(MONDAY, "07:20")
    assert record.arrival == at(MONDAY, "07:20")
    assert (record.leave, record.early_minutes) == (None, None)
    assert record.deduction_percent == Decimal("2")


def test_two_punches_in_the_same_minute_are_one_punch() -> None:
    punches = [punch(at(MONDAY, "07:20", 5)), punch(at(MONDAY, "07:20", 40), serial="OTHER")]
    record = daily_attendance(NIP, MONDAY, punches, RULES)
    assert (record.arrival_missing, record.leave_missing) == (False, True)


def test_the_same_punch_read_twice_counts_once() -> None:
    once = punch(at(MONDAY, "07:20"), state=PunchState.CHECK_IN)
    again_in_utc = once.model_copy(update={"timestamp": once.timestamp.astimezone(UTC)})
    assert unique_punches([once, once, again_in_utc]) == [once]
    record = daily_attendance(NIP, MONDAY, [once, again_in_utc], RULES)
    assert (record.arrival_missing, record.leave_missing) == (False, True)


@pytest.mark.parametrize(
    "other",
    [
        {"terminal_serial": "B"},
        {"user_id": "18"},
        {"state": PunchState.CHECK_OUT},
        {"timestamp": datetime(2026, 11, 23, 7, 20, 1, tzinfo=WIB)},
    ],
)
def test_punches_differing_in_any_part_of_the_key_are_distinct(other: dict[str, object]) -> None:
    first = punch(at(MONDAY, "07:20"))
    assert len(unique_punches([first, first.model_copy(update=other)])) == 2


def test_punch_state_is_ignored_when_picking_arrival_and_leave() -> None:
    punches = [
        punch(at(MONDAY, "16:10"), state=PunchState.CHECK_IN),  # wrong key pressed at leave
        punch(at(MONDAY, "07:25"), state=PunchState.UNDEFINED),
        punch(at(MONDAY, "12:00"), state=PunchState.BREAK_OUT),
    ]
    record = daily_attendance(NIP, MONDAY, punches, RULES)
    assert (record.arrival, record.leave) == (at(MONDAY, "07:25"), at(MONDAY, "16:10"))
    assert record.deduction_percent == 0


@pytest.mark.parametrize(
    ("day", "arrival", "leave", "tl", "psw"),
    [
        (RAMADAN_MONDAY, "08:00", "15:00", None, None),
        (RAMADAN_MONDAY, "08:01", "15:00", "TL1", None),
        (RAMADAN_MONDAY, "07:45", "14:59", None, "PSW1"),
        (RAMADAN_FRIDAY, "08:00", "15:30", None, None),
        (RAMADAN_FRIDAY, "08:00", "15:29", None, "PSW1"),
    ],
)
def test_ramadan_override_starts_at_eight(
    day: date, arrival: str, leave: str, tl: str | None, psw: str | None
) -> None:
    record = day_of(day, arrival, leave)
    assert record.schedule == "ramadan"
    assert (record.tl_category, record.psw_category) == (tl, psw)


def test_override_ends_on_its_last_day() -> None:
    assert RULES.schedule_name_on(date(2026, 3, 19)) == "ramadan"
    assert RULES.schedule_name_on(date(2026, 3, 25)) == "normal"
    after = day_of(date(2026, 3, 25), "08:00", "16:00")
    assert (after.schedule, after.late_minutes, after.tl_category) == ("normal", 30, "TL1")


def test_default_weeks_hold_the_perpres_hours() -> None:
    assert RULES.schedules["normal"].weekly_hours == Decimal("37.5")
    assert RULES.schedules["ramadan"].weekly_hours == Decimal("32.5")
    assert RULES.schedules["normal"].hours_on(MONDAY) is not None
    assert RULES.schedules["normal"].hours_on(SATURDAY) is None


@pytest.mark.parametrize(
    ("leave", "early", "psw"),
    [("16:30", 0, None), ("16:29", 1, "PSW1"), ("16:00", 30, "PSW1"), ("15:59", 31, "PSW2")],
)
def test_friday_ends_at_half_past_four(leave: str, early: int, psw: str | None) -> None:
    record = day_of(FRIDAY, "07:30", leave)
    assert (record.early_minutes, record.psw_category) == (early, psw)


@pytest.mark.parametrize(
    ("day", "times", "closed"),
    [
        (SATURDAY, (), {}),
        (SATURDAY, ("08:00", "11:00"), {}),
        (date(2026, 12, 25), (), {date(2026, 12, 25): "Hari Raya Natal"}),
        (MONDAY, ("09:30",), {MONDAY: "Kantor ditutup"}),
    ],
)
def test_a_non_working_day_has_no_category_and_no_deduction(
    day: date, times: tuple[str, ...], closed: dict[date, str]
) -> None:
    record = day_of(day, *times, closed=closed)
    assert not record.working_day
    assert not record.no_record
    assert record.closed_reason == closed.get(day)
    assert (record.tl_category, record.psw_category, record.deduction_percent) == (None, None, Decimal(0))
    assert record.schedule is None


def test_punches_on_a_non_working_day_are_still_shown() -> None:
    record = day_of(SATURDAY, "08:00", "11:00")
    assert (record.arrival, record.leave) == (at(SATURDAY, "08:00"), at(SATURDAY, "11:00"))


def test_the_day_is_the_local_day_of_the_rules_time_zone() -> None:
    punches = [
        punch(datetime(2026, 11, 23, 0, 30, tzinfo=UTC)),  # 07:30 WIB Monday
        punch(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),  # 16:00 WIB Monday
        punch(datetime(2026, 11, 22, 16, 59, tzinfo=UTC)),  # 23:59 WIB Sunday
    ]
    record = daily_attendance(NIP, MONDAY, punches, RULES)
    assert record.arrival == at(MONDAY, "07:30")
    assert record.leave == at(MONDAY, "16:00")
    assert record.deduction_percent == 0


def test_every_record_carries_the_rule_set_version() -> None:
    renamed = RULES.model_copy(update={"version": "perwako-62-2019/v3"})
    assert day_of(MONDAY, "07:30", "16:00", rules=renamed).rule_set_version == "perwako-62-2019/v3"
    assert day_of(SATURDAY, rules=renamed).rule_set_version == "perwako-62-2019/v3"


def test_period_gives_every_roster_member_every_day_and_only_their_punches() -> None:
    other = "199001012015012002"
    punches = [punch(at(MONDAY, "07:30")), punch(at(MONDAY, "16:00")), punch(at(MONDAY, "09:00"), nip="X")]
    records = attendance_for_period([NIP, other, NIP], MONDAY, MONDAY + timedelta(days=6), punches, RULES)
    assert [(r.nip, r.date) for r in records][:2] == [(NIP, MONDAY), (NIP, MONDAY + timedelta(days=1))]
    assert len(records) == 14
    mine = {r.date: r for r in records if r.nip == NIP}
    assert mine[MONDAY].deduction_percent == 0
    assert mine[MONDAY + timedelta(days=1)].no_record
    assert all(r.no_record for r in records if r.nip == other and r.working_day)
    assert sum(r.working_day for r in records if r.nip == other) == 5


@pytest.mark.parametrize(
    "bad",
    [
        {"timestamp": datetime(2026, 11, 23, 7, 30)},  # naive: the device's zone is unknown
        {"state": 256},
        {"terminal_serial": ""},
    ],
)
def test_a_punch_needs_an_aware_timestamp_and_a_byte_state(bad: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "nip": NIP,
        "timestamp": at(MONDAY, "07:30"),
        "state": 0,
        "terminal_serial": "A",
        "user_id": "1",
    }
    with pytest.raises(ValidationError):
        Punch.model_validate(fields | bad)


@given(late=st.integers(min_value=0, max_value=600))
def test_coming_later_never_costs_less(late: int) -> None:
    def cost(minutes: int) -> Decimal:
        arrival = at(MONDAY, "07:30") + timedelta(minutes=minutes)
        record = daily_attendance(NIP, MONDAY, [punch(arrival), punch(at(MONDAY, "17:00"))], RULES)
        return record.deduction_percent

    assert cost(late) <= cost(late + 1)


@pytest.mark.parametrize(
    ("day", "schedule"),
    [
        (date(2024, 3, 11), "normal"),
        (date(2024, 3, 12), "ramadan"),  # 1 Ramadan 1445 H
        (date(2024, 4, 9), "ramadan"),
        (date(2025, 2, 28), "normal"),
        (date(2025, 3, 10), "ramadan"),  # 1446 H
        (date(2025, 3, 31), "normal"),  # Idul Fitri
        (date(2027, 2, 15), "ramadan"),  # 1448 H, an estimate until the sidang isbat
    ],
)
def test_the_default_rules_know_ramadan_of_several_years(day: date, schedule: str) -> None:
    assert RULES.schedule_name_on(day) == schedule


def looked_at(day: date, as_of: str, *times: str) -> DailyAttendance:
    return daily_attendance(NIP, day, [punch(at(day, t)) for t in times], RULES, as_of=at(day, as_of))


def test_today_before_the_end_of_hours_has_no_psw_and_no_missing_arrival_yet() -> None:
    arrived = looked_at(MONDAY, "10:00", "07:25")
    assert (arrived.in_progress, arrived.psw_category, arrived.early_minutes) == (True, None, None)
    assert (arrived.tl_category, arrived.deduction_percent, arrived.no_record) == (None, Decimal(0), False)
    not_yet = looked_at(MONDAY, "08:00")
    assert (not_yet.tl_category, not_yet.psw_category, not_yet.no_record) == (None, None, False)


def test_a_late_arrival_is_banded_while_the_day_is_in_progress() -> None:
    late = looked_at(MONDAY, "09:00", "08:31")
    assert (late.in_progress, late.tl_category, late.psw_category, late.deduction_percent) == (
        True,
        "TL3",
        None,
        Decimal("1.5"),
    )


def test_a_leave_before_the_end_is_provisional_until_the_hours_end() -> None:
    # Out at 14:45 for an errand: not PSW3 while the employee can still punch at 16:05.
    errand = looked_at(MONDAY, "15:00", "07:25", "14:45")
    assert (errand.in_progress, errand.psw_category) == (True, None)
    finished = looked_at(MONDAY, "16:00", "07:25", "14:45")
    assert (finished.in_progress, finished.psw_category) == (False, "PSW3")


def test_once_the_hours_are_over_a_missing_leave_is_psw4_and_no_punch_is_no_record() -> None:
    assert looked_at(MONDAY, "16:00", "07:25").psw_category == "PSW4"
    assert looked_at(FRIDAY, "16:29", "07:25").in_progress  # Friday ends at 16:30
    absent = looked_at(MONDAY, "23:00")
    assert (absent.in_progress, absent.no_record, absent.tl_category, absent.psw_category) == (
        False,
        True,
        "TL4",
        "PSW4",
    )


def test_a_day_after_the_moment_looked_at_is_in_progress_and_a_weekend_never_is() -> None:
    tomorrow = daily_attendance(NIP, MONDAY + timedelta(days=1), [], RULES, as_of=at(MONDAY, "17:00"))
    assert (tomorrow.in_progress, tomorrow.no_record) == (True, False)
    assert not daily_attendance(NIP, SATURDAY, [], RULES, as_of=at(SATURDAY, "08:00")).in_progress
