"""What one poll's outcome announces: health transitions, error streaks, clock drift, rejected records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.attendance_gateway.adapters.repository import Lease
from bkpsdm.attendance_gateway.adapters.zk_log import ParsedLog, RawPunch, Rejected
from bkpsdm.attendance_gateway.adapters.zk_session import SessionResult
from bkpsdm.attendance_gateway.domain.terminal import new_terminal
from bkpsdm.attendance_gateway.service import PollPolicy, poll_health
from bkpsdm.common.contracts import TerminalClockDrifted

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TERMINAL = new_terminal(
    {
        "name": "Lobi",
        "address": "10.0.0.5",
        "port": 4370,
        "transport": "tcp",
        "comm_key": 0,
        "time_zone": "Asia/Jakarta",
        "poll_interval_s": 60,
        "unit": "BKPSDM",
        "enabled": True,
    }
)
TERMINAL_ZONE = ZoneInfo("Asia/Jakarta")
POLICY = PollPolicy(drift_threshold_s=60, error_streak_threshold=3)


def lease(
    status: str = "ONLINE", reason: str | None = None, streak: int = 0, drift_alert: bool = False
) -> Lease:
    return Lease(TERMINAL, "me", 1, 0, None, status, reason, streak, drift_alert, None)


def ok(drift_s: float = 0, rejected: int = 0) -> SessionResult:
    terminal_time = (NOW + timedelta(seconds=drift_s)).astimezone(TERMINAL_ZONE).replace(tzinfo=None)
    log = ParsedLog(
        40,
        [RawPunch(0, "1", datetime(2026, 11, 2, 7, 30), 1, 0)],
        [Rejected(i + 1, "TIMESTAMP_INVALID") for i in range(rejected)],
        False,
        1 + rejected,
    )
    return SessionResult(ok=True, serial="S1", terminal_time=terminal_time, gateway_time=NOW, log=log)


def failed(reason: str) -> SessionResult:
    return SessionResult(ok=False, reason=reason, detail="x")


def kinds(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


@pytest.mark.parametrize(
    ("before", "result", "status", "reason", "streak", "announced"),
    [
        (lease("UNKNOWN"), ok(), "ONLINE", None, 0, ["TerminalHealthChanged"]),
        (lease(), ok(), "ONLINE", None, 0, []),
        (lease(), failed("TIMEOUT"), "OFFLINE", "TIMEOUT", 1, ["TerminalHealthChanged"]),
        (lease(), failed("UNREACHABLE"), "OFFLINE", "UNREACHABLE", 1, ["TerminalHealthChanged"]),
        (lease("OFFLINE", "TIMEOUT", 1), failed("TIMEOUT"), "OFFLINE", "TIMEOUT", 2, []),
        (lease("OFFLINE", "TIMEOUT", 2), failed("TIMEOUT"), "OFFLINE", "TIMEOUT", 3, ["TerminalErrorStreak"]),
        (lease("OFFLINE", "TIMEOUT", 3), failed("TIMEOUT"), "OFFLINE", "TIMEOUT", 4, []),
        (lease("OFFLINE", "TIMEOUT", 5), ok(), "ONLINE", None, 0, ["TerminalHealthChanged"]),
        (lease(), failed("PROTOCOL_ERROR"), "FAULTY", "PROTOCOL_ERROR", 1, ["TerminalHealthChanged"]),
        (lease(), failed("DEADLINE_EXCEEDED"), "FAULTY", "DEADLINE_EXCEEDED", 1, ["TerminalHealthChanged"]),
        (
            lease("FAULTY", "PROTOCOL_ERROR", 1),
            failed("AUTH_FAILED"),
            "FAULTY",
            "AUTH_FAILED",
            2,
            ["TerminalHealthChanged"],
        ),
        (
            lease(),
            ok(rejected=2),
            "FAULTY",
            "BAD_RECORDS",
            1,
            ["TerminalHealthChanged", "TerminalRecordsRejected"],
        ),
    ],
)
def test_health_transitions(
    before: Lease, result: SessionResult, status: str, reason: str | None, streak: int, announced: list[str]
) -> None:
    got_status, got_reason, _, got_streak, _, _, events = poll_health(before, result, POLICY, NOW)
    assert (got_status, got_reason, got_streak) == (status, reason, streak)
    assert kinds(events) == announced


@pytest.mark.parametrize(
    ("drift_s", "was_alert", "alert", "announced"),
    [
        (0, False, False, []),
        (59, False, False, []),
        (61, False, True, ["TerminalClockDrifted"]),
        (-3600, False, True, ["TerminalClockDrifted"]),
        (61, True, True, []),  # announced once, when the clock went off
        (5, True, False, []),  # back in time: the alert re-arms
    ],
)
def test_clock_drift_is_measured_every_poll_and_announced_past_the_threshold(
    drift_s: float, was_alert: bool, alert: bool, announced: list[str]
) -> None:
    _, _, _, _, drift, drift_alert, events = poll_health(
        lease(drift_alert=was_alert), ok(drift_s), POLICY, NOW
    )
    assert drift == pytest.approx(drift_s, abs=0.1)
    assert drift_alert is alert
    assert kinds(events) == announced
    if announced:
        [event] = events
        assert isinstance(event, TerminalClockDrifted)
        assert event.terminal_time.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("before", "now", "announced"),
    [
        (None, 50_000, []),
        (None, 90_000, ["TerminalLogNearlyFull"]),
        (89_999, 90_000, ["TerminalLogNearlyFull"]),
        (90_000, 95_000, []),  # announced once, when it crossed
        (95_000, 10, []),  # cleared
    ],
)
def test_a_nearly_full_log_is_announced_when_it_crosses_the_ratio(
    before: int | None, now: int, announced: list[str]
) -> None:
    previous = Lease(TERMINAL, "me", 1, 0, None, "ONLINE", None, 0, False, None, before, 100_000)
    result = ok()
    result.records, result.records_capacity = now, 100_000
    *_, events = poll_health(previous, result, POLICY, NOW)
    assert kinds(events) == announced


@pytest.mark.parametrize(
    ("before", "missed", "status", "reason", "announced"),
    [
        (lease(), 0, "ONLINE", None, []),
        (lease(), 2, "ONLINE", None, []),  # a punch between two sessions: not yet a silent capture
        (lease(), 3, "ONLINE", "CAPTURE_SILENT", ["TerminalHealthChanged"]),
        (lease("ONLINE", "CAPTURE_SILENT"), 5, "ONLINE", "CAPTURE_SILENT", []),
        (lease("ONLINE", "CAPTURE_SILENT"), 0, "ONLINE", None, ["TerminalHealthChanged"]),  # heard again
    ],
)
def test_a_silent_live_capture_is_reported_while_the_terminal_stays_online(
    before: Lease, missed: int, status: str, reason: str | None, announced: list[str]
) -> None:
    got_status, got_reason, _, streak, _, _, events = poll_health(before, ok(), POLICY, NOW, missed)
    assert (got_status, got_reason, streak) == (status, reason, 0)
    assert kinds(events) == announced
