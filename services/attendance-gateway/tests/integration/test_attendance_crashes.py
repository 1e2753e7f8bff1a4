"""A 100,000-record log, a gateway SIGKILLed mid-pull, and two gateways sharing terminals when one dies."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from bkpsdm.common.contracts import ATTENDANCE_PUNCHES
from bkpsdm.simulators.zk_terminal import FleetThread
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Readers = Callable[[str], Awaitable[Any]]  # conftest's TopicReader
Register = Callable[..., Awaitable[list[str]]]


def log_keys(fleet: FleetThread, index: int) -> set[str]:
    terminal = fleet.terminal(index)
    return {
        f"{terminal.config.serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}" for p in terminal.punches
    }


def events_per_key(records: list[dict[str, Any]], ids: set[str]) -> dict[str, set[str]]:
    """Idempotency key -> the distinct event ids that carried it."""
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["terminal_id"] in ids:
            seen[r["idempotency_key"]].add(r["headers"]["ce_id"])
    return seen


async def test_a_100000_record_log_is_pulled_and_published_once(
    gateway_processes: Callable[..., ServiceProcess],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
    technician_headers: dict[str, str],
) -> None:
    fleet = make_fleet(1, users=200, first_day=date(2025, 1, 6))
    fleet.set_faults(0, bulk_log_records=100_000)
    expected = log_keys(fleet, 0)
    assert len(expected) == 100_000
    punches = await readers(ATTENDANCE_PUNCHES.name)
    gateway = gateway_processes()  # its own process: the simulator and this reader share ours
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=technician_headers, timeout=30) as client:
        ids = set(await register(client, fleet, poll_interval_s=600))

    await punches.read_until(lambda rs: len(events_per_key(rs, ids)) >= len(expected), 150)
    elapsed = time.monotonic() - started
    seen = events_per_key(punches.records, ids)
    assert set(seen) == expected
    assert all(len(events) == 1 for events in seen.values())
    print(f"100,000 records from the terminal to the topic in {elapsed:.1f} s")


async def test_a_gateway_killed_mid_pull_and_restarted_publishes_every_punch_once(
    gateway_processes: Callable[..., ServiceProcess],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
    technician_headers: dict[str, str],
    pool: asyncpg.Pool,
    schema: str,
) -> None:
    fleet = make_fleet(2, users=100, first_day=date(2025, 1, 6))
    fleet.set_faults(0, bulk_log_records=40_000)
    fleet.set_faults(1, bulk_log_records=40_000)
    expected = log_keys(fleet, 0) | log_keys(fleet, 1)
    punches = await readers(ATTENDANCE_PUNCHES.name)
    first = gateway_processes(punch_batch_size=2000)
    async with httpx.AsyncClient(base_url=first.base_url, headers=technician_headers, timeout=30) as client:
        ids = set(await register(client, fleet, poll_interval_s=600))

    async def part_stored() -> bool:
        async with pool.acquire() as conn:
            stored = await conn.fetchval(f'SELECT count(*) FROM "{schema}".punches')
        return bool(0 < stored < len(expected))

    await eventually(part_stored, 60, "part of the logs to be stored")
    first.kill()
    async with pool.acquire() as conn:
        stored_at_kill = await conn.fetchval(f'SELECT count(*) FROM "{schema}".punches')
    assert 0 < stored_at_kill < len(expected)

    gateway_processes(punch_batch_size=2000)
    await punches.read_until(lambda rs: len(events_per_key(rs, ids)) >= len(expected), 120)
    await punches.settle(2.0)
    seen = events_per_key(punches.records, ids)
    assert set(seen) == expected  # none missing
    assert all(len(events) == 1 for events in seen.values())  # each punch announced by one event only
    # ... and that event is on the topic once: the restarted relay found what the killed one
    # had published without marking, and did not publish it again.
    assert sum(1 for r in punches.records if r["terminal_id"] in ids) == len(expected)
    async with pool.acquire() as conn:
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".punches') == len(expected)


async def test_two_gateways_share_the_terminals_and_one_takes_over_when_the_other_is_killed(
    gateway_processes: Callable[..., ServiceProcess],
    make_fleet: Callable[..., FleetThread],
    register: Register,
    technician_headers: dict[str, str],
    pool: asyncpg.Pool,
    schema: str,
) -> None:
    fleet = make_fleet(12, users=10, days=2, first_day=date(2026, 11, 2))
    for index in range(12):
        # A second session while one is open is refused: polling one terminal twice at once would show.
        fleet.set_faults(index, single_session="refuse", reply_delay_s=0.05)
    a = gateway_processes(poll_workers=3)
    gateway_processes(poll_workers=3)
    async with httpx.AsyncClient(base_url=a.base_url, headers=technician_headers, timeout=30) as client:
        await register(client, fleet, poll_interval_s=5)

    async def owners() -> set[str]:
        async with pool.acquire() as conn:
            rows = await conn.fetch(f'SELECT DISTINCT owner FROM "{schema}".polls')
        return {r["owner"] for r in rows}

    async def both_polling() -> bool:
        return len(await owners()) == 2

    await eventually(both_polling, 60, "both gateways to poll")
    pid_a = str(a.proc.pid if a.proc else "")
    a.kill()
    killed_at = datetime.now(UTC)
    await asyncio.sleep(0.5)

    async def all_taken_over() -> bool:
        async with pool.acquire() as conn:
            polled = await conn.fetchval(
                f'SELECT count(DISTINCT terminal_id) FROM "{schema}".polls WHERE started_at > $1', killed_at
            )
        return bool(polled == 12)

    await eventually(all_taken_over, 30, "the surviving gateway to poll every terminal")
    async with pool.acquire() as conn:
        polls = await conn.fetch(
            f'SELECT terminal_id, owner, started_at, finished_at, outcome FROM "{schema}".polls ORDER BY started_at'
        )
    assert {p["outcome"] for p in polls} == {"OK"}  # never refused: no terminal had two sessions at once
    after = [p for p in polls if p["started_at"] > killed_at]
    assert all(f":{pid_a}:" not in p["owner"] for p in after)
    by_terminal: defaultdict[str, list[Any]] = defaultdict(list)
    for p in polls:
        by_terminal[str(p["terminal_id"])].append(p)
    for sessions in by_terminal.values():
        for earlier, later in itertools.pairwise(sessions):
            assert earlier["finished_at"] <= later["started_at"]
