from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from bkpsdm.common.db import COMMON_MIGRATIONS, Connection, apply_migrations, load_migrations, quote_schema
from bkpsdm.common.deadlines import Deadline

pytestmark = pytest.mark.integration


@pytest.fixture
async def deadline_schema(pool: asyncpg.Pool, schema: str) -> str:
    """The shared migrations (deadlines among them), plus a table where handlers leave effects
    (no unique key, so a deadline fired twice shows as two rows)."""
    await apply_migrations(pool, schema, load_migrations("common", COMMON_MIGRATIONS))
    async with pool.acquire() as conn:
        await conn.execute(
            f"CREATE TABLE {quote_schema(schema)}.effects"
            " (deadline_id bigint NOT NULL, aggregate_id text NOT NULL, kind text NOT NULL, payload jsonb)"
        )
    return schema


Handler = Callable[[Connection, Deadline], Awaitable[None]]


@pytest.fixture
def record_effect(deadline_schema: str) -> Handler:
    async def handler(conn: Connection, deadline: Deadline) -> None:
        await conn.execute(
            f"INSERT INTO {quote_schema(deadline_schema)}.effects VALUES ($1, $2, $3, $4::jsonb)",
            deadline.deadline_id,
            deadline.aggregate_id,
            deadline.kind,
            '{"seen": true}',
        )

    return handler
