"""Requests about one terminal: diagnosis for routing's repair workflow, time sync, punches held until mapped."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from bkpsdm.common.contracts import (
    ATTENDANCE_PUNCHES,
    TERMINAL_REQUESTS,
    TERMINAL_STATUS,
    TerminalDiagnosisRequested,
)
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.simulators.zk_terminal import FleetThread
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Readers = Callable[[str], Awaitable[Any]]  # conftest's TopicReader
Register = Callable[..., Awaitable[list[str]]]


async def request_diagnosis(infra: Infra, terminal_id: str) -> str:
    request = TerminalDiagnosisRequested(
        request_id=str(uuid.uuid4()),
        terminal_id=terminal_id,
        case_id="PERBAIKAN-7",
        requested_at=datetime.now(UTC),
    )
    meta = EventMetadata(type=request.event_type, source="/tests/routing", correlation_id="cid-repair")
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            TERMINAL_REQUESTS.name,
            request.model_dump_json().encode(),
            key=terminal_id.encode(),
            headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
        )
    finally:
        await producer.stop()
    return request.request_id


async def test_a_diagnosis_request_is_answered_with_what_the_terminal_says(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
    infra: Infra,
) -> None:
    _, client = gateway
    fleet = make_fleet(2, users=5, days=2, first_day=date(2026, 11, 2))
    fleet.set_faults(0, clock_skew_s=120)
    fleet.set_faults(1, silent=True)
    status = await readers(TERMINAL_STATUS.name)
    healthy, silent = await register(client, fleet, poll_interval_s=600)
    asked = {await request_diagnosis(infra, healthy): healthy, await request_diagnosis(infra, silent): silent}
    unknown = await request_diagnosis(infra, str(uuid.uuid4()))

    def answers(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {
            r["request_id"]: r
            for r in records
            if r["headers"]["ce_type"].endswith("terminal-diagnosed.v1")
            and r["request_id"] in {*asked, unknown}
        }

    await status.read_until(lambda rs: len(answers(rs)) == 3, 60)
    got = answers(status.records)
    by_terminal = {asked[k]: v for k, v in got.items() if k in asked}
    ok = by_terminal[healthy]
    assert ok["reachable"] is True
    assert ok["case_id"] == "PERBAIKAN-7"
    assert ok["terminal_serial"] == fleet.terminal(0).config.serial
    assert ok["firmware"] == "Ver 6.60 Apr 28 2016"
    assert ok["drift_seconds"] == pytest.approx(120, abs=3)
    assert ok["records"] == len(fleet.terminal(0).punches)
    assert ok["users"] == 5
    assert ok["records_free"] == ok["records_capacity"] - ok["records"]
    assert (by_terminal[silent]["reachable"], by_terminal[silent]["reason"]) == (False, "TIMEOUT")
    assert (got[unknown]["reachable"], got[unknown]["reason"]) == (False, "TERMINAL_NOT_FOUND")


async def test_time_sync_on_request_corrects_a_skewed_clock(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    register: Register,
) -> None:
    _, client = gateway
    fleet = make_fleet(1, users=2, days=1, first_day=date(2026, 11, 2))
    fleet.set_faults(0, clock_skew_s=-900)
    [terminal_id] = await register(client, fleet, poll_interval_s=600, time_zone="Asia/Makassar")
    synced = await client.post(f"/api/v1/terminals/{terminal_id}/time-sync")
    assert synced.status_code == 200, synced.text
    assert abs(synced.json()["drift_s"]) <= 2
    assert synced.json()["terminal_time"].endswith("+08:00")
    missing = await client.post(f"/api/v1/terminals/{uuid.uuid4()}/time-sync")
    assert (missing.status_code, missing.json()["code"]) == (404, "TERMINAL_NOT_FOUND")


async def test_punches_of_an_unmapped_user_wait_and_go_out_once_mapped(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
) -> None:
    _, client = gateway
    fleet = make_fleet(1, users=3, days=2, first_day=date(2026, 11, 2))
    punches = await readers(ATTENDANCE_PUNCHES.name)
    [terminal_id] = await register(client, fleet, poll_interval_s=600, map_users=False)

    async def polled() -> bool:
        board = (await client.get("/api/v1/terminal-health")).json()
        return bool(board[0]["status"] == "ONLINE")

    await eventually(polled, 20, "the terminal to be polled")
    await punches.settle(1.0)
    assert [r for r in punches.records if r["terminal_id"] == terminal_id] == []

    nip = "198503152010011001"
    mapped = await client.put(
        f"/api/v1/terminals/{terminal_id}/users", json={"users": [{"user_id": "1001", "nip": nip}]}
    )
    expected = sum(1 for p in fleet.terminal(0).punches if p.user_id == "1001")
    assert mapped.json() == {"mapped": 1, "released_punches": expected}
    await punches.read_until(
        lambda rs: len([r for r in rs if r["terminal_id"] == terminal_id]) >= expected, 20
    )
    await punches.settle(1.0)
    mine = [r for r in punches.records if r["terminal_id"] == terminal_id]
    assert len(mine) == expected
    assert {(r["nip"], r["key"], r["user_id"]) for r in mine} == {(nip, nip, "1001")}


async def test_a_log_is_cleared_only_once_all_of_it_is_published_and_nothing_is_lost(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
) -> None:
    _, client = gateway
    fleet = make_fleet(2, users=4, days=2, first_day=date(2026, 11, 2))
    first_log = {
        f"{fleet.terminal(0).config.serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}"
        for p in fleet.terminal(0).punches
    }
    punches = await readers(ATTENDANCE_PUNCHES.name)
    keeping, clearing = await register(client, fleet, poll_interval_s=5, clear_log_after_publish=False)
    opted_in = await client.put(
        f"/api/v1/terminals/{clearing}",
        json={
            "name": "Mesin 1",
            "address": "127.0.0.1",
            "port": fleet.ports[1],
            "unit": "Dinas 1",
            "poll_interval_s": 5,
            "clear_log_after_publish": True,
        },
    )
    assert opted_in.json()["clear_log_after_publish"] is True
    second_log = {
        f"{fleet.terminal(1).config.serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}"
        for p in fleet.terminal(1).punches
    }

    async def cleared() -> bool:
        return fleet.call(lambda: len(fleet.terminal(1).punches)) == 0

    await eventually(cleared, 30, "the opted-in terminal's log to be cleared")
    assert fleet.call(lambda: len(fleet.terminal(0).punches)) == len(first_log)  # not opted in: kept
    late = [fleet.record_punch(1, "1001"), fleet.record_punch(1, "1002", punch=1)]
    late_keys = {
        f"{fleet.terminal(1).config.serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}" for p in late
    }
    wanted = first_log | second_log | late_keys
    await punches.read_until(lambda rs: wanted <= {r["idempotency_key"] for r in rs}, 30)
    await punches.settle(1.0)
    mine = [r["idempotency_key"] for r in punches.records if r["terminal_id"] in (keeping, clearing)]
    assert sorted(mine) == sorted(wanted)  # every punch once: none lost to the clear, none twice


async def test_live_capture_delivers_at_once_and_the_full_pull_reconciles_what_it_missed(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
    make_fleet: Callable[..., FleetThread],
    readers: Readers,
    register: Register,
) -> None:
    _, client = gateway
    fleet = make_fleet(1, users=4, days=1, first_day=date(2026, 11, 2))
    serial = fleet.terminal(0).config.serial
    punches = await readers(ATTENDANCE_PUNCHES.name)
    status = await readers(TERMINAL_STATUS.name)
    [terminal_id] = await register(client, fleet, poll_interval_s=5, live_capture=True)

    async def capturing() -> bool:
        return bool(fleet.call(lambda: fleet.terminal(0).capturing_sessions))

    def key(p: Any) -> str:
        return f"{serial}|{p.user_id}|{p.timestamp.isoformat()}|{p.punch}"

    await eventually(capturing, 20, "live capture to start")
    live = fleet.record_punch(0, "1001")
    punched = time.monotonic()
    await punches.read_until(lambda rs: key(live) in {r["idempotency_key"] for r in rs}, 10)
    assert key(live) in {r["idempotency_key"] for r in punches.records}
    assert time.monotonic() - punched < 4  # before the window ended: delivered live

    # Capture dies as after a terminal restart: the punches still reach the log, and the next full pull.
    fleet.set_faults(0, capture_silent=True)
    missed = [fleet.record_punch(0, user, punch=1) for user in ("1001", "1002", "1003")]
    wanted = {key(p) for p in fleet.terminal(0).punches}

    def silent_reported(rs: list[dict[str, Any]]) -> bool:
        return any(r["terminal_id"] == terminal_id and r.get("reason") == "CAPTURE_SILENT" for r in rs)

    await status.read_until(silent_reported, 30)
    assert silent_reported(status.records)
    await punches.read_until(lambda rs: wanted <= {r["idempotency_key"] for r in rs}, 20)
    await punches.settle(1.0)
    mine = [r["idempotency_key"] for r in punches.records if r["terminal_id"] == terminal_id]
    assert sorted(mine) == sorted(wanted)  # the log, the live punch and the missed ones: each once
    assert {key(p) for p in missed} <= set(mine)
