"""Step and case due times in service time: breaks, Fridays, weekends, public holidays and cuti
bersama (DOMAIN.md "Service hours and SLA clocks", the seeds' "1 Hari"), and when to warn."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.routing.domain.sla import SlaClock

WIB = ZoneInfo("Asia/Jakarta")
CLOCK = SlaClock(load_calendar(), warning_fraction=0.25)


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        # DOMAIN.md's own examples (one working day = 6 service hours).
        ("2026-11-23 10:00", "2026-11-24 10:00"),
        ("2026-11-26 14:00", "2026-11-27 15:00"),  # Thursday into Friday's shorter hours
        ("2026-11-28 09:00", "2026-11-30 15:30"),  # Saturday: the clock starts Monday 08:00
        ("2026-11-23 07:00", "2026-11-23 15:30"),  # before opening
        ("2026-11-23 12:00", "2026-11-24 11:30"),  # in the break: starts 13:00
        ("2026-08-14 14:00", "2026-08-18 14:00"),  # Friday, then Monday 17 August (Kemerdekaan) closed
        ("2026-12-23 10:00", "2026-12-28 10:00"),  # cuti bersama 24 Dec, Natal 25 Dec, weekend
        ("2026-03-17 10:00", "2026-03-25 10:00"),  # Nyepi, cuti bersama and Idul Fitri 18-24 March
    ],
)
def test_a_one_day_case_is_due_after_six_service_hours(opened: str, due: str) -> None:
    clock = CLOCK.case(wib(opened), 1)
    assert clock is not None
    assert clock.due_at == wib(due)


@pytest.mark.parametrize(
    ("entered", "hours", "warn", "due"),
    [
        ("2026-11-23 08:00", 0.5, "2026-11-23 08:22:30", "2026-11-23 08:30"),
        ("2026-11-23 11:15", 0.5, "2026-11-23 13:07:30", "2026-11-23 13:15"),  # across Mon-Thu break
        ("2026-11-27 10:45", 1.0, "2026-11-27 13:30", "2026-11-27 13:45"),  # Friday's break 11:00-13:00
        ("2026-11-27 15:00", 1.0, "2026-11-30 08:15", "2026-11-30 08:30"),  # over the weekend
        ("2026-11-26 15:20", 0.5, "2026-11-27 08:42:30", "2026-11-27 08:50"),  # Friday opens 08:30
        ("2026-12-23 15:00", 1.0, "2026-12-28 08:15", "2026-12-28 08:30"),  # cuti bersama + Natal
        ("2026-05-13 15:30", 1.0, "2026-05-18 08:45", "2026-05-18 09:00"),  # Kenaikan + cuti bersama
    ],
)
def test_a_step_is_due_after_its_service_hours_and_warns_when_a_quarter_is_left(
    entered: str, hours: float, warn: str, due: str
) -> None:
    clock = CLOCK.step(wib(entered), hours)
    assert clock is not None
    assert (clock.warn_at, clock.due_at) == (wib(warn), wib(due))


def test_steps_and_cases_without_an_sla_have_no_clock() -> None:
    assert CLOCK.step(wib("2026-11-23 10:00"), None) is None
    assert CLOCK.case(wib("2026-11-23 10:00"), 0) is None  # the portal's "0 Hari kerja"


def test_a_deadline_someone_set_warns_in_service_time_or_else_in_wall_time() -> None:
    # Monday 10:00 to Tuesday 10:00 is 6 service hours: warn with 1.5 of them left.
    set_by_hand = CLOCK.until(wib("2026-11-23 10:00"), wib("2026-11-24 10:00"))
    assert set_by_hand.warn_at == wib("2026-11-24 08:30")
    # Saturday night to Sunday night the office never opens: a quarter of the wall time left.
    closed = CLOCK.until(wib("2026-11-28 20:00"), wib("2026-11-28 20:04"))
    assert closed.warn_at == wib("2026-11-28 20:03")
    assert closed.due_at == wib("2026-11-28 20:04")


def test_the_demo_scale_shortens_every_sla_in_the_same_proportion() -> None:
    fast = SlaClock(load_calendar(), warning_fraction=0.25, scale=0.001)
    step = fast.step(wib("2026-11-23 10:00"), 1.0)
    case = fast.case(wib("2026-11-23 10:00"), 1)
    assert step is not None
    assert case is not None
    assert step.due_at - wib("2026-11-23 10:00") == timedelta(seconds=3.6)
    assert case.due_at - wib("2026-11-23 10:00") == timedelta(seconds=21.6)


def test_escalation_spacing_is_counted_in_service_time() -> None:
    assert CLOCK.after(wib("2026-11-27 15:00"), 1.0) == wib("2026-11-30 08:30")
