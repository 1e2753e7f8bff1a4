"""pyzk sessions in worker processes against the simulator: hard deadlines, the device re-enabled, faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import date

import pytest

from bkpsdm.attendance_gateway.adapters.workers import SessionWorkers
from bkpsdm.attendance_gateway.adapters.zk_session import SessionJob, SessionMessage, run_session
from bkpsdm.simulators.zk_terminal import FleetThread, RecordLayout, Terminal, TerminalConfig, UserLayout


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    configs = [
        TerminalConfig(serial=f"W{i}", users=10, days=3, first_day=date(2026, 11, 2), seed=i)
        for i in range(3)
    ]
    with FleetThread([Terminal(c) for c in configs]) as ft:
        yield ft


def job(fleet: FleetThread, index: int, **kw: object) -> SessionJob:
    return SessionJob(address="127.0.0.1", port=fleet.ports[index], udp=False, comm_key=0, timeout_s=1, **kw)  # type: ignore[arg-type]


async def test_a_spinning_session_is_killed_at_its_deadline_without_delaying_the_others(
    fleet: FleetThread,
) -> None:
    fleet.set_faults(0, close_mid_chunk="fin", bulk_log_records=3000)  # pyzk spins forever on this
    workers = SessionWorkers(2)
    try:
        await asyncio.gather(workers.run(job(fleet, 1), 30), workers.run(job(fleet, 2), 30))  # warm both
        started = time.monotonic()
        stuck, healthy = await asyncio.gather(workers.run(job(fleet, 0), 2.0), workers.run(job(fleet, 1), 30))
        assert healthy.ok
        assert healthy.log is not None
        assert len(healthy.log.punches) == len(fleet.terminal(1).punches)
        assert (stuck.ok, stuck.reason) == (False, "DEADLINE_EXCEEDED")
        assert 2.0 <= time.monotonic() - started < 10
        assert workers.killed == 1
        again = await workers.run(job(fleet, 2), 30)  # a fresh worker replaced the killed one
        assert again.ok
    finally:
        await workers.close()


def test_the_device_is_enabled_again_after_a_read_and_after_a_failed_read(fleet: FleetThread) -> None:
    assert run_session(job(fleet, 0)).ok
    assert fleet.call(lambda: fleet.terminal(0).enabled)
    fleet.set_faults(0, ack_error_on_buffered_read=True)
    failed = run_session(job(fleet, 0))
    assert (failed.ok, failed.reason) == (False, "PROTOCOL_ERROR")
    assert fleet.call(lambda: fleet.terminal(0).enabled)
    assert fleet.call(lambda: fleet.terminal(0).open_sessions) == 0


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        ({"silent": True}, "TIMEOUT"),
        ({"udp_only": True}, "UNREACHABLE"),
        ({"single_session": "refuse"}, "SESSION_REFUSED"),
    ],
)
def test_session_failures_have_stable_reasons(
    fleet: FleetThread, faults: dict[str, object], reason: str
) -> None:
    fleet.set_faults(0, **faults)
    if faults.get("single_session"):
        from zk import ZK

        first = ZK("127.0.0.1", port=fleet.ports[0], timeout=1, ommit_ping=True).connect()
        try:
            assert run_session(job(fleet, 0)).reason == reason
        finally:
            first.disconnect()
        return
    assert run_session(job(fleet, 0)).reason == reason


def test_a_wrong_comm_key_fails_authentication() -> None:
    with FleetThread([Terminal(TerminalConfig(serial="K", comm_key=4321, users=2, days=1))]) as ft:
        wrong = run_session(SessionJob("127.0.0.1", ft.ports[0], False, 1234, 1))
        right = run_session(SessionJob("127.0.0.1", ft.ports[0], False, 4321, 1))
    assert (wrong.ok, wrong.reason) == (False, "AUTH_FAILED")
    assert right.ok
    assert right.serial == "K"


def test_time_sync_sets_the_terminal_clock_to_its_zone(fleet: FleetThread) -> None:
    fleet.set_faults(0, clock_skew_s=-3600)
    skewed = run_session(job(fleet, 0, action="diagnose", time_zone="Asia/Jakarta"))
    synced = run_session(job(fleet, 0, action="sync_time", time_zone="Asia/Jakarta"))
    assert skewed.terminal_time is not None
    assert synced.terminal_time is not None
    assert (synced.terminal_time - skewed.terminal_time).total_seconds() == pytest.approx(3600, abs=5)


@pytest.mark.parametrize(
    ("layout", "users", "faults"),
    [
        (RecordLayout.OLD, UserLayout.ZK6, {}),
        (RecordLayout.ZK6, UserLayout.ZK6, {}),
        (RecordLayout.ZK6, UserLayout.ZK6, {"reported_record_count": 7}),  # pyzk 0.9 misreads this log
        (RecordLayout.ZK8, UserLayout.ZK8, {"reported_record_count": 0}),  # pyzk 0.9 returns nothing
        (RecordLayout.ZK8, UserLayout.ZK8, {"newer_firmware_records": True}),  # 49-byte records
        (RecordLayout.ZK8, UserLayout.ZK8, {"non_utf8_names": True}),
    ],
)
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_every_layout_and_count_fault_reads_the_whole_log(
    layout: RecordLayout, users: UserLayout, faults: dict[str, object], udp: bool
) -> None:
    config = TerminalConfig(
        serial="L", user_layout=users, record_layout=layout, users=12, days=4, first_day=date(2026, 11, 2)
    )
    with FleetThread([Terminal(config)]) as ft:
        if faults:
            ft.set_faults(0, **faults)
        result = run_session(SessionJob("127.0.0.1", ft.ports[0], udp, 0, 1))
        expected = [(p.user_id, p.timestamp, p.punch) for p in ft.terminal(0).punches]
    assert result.ok, result.detail
    assert result.log is not None
    assert [(p.user_id, p.timestamp, p.punch_state) for p in result.log.punches] == expected
    assert result.log.rejected == []


def punch_when_capturing(fleet: FleetThread, index: int, user_id: str) -> None:
    deadline = time.monotonic() + 10
    while fleet.call(lambda: fleet.terminal(index).capturing_sessions) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    fleet.record_punch(index, user_id)


async def test_a_capture_session_reads_the_log_then_streams_live_punches(fleet: FleetThread) -> None:
    workers = SessionWorkers(1)
    received: list[SessionMessage] = []
    try:
        pusher = asyncio.create_task(asyncio.to_thread(punch_when_capturing, fleet, 0, "1003"))
        result = await workers.run(job(fleet, 0, action="capture", capture_s=2.0), 30, received.append)
        await pusher
    finally:
        await workers.close()
    assert result.ok, result.detail
    assert result.log is not None
    assert (
        len(result.log.punches) == len(fleet.terminal(0).punches) - 1
    )  # the log as it was, then the live one
    assert [(m[0], m[1]) if isinstance(m, tuple) else m for m in received] == [("W0", "1003")]
    assert result.extra["live_events"] == 1
    assert fleet.call(lambda: fleet.terminal(0).enabled)
