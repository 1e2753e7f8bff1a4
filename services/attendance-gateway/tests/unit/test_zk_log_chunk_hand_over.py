"""A big log leaves the worker in chunks before the session's result (the gateway stores one
while the next is on its way): every punch exactly once, in log order, the last chunk with
the result."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bkpsdm.attendance_gateway.adapters.workers import SessionWorkers
from bkpsdm.attendance_gateway.adapters.zk_session import LogChunk, SessionJob, SessionMessage, run_session
from bkpsdm.simulators.zk_terminal import FleetThread, Terminal, TerminalConfig


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    config = TerminalConfig(serial="CH1", users=10, days=1, first_day=date(2026, 11, 2), seed=7)
    with FleetThread([Terminal(config)]) as ft:
        yield ft


def job(fleet: FleetThread, chunk_size: int) -> SessionJob:
    return SessionJob(
        address="127.0.0.1", port=fleet.ports[0], udp=False, comm_key=0, timeout_s=5, chunk_size=chunk_size
    )


@pytest.mark.parametrize(
    ("records", "chunk_size", "chunks", "kept"),
    [
        (12_345, 5000, [5000, 5000], 2345),
        (10_000, 5000, [5000], 5000),  # a full last chunk stays with the result
        (5000, 5000, [], 5000),  # one chunk's worth: nothing streamed
        (12_345, 0, [], 12_345),  # not asked for: the whole log with the result
    ],
)
async def test_a_big_log_is_handed_over_in_chunks_each_punch_once_in_order(
    fleet: FleetThread, records: int, chunk_size: int, chunks: list[int], kept: int
) -> None:
    fleet.set_faults(0, bulk_log_records=records)
    whole = run_session(job(fleet, 0))
    assert whole.log is not None
    received: list[SessionMessage] = []
    workers = SessionWorkers(1)
    try:
        result = await workers.run(job(fleet, chunk_size), 60, received.append)
    finally:
        await workers.close()

    assert result.ok
    assert result.log is not None
    assert all(isinstance(m, LogChunk) and m.serial == "CH1" for m in received)
    streamed = [m for m in received if isinstance(m, LogChunk)]
    assert [len(c.punches) for c in streamed] == chunks
    assert len(result.log.punches) == kept
    assert [p for c in streamed for p in c.punches] + result.log.punches == whole.log.punches
    assert (result.log.count, result.log.last_record) == (records, whole.log.last_record)
