"""A firer process SIGKILLed mid-run loses nothing and doubles nothing: its open batch rolls
back with the handler's writes, and another firer fires the rest exactly once."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.deadlines import Deadline, DeadlineFirer, schedule
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ManagedProcess
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COUNT = 1500
CHILD = Path(__file__).with_name("deadline_firer_child.py")


async def counts(pool: asyncpg.Pool, schema: str) -> tuple[int, int, int]:
    """(distinct deadlines with an effect, effects, deadlines marked fired)."""
    q = quote_schema(schema)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT (SELECT count(DISTINCT deadline_id) FROM {q}.effects),"
            f" (SELECT count(*) FROM {q}.effects),"
            f" (SELECT count(*) FROM {q}.deadlines WHERE fired_at IS NOT NULL)"
        )
    assert row is not None
    return row[0], row[1], row[2]


async def test_firer_killed_mid_run_leaves_every_deadline_fired_exactly_once(
    infra: Infra,
    pool: asyncpg.Pool,
    deadline_schema: str,
    record_effect: Callable[[Connection, Deadline], Awaitable[None]],
    log_dir: Path,
) -> None:
    due = datetime.now(UTC) - timedelta(minutes=1)
    async with pool.acquire() as conn, conn.transaction():
        for n in range(COUNT):
            await schedule(conn, deadline_schema, aggregate_id=f"C-{n}", kind="STEP_BREACH:1", due_at=due)

    child = ManagedProcess(
        [sys.executable, str(CHILD), deadline_schema],
        {"DATABASE_URL": infra.database_url},
        log_dir / "deadline-firer-child.log",
    ).start()
    try:

        async def some_fired() -> bool:
            return (await counts(pool, deadline_schema))[1] >= 200

        await eventually(some_fired, 20, "the child firer to make progress")
        child.kill()
    finally:
        child.kill()
    assert child.wait_exit(5) == -9

    distinct, total, fired = await counts(pool, deadline_schema)
    assert fired < COUNT, "killed mid-run"
    # Every committed batch carries its effects and its marks; the open one left neither.
    assert distinct == total == fired

    survivor = DeadlineFirer(pool, deadline_schema, record_effect, batch_size=200)

    async def all_fired() -> bool:
        # PostgreSQL ends the dead firer's session by itself; until then its rows are skipped.
        await survivor.fire_due()
        return (await counts(pool, deadline_schema))[2] == COUNT

    await eventually(all_fired, 10, "the surviving firer to fire the rest")
    assert await counts(pool, deadline_schema) == (COUNT, COUNT, COUNT)
    assert "firer.ready" in child.log_text()
