"""SLA clocks on the service calendar (DOMAIN.md): warning and due times in service hours, the
rules file validated when loaded."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.complaints.domain.sla import SlaClock, auto_close_at, default_rules, load_rules, plan_clock

WIB = ZoneInfo("Asia/Jakarta")
CALENDAR = load_calendar()
RULES = default_rules()


def test_the_default_rules_are_sp4n_lapors() -> None:
    assert (
        RULES.verify_working_days,
        RULES.follow_up_working_days,
        RULES.auto_close_working_days,
        RULES.warning_before_working_days,
    ) == (3, 5, 10, 1)
    assert "Perpres 76/2013" in RULES.source


@pytest.mark.parametrize(
    ("clock", "start", "warning", "due"),
    [
        # Monday 09:00: 3 days = 18 service hours -> Thursday 09:00; warning 6 hours earlier.
        (
            SlaClock.VERIFIKASI,
            datetime(2026, 11, 30, 9, 0),
            datetime(2026, 12, 2, 9, 0),
            datetime(2026, 12, 3, 9, 0),
        ),
        # Saturday: the clock starts at Monday's opening (08:00).
        (
            SlaClock.VERIFIKASI,
            datetime(2026, 11, 28, 9, 0),
            datetime(2026, 12, 1, 15, 30),
            datetime(2026, 12, 2, 15, 30),
        ),
        # Monday 09:00 + 30 hours; Friday has 5 service hours: next Monday 10:00.
        (
            SlaClock.TINDAK_LANJUT,
            datetime(2026, 11, 30, 9, 0),
            datetime(2026, 12, 4, 9, 30),
            datetime(2026, 12, 7, 10, 0),
        ),
    ],
)
def test_clocks_run_in_service_hours(
    clock: SlaClock, start: datetime, warning: datetime, due: datetime
) -> None:
    plan = plan_clock(CALENDAR, RULES, clock, start.replace(tzinfo=WIB))
    assert (plan.warning_at, plan.due_at) == (warning.replace(tzinfo=WIB), due.replace(tzinfo=WIB))


def test_a_resumed_clock_runs_only_what_was_left() -> None:
    start = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
    plan = plan_clock(CALENDAR, RULES, SlaClock.VERIFIKASI, start, remaining=timedelta(hours=2))
    assert plan.due_at == datetime(2026, 11, 30, 11, 0, tzinfo=WIB)
    assert plan.warning_at == start  # less left than the warning: it warns at once


def test_auto_close_is_ten_working_days_after_the_answer() -> None:
    answered = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
    closes = auto_close_at(CALENDAR, RULES, answered)
    assert CALENDAR.service_time_between(answered, closes) == timedelta(hours=60)
    # 60 service hours from Monday 09:00; each of the two Fridays has one hour less: Monday 11:00.
    assert closes == datetime(2026, 12, 14, 11, 0, tzinfo=WIB)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(WIB)))
def test_the_warning_never_comes_after_the_due_time_and_both_are_service_time_apart(start: datetime) -> None:
    for clock in SlaClock:
        plan = plan_clock(CALENDAR, RULES, clock, start)
        assert start <= plan.warning_at < plan.due_at
        assert CALENDAR.service_time_between(plan.warning_at, plan.due_at) == CALENDAR.working_days(1)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("warning_before_working_days", 3, "shorter than each clock"),
        ("verify_working_days", 0, "greater than 0"),
        ("version", "", "at least 1 character"),
        ("extra", 1, "Extra inputs"),
    ],
)
def test_an_inconsistent_rules_file_is_refused_when_loaded(field: str, value: object, problem: str) -> None:
    document = json.loads(RULES.model_dump_json()) | {field: value}
    with pytest.raises(ValidationError, match=problem):
        load_rules(json.dumps(document))
