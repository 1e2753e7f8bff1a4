"""schedule/cancel in the caller's transaction: one open deadline per (aggregate, kind)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.deadlines import cancel, schedule

pytestmark = pytest.mark.integration

DUE = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


async def open_rows(conn: Connection, schema: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT aggregate_id, kind, due_at, payload::text AS payload FROM {quote_schema(schema)}.deadlines"
        " WHERE fired_at IS NULL AND cancelled_at IS NULL ORDER BY aggregate_id, kind"
    )


async def test_scheduling_the_same_aggregate_and_kind_again_moves_the_deadline(
    pool: asyncpg.Pool, deadline_schema: str
) -> None:
    async with pool.acquire() as conn:
        await schedule(conn, deadline_schema, aggregate_id="C-1", kind="STEP_WARNING", due_at=DUE)
        await schedule(
            conn,
            deadline_schema,
            aggregate_id="C-1",
            kind="STEP_WARNING",
            due_at=DUE + timedelta(days=2),
            payload={"step": 2},
        )
        await schedule(conn, deadline_schema, aggregate_id="C-1", kind="STEP_BREACH:1", due_at=DUE)
        rows = await open_rows(conn, deadline_schema)
    assert [(r["aggregate_id"], r["kind"], r["due_at"], r["payload"]) for r in rows] == [
        ("C-1", "STEP_BREACH:1", DUE, "{}"),
        ("C-1", "STEP_WARNING", DUE + timedelta(days=2), '{"step": 2}'),
    ]


async def test_due_at_in_another_zone_is_stored_as_the_same_instant(
    pool: asyncpg.Pool, deadline_schema: str
) -> None:
    wib = timezone(timedelta(hours=7))
    async with pool.acquire() as conn:
        await schedule(
            conn,
            deadline_schema,
            aggregate_id="C-1",
            kind="K",
            due_at=datetime(2025, 3, 3, 15, 0, tzinfo=wib),
        )
        (row,) = await open_rows(conn, deadline_schema)
    assert row["due_at"] == DUE


async def test_a_naive_due_at_is_refused(pool: asyncpg.Pool, deadline_schema: str) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(ValueError, match="timezone-aware"):
            await schedule(conn, deadline_schema, aggregate_id="C-1", kind="K", due_at=datetime(2025, 3, 3))


async def test_cancel_by_kind_or_for_every_kind_counts_open_deadlines_only(
    pool: asyncpg.Pool, deadline_schema: str
) -> None:
    async with pool.acquire() as conn:
        for kind in ("A", "B", "C"):
            await schedule(conn, deadline_schema, aggregate_id="C-1", kind=kind, due_at=DUE)
        await schedule(conn, deadline_schema, aggregate_id="C-2", kind="A", due_at=DUE)

        assert await cancel(conn, deadline_schema, aggregate_id="C-1", kind="A") == 1
        assert await cancel(conn, deadline_schema, aggregate_id="C-1", kind="A") == 0
        assert await cancel(conn, deadline_schema, aggregate_id="C-1") == 2
        assert await cancel(conn, deadline_schema, aggregate_id="C-9") == 0
        rows = await open_rows(conn, deadline_schema)
    assert [(r["aggregate_id"], r["kind"]) for r in rows] == [("C-2", "A")]


async def test_schedule_rolls_back_with_the_callers_transaction(
    pool: asyncpg.Pool, deadline_schema: str
) -> None:
    async def failing_use_case(conn: Connection) -> None:
        async with conn.transaction():
            await schedule(conn, deadline_schema, aggregate_id="C-1", kind="K", due_at=DUE)
            raise RuntimeError("state change failed")

    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="state change failed"):
            await failing_use_case(conn)
        assert await open_rows(conn, deadline_schema) == []


async def test_after_cancelling_the_kind_can_be_scheduled_afresh(
    pool: asyncpg.Pool, deadline_schema: str
) -> None:
    async with pool.acquire() as conn:
        await schedule(conn, deadline_schema, aggregate_id="C-1", kind="K", due_at=DUE)
        await cancel(conn, deadline_schema, aggregate_id="C-1")
        await schedule(conn, deadline_schema, aggregate_id="C-1", kind="K", due_at=DUE + timedelta(hours=1))
        rows = await open_rows(conn, deadline_schema)
        total = await conn.fetchval(f"SELECT count(*) FROM {quote_schema(deadline_schema)}.deadlines")
    assert [r["due_at"] for r in rows] == [DUE + timedelta(hours=1)]
    assert total == 2
