"""Time left on a step, in service hours, and the inbox order (overdue first)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.console.domain.sla import by_due, service_hours_phrase, time_left

WIB = ZoneInfo("Asia/Jakarta")
CALENDAR = load_calendar()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)  # 2026-11-23 is a Monday


@pytest.mark.parametrize(
    ("now", "due", "overdue", "text"),
    [
        (at(23, 9), at(23, 10, 30), False, "sisa 1 jam 30 menit waktu layanan"),
        # The break (11:30-13:00 Monday to Thursday) does not count.
        (at(23, 11), at(23, 13, 30), False, "sisa 1 jam waktu layanan"),
        # Friday 15:00 to Monday 08:30: half an hour on Friday and half an hour on Monday.
        (at(27, 15), at(30, 8, 30), False, "sisa 1 jam waktu layanan"),
        (at(23, 14), at(23, 13, 45), True, "terlambat 15 menit waktu layanan"),
        # Overdue since Friday afternoon, seen on Monday morning: only service time counts.
        (at(30, 8, 15), at(27, 15, 15), True, "terlambat 30 menit waktu layanan"),
        (at(23, 9), at(23, 9), True, "terlambat kurang dari 1 menit waktu layanan"),
    ],
)
def test_time_left_counts_service_hours_only(now: datetime, due: datetime, overdue: bool, text: str) -> None:
    left = time_left(CALENDAR, now, due)
    assert left.overdue is overdue
    assert left.text == text


@pytest.mark.parametrize(
    ("minutes", "phrase"),
    [
        (0, "kurang dari 1 menit waktu layanan"),
        (5, "5 menit waktu layanan"),
        (60, "1 jam waktu layanan"),
        (390, "6 jam 30 menit waktu layanan"),
    ],
)
def test_service_hours_phrase(minutes: int, phrase: str) -> None:
    assert service_hours_phrase(timedelta(minutes=minutes)) == phrase


def test_inbox_order_is_overdue_first_then_soonest_due_then_undated() -> None:
    now = at(23, 10)
    items = {
        "later": at(24, 9),
        "none": None,
        "overdue-a-little": at(23, 9, 30),
        "soon": at(23, 10, 30),
        "overdue-long": at(20, 9),
    }
    ordered = by_due(items, lambda name: items[name], now)
    assert ordered == ["overdue-long", "overdue-a-little", "soon", "later", "none"]
