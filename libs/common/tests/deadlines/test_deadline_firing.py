"""DeadlineFirer: fires what is due at its clock, exactly once across racing firers; a failing
handler's writes roll back, the row retries with backoff and is parked after max_attempts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.deadlines import Deadline, DeadlineFirer, cancel, retry_delay, schedule
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Handler = Callable[[Connection, Deadline], Awaitable[None]]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def effects(pool: asyncpg.Pool, schema: str) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT aggregate_id, kind FROM {quote_schema(schema)}.effects ORDER BY aggregate_id, kind"
        )
    return [(r["aggregate_id"], r["kind"]) for r in rows]


async def deadline_row(pool: asyncpg.Pool, schema: str, aggregate_id: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT * FROM {quote_schema(schema)}.deadlines WHERE aggregate_id = $1 ORDER BY deadline_id DESC",
            aggregate_id,
        )
    assert row is not None
    return row


def metric(name: str, schema: str, kind: str) -> float:
    return REGISTRY.get_sample_value(name, {"schema": schema, "kind": kind}) or 0.0


async def test_fire_due_fires_exactly_the_deadlines_due_at_its_clock(
    pool: asyncpg.Pool, deadline_schema: str, record_effect: Handler
) -> None:
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    seen: list[Deadline] = []

    async def handler(conn: Connection, deadline: Deadline) -> None:
        seen.append(deadline)
        await record_effect(conn, deadline)

    async with pool.acquire() as conn:
        await schedule(conn, deadline_schema, aggregate_id="late", kind="K", due_at=t0 - timedelta(minutes=1))
        await schedule(conn, deadline_schema, aggregate_id="now", kind="K", due_at=t0, payload={"step": 3})
        await schedule(conn, deadline_schema, aggregate_id="soon", kind="K", due_at=t0 + timedelta(seconds=1))
        await schedule(conn, deadline_schema, aggregate_id="moved", kind="K", due_at=t0 - timedelta(hours=1))
        await schedule(conn, deadline_schema, aggregate_id="moved", kind="K", due_at=t0 + timedelta(days=1))
        await schedule(
            conn, deadline_schema, aggregate_id="cancelled", kind="K", due_at=t0 - timedelta(hours=1)
        )
        await cancel(conn, deadline_schema, aggregate_id="cancelled")

    clock = Clock(t0)
    firer = DeadlineFirer(pool, deadline_schema, handler, clock=clock, batch_size=1)
    assert await firer.fire_due() == 2
    assert await effects(pool, deadline_schema) == [("late", "K"), ("now", "K")]
    assert [(d.aggregate_id, d.due_at, d.payload, d.attempts) for d in seen] == [
        ("late", t0 - timedelta(minutes=1), {}, 0),
        ("now", t0, {"step": 3}, 0),
    ]
    assert (await deadline_row(pool, deadline_schema, "now"))["fired_at"] == t0
    assert await firer.fire_due() == 0

    clock.now = t0 + timedelta(seconds=1)
    assert await firer.fire_due() == 1
    clock.now = t0 + timedelta(days=30)
    assert await firer.fire_due() == 1
    assert await effects(pool, deadline_schema) == [
        ("late", "K"),
        ("moved", "K"),
        ("now", "K"),
        ("soon", "K"),
    ]
    assert metric("bkpsdm_deadlines_fired_total", deadline_schema, "K") == 4


async def test_a_handler_scheduling_its_own_kind_again_adds_the_next_deadline(
    pool: asyncpg.Pool, deadline_schema: str, record_effect: Handler
) -> None:
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)

    async def remind_daily(conn: Connection, deadline: Deadline) -> None:
        await record_effect(conn, deadline)
        nth = deadline.payload["nth"]
        if nth < 3:
            await schedule(
                conn,
                deadline_schema,
                aggregate_id=deadline.aggregate_id,
                kind=deadline.kind,
                due_at=deadline.due_at + timedelta(days=1),
                payload={"nth": nth + 1},
            )

    async with pool.acquire() as conn:
        await schedule(
            conn, deadline_schema, aggregate_id="A-1", kind="REMINDER", due_at=t0, payload={"nth": 1}
        )
    clock = Clock(t0)
    firer = DeadlineFirer(pool, deadline_schema, remind_daily, clock=clock)
    fired = []
    for day in range(4):
        clock.now = t0 + timedelta(days=day)
        fired.append(await firer.fire_due())
    assert fired == [1, 1, 1, 0]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT due_at, fired_at FROM {quote_schema(deadline_schema)}.deadlines ORDER BY due_at"
        )
    assert [(r["due_at"], r["fired_at"]) for r in rows] == [(t0 + timedelta(days=d),) * 2 for d in range(3)]


async def test_two_firers_racing_on_the_same_rows_fire_each_exactly_once(
    pool: asyncpg.Pool, deadline_schema: str, record_effect: Handler
) -> None:
    count = 400
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    async with pool.acquire() as conn:
        for n in range(count):
            await schedule(
                conn, deadline_schema, aggregate_id=f"C-{n}", kind="K", due_at=t0 - timedelta(seconds=n)
            )

    async def slow_handler(conn: Connection, deadline: Deadline) -> None:
        await record_effect(conn, deadline)
        await asyncio.sleep(0.001)  # hold the claim a while, so the other firer runs meanwhile

    firers = [
        DeadlineFirer(pool, deadline_schema, slow_handler, clock=Clock(t0), batch_size=25) for _ in range(2)
    ]
    fired = await asyncio.gather(*(f.fire_due() for f in firers))

    assert sum(fired) == count
    assert all(n > 0 for n in fired), f"both firers took part: {fired}"
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT count(DISTINCT deadline_id), count(*) FROM {quote_schema(deadline_schema)}.effects"
        )
        unfired = await conn.fetchval(
            f"SELECT count(*) FROM {quote_schema(deadline_schema)}.deadlines WHERE fired_at IS NULL"
        )
    assert row is not None
    assert (row[0], row[1], unfired) == (count, count, 0)


async def test_a_failing_handler_rolls_back_its_writes_retries_with_backoff_then_parks(
    pool: asyncpg.Pool, deadline_schema: str, record_effect: Handler
) -> None:
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    broken = {"bad"}

    async def handler(conn: Connection, deadline: Deadline) -> None:
        await record_effect(conn, deadline)  # written first, so the rollback is what removes it
        if deadline.aggregate_id in broken:
            raise RuntimeError("layanan tujuan tidak tersedia")

    async with pool.acquire() as conn:
        await schedule(conn, deadline_schema, aggregate_id="bad", kind="FLAKY", due_at=t0)
        await schedule(conn, deadline_schema, aggregate_id="good", kind="FLAKY", due_at=t0)
    clock = Clock(t0)
    firer = DeadlineFirer(pool, deadline_schema, handler, clock=clock, max_attempts=3)

    # The good row in the same batch fires; the bad one leaves no effect and waits its backoff.
    assert await firer.fire_due() == 1
    assert await effects(pool, deadline_schema) == [("good", "FLAKY")]
    row = await deadline_row(pool, deadline_schema, "bad")
    assert (row["attempts"], row["last_error"], row["next_attempt_at"], row["parked_at"]) == (
        1,
        "layanan tujuan tidak tersedia",
        t0 + retry_delay(1),
        None,
    )
    assert metric("bkpsdm_deadlines_oldest_overdue_seconds", deadline_schema, "FLAKY") == 0.0

    clock.now = t0 + retry_delay(1) - timedelta(milliseconds=1)
    assert await firer.fire_due() == 0
    assert (await deadline_row(pool, deadline_schema, "bad"))["attempts"] == 1, (
        "not retried before its backoff"
    )
    assert metric("bkpsdm_deadlines_oldest_overdue_seconds", deadline_schema, "FLAKY") == pytest.approx(
        retry_delay(1).total_seconds(), abs=0.01
    )

    clock.now = t0 + retry_delay(1)
    await firer.fire_due()
    row = await deadline_row(pool, deadline_schema, "bad")
    assert (row["attempts"], row["next_attempt_at"]) == (2, clock.now + retry_delay(2))
    assert retry_delay(2) == 2 * retry_delay(1)

    clock.now = row["next_attempt_at"]
    await firer.fire_due()
    row = await deadline_row(pool, deadline_schema, "bad")
    assert (row["attempts"], row["parked_at"], row["fired_at"]) == (3, clock.now, None)
    assert metric("bkpsdm_deadlines_parked", deadline_schema, "FLAKY") == 1
    assert metric("bkpsdm_deadlines_handler_failures_total", deadline_schema, "FLAKY") == 3

    # Parked: never tried again by itself, never dropped.
    clock.now += timedelta(days=365)
    broken.clear()
    assert await firer.fire_due() == 0
    assert metric("bkpsdm_deadlines_oldest_overdue_seconds", deadline_schema, "FLAKY") == 0.0

    # Scheduling the same (aggregate, kind) again re-arms it.
    async with pool.acquire() as conn:
        await schedule(conn, deadline_schema, aggregate_id="bad", kind="FLAKY", due_at=clock.now)
    assert await firer.fire_due() == 1
    assert metric("bkpsdm_deadlines_parked", deadline_schema, "FLAKY") == 0
    assert await effects(pool, deadline_schema) == [("bad", "FLAKY"), ("good", "FLAKY")]


async def test_a_parked_deadline_can_be_cancelled(pool: asyncpg.Pool, deadline_schema: str) -> None:
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)

    async def failing(conn: Connection, deadline: Deadline) -> None:
        raise RuntimeError("gagal")

    async with pool.acquire() as conn:
        await schedule(conn, deadline_schema, aggregate_id="C-1", kind="K", due_at=t0)
    await DeadlineFirer(pool, deadline_schema, failing, clock=Clock(t0), max_attempts=1).fire_due()
    assert (await deadline_row(pool, deadline_schema, "C-1"))["parked_at"] == t0
    async with pool.acquire() as conn:
        assert await cancel(conn, deadline_schema, aggregate_id="C-1") == 1


async def test_the_running_firer_is_woken_by_a_new_deadline_and_sleeps_until_the_next_one(
    pool: asyncpg.Pool, deadline_schema: str, record_effect: Handler
) -> None:
    fired_at: dict[str, datetime] = {}

    async def handler(conn: Connection, deadline: Deadline) -> None:
        fired_at[deadline.aggregate_id] = datetime.now(UTC)
        await record_effect(conn, deadline)

    # Polling alone would take a minute: what fires sooner was woken by NOTIFY or by its due time.
    firer = DeadlineFirer(pool, deadline_schema, handler, idle_interval=60)
    await firer.start()
    try:
        await asyncio.sleep(0.3)  # the loop is waiting now
        now = datetime.now(UTC)
        async with pool.acquire() as conn, conn.transaction():
            await schedule(conn, deadline_schema, aggregate_id="now", kind="K", due_at=now)
            await schedule(
                conn, deadline_schema, aggregate_id="later", kind="K", due_at=now + timedelta(seconds=1)
            )

        async def both_fired() -> bool:
            return len(await effects(pool, deadline_schema)) == 2

        await eventually(both_fired, 10, "both deadlines to fire")
    finally:
        await firer.stop()
    assert fired_at["now"] - now < timedelta(seconds=3)
    assert now + timedelta(seconds=1) <= fired_at["later"] < now + timedelta(seconds=4)


def test_retry_delay_doubles_up_to_its_cap() -> None:
    delays = [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 30)]
    assert delays == [5, 10, 20, 40, 3600]
