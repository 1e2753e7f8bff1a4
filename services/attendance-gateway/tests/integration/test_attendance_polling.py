"""Polling real pyzk sessions against simulated terminals, through real PostgreSQL and Kafka."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from bkpsdm.common.contracts import ATTENDANCE_PUNCHES, TERMINAL_STATUS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.simulators.zk_terminal import FleetThread
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Readers = Callable[[str], Awaitable[Any]]  # conftest's TopicReader
Register = Callable[..., Awaitable[list[str]]]


def expected_keys(fleet: FleetThread, index: int) -> set[str]:
    terminal = fleet.terminal(index)
    return {
        f"{terminal.config.serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}" for p in terminal.punches
    }


def of_terminals(records: list[dict[str, Any]], ids: list[str]) -> list[dict[str, Any]]:
    wanted = set(ids)
    return [r for r in records if r["terminal_id"] in wanted]


async def test_fifty_terminals_are_polled_at_once_and_each_punch_is_published_once(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    pool: asyncpg.Pool,
    schema: str,
    register: Register,
) -> None:
    _, client = gateway
    fleet = make_fleet(50, users=10, days=3, first_day=date(2026, 11, 2))
    expected = set().union(*(expected_keys(fleet, i) for i in range(50)))
    punches = await readers(ATTENDANCE_PUNCHES.name)
    started = time.monotonic()
    ids = await register(client, fleet, poll_interval_s=600)

    records = await punches.read_until(lambda rs: len(of_terminals(rs, ids)) >= len(expected), 90)
    elapsed = time.monotonic() - started
    await punches.settle(1.0)
    mine = of_terminals(punches.records, ids)
    keys = Counter(r["idempotency_key"] for r in mine)
    assert set(keys) == expected
    assert max(keys.values()) == 1
    sample = mine[0]
    assert sample["key"] == sample["nip"]
    assert sample["punched_at"].endswith("+07:00")
    assert sample["headers"]["ce_type"] == "id.go.bkpsdm.attendance.punched.v1"

    async with pool.acquire() as conn:
        polls = await conn.fetch(f'SELECT terminal_id, started_at, finished_at FROM "{schema}".polls')
    assert len(polls) == 50  # one poll each (interval 600 s)
    overlapping = max(
        sum(1 for q in polls if q["started_at"] <= p["started_at"] < q["finished_at"]) for p in polls
    )
    assert overlapping > 1  # sessions ran side by side in worker processes
    board = (await client.get("/api/v1/terminal-health")).json()
    assert Counter(h["status"] for h in board) == {"ONLINE": 50}
    print(
        f"50 terminals, {len(expected)} punches on the topic in {elapsed:.1f} s; {overlapping} sessions at once"
    )
    assert len(records) >= len(expected)


async def test_each_fault_yields_its_health_event_and_leaves_the_other_terminals_alone(
    gateway_factory: Callable[..., Any],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
    technician_headers: dict[str, str],
) -> None:
    faults: list[dict[str, Any]] = [
        {},  # healthy
        {"silent": True},
        {"corrupt_timestamp_every": 10},
        {"newer_firmware_records": True},
        {"ack_error_on_buffered_read": True},
        {"close_mid_chunk": "fin", "bulk_log_records": 3000},  # pyzk spins: the worker is killed
        {"clock_skew_s": 900},
        {"udp_only": True},
    ]
    fleet = make_fleet(len(faults), users=10, days=3, first_day=date(2026, 11, 2))
    for index, switches in enumerate(faults):
        if switches:
            fleet.set_faults(index, **switches)
    status = await readers(TERMINAL_STATUS.name)
    punches = await readers(ATTENDANCE_PUNCHES.name)
    async with gateway_factory(session_deadline_s=4.0, error_streak_threshold=2) as (_, client):
        client.headers.update(technician_headers)
        ids = await register(client, fleet, poll_interval_s=5)

        def by(kind: str, index: int) -> list[dict[str, Any]]:
            return [
                r
                for r in status.records
                if r["terminal_id"] == ids[index] and r["headers"]["ce_type"].endswith(f".{kind}.v1")
            ]

        def all_seen(_: list[dict[str, Any]]) -> bool:
            return (
                bool(by("terminal-error-streak", 1))
                and bool(by("terminal-error-streak", 5))
                and bool(by("terminal-records-rejected", 2))
                and bool(by("terminal-clock-drifted", 6))
                and bool(by("terminal-health-changed", 7))
                and bool(by("terminal-health-changed", 4))
            )

        await status.read_until(all_seen, 60)
        board = {h["terminal_id"]: h for h in (await client.get("/api/v1/terminal-health")).json()}

    def health(index: int) -> tuple[str, str | None]:
        first = by("terminal-health-changed", index)[0]
        return first["status"], first["reason"]

    assert health(0) == ("ONLINE", None)
    assert health(1) == ("OFFLINE", "TIMEOUT")
    assert health(2) == ("FAULTY", "BAD_RECORDS")
    assert health(3) == ("ONLINE", None)  # 49-byte records read by the compatibility layer
    assert health(4) == ("FAULTY", "PROTOCOL_ERROR")
    assert health(5) == ("FAULTY", "DEADLINE_EXCEEDED")
    assert health(6) == ("ONLINE", None)
    assert health(7)[0] == "OFFLINE"
    assert by("terminal-records-rejected", 2)[0]["rejected"] == len(fleet.terminal(2).punches) // 10
    assert by("terminal-clock-drifted", 6)[0]["drift_seconds"] == pytest.approx(900, abs=3)
    assert board[ids[6]]["clock_drift_alert"] is True
    assert board[ids[1]]["failure_streak"] >= 2

    # The healthy terminal, the 49-byte one, the skewed one and the good records of the corrupt one all arrive.
    good_of_2 = {k for n, k in enumerate(sorted_keys(fleet, 2)) if (n + 1) % 10 != 0}
    wanted = expected_keys(fleet, 0) | expected_keys(fleet, 3) | expected_keys(fleet, 6) | good_of_2
    await punches.read_until(lambda rs: wanted <= {r["idempotency_key"] for r in rs}, 30)
    assert wanted <= {r["idempotency_key"] for r in punches.records}


def sorted_keys(fleet: FleetThread, index: int) -> list[str]:
    terminal = fleet.terminal(index)
    return [
        f"{terminal.config.serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}" for p in terminal.punches
    ]


async def test_the_poll_waits_in_the_board_until_the_next_interval(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    register: Register,
) -> None:
    _, client = gateway
    fleet = make_fleet(1, users=3, days=1, first_day=date(2026, 11, 2))
    [terminal_id] = await register(client, fleet, poll_interval_s=600)

    async def online() -> bool:
        board = (await client.get("/api/v1/terminal-health")).json()
        return bool(board) and board[0]["status"] == "ONLINE"

    await eventually(online, 20, "the terminal to be polled")
    [row] = (await client.get("/api/v1/terminal-health")).json()
    assert row["terminal_id"] == terminal_id
    assert row["serial"] == fleet.terminal(0).config.serial
    assert row["records"] == len(fleet.terminal(0).punches)
    assert row["polled_by"] is None
