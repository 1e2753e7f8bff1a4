"""Start-up setup: versioned migrations per schema applied once under an advisory lock, and
topics whose creation Kafka refuses stopping the start."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bkpsdm.common.db import Migration, MigrationError, apply_migrations, quote_schema
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

MIGRATIONS = [
    Migration("svc:0001_agenda", "CREATE TABLE agenda (seq integer PRIMARY KEY, year integer NOT NULL);"),
    Migration("svc:0002_agenda_unit", "ALTER TABLE agenda ADD COLUMN unit text;"),
]


async def test_replicas_starting_together_apply_each_migration_once(pool: asyncpg.Pool, schema: str) -> None:
    results = await asyncio.gather(*(apply_migrations(pool, schema, MIGRATIONS) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 2], "one replica applied both, the others none"
    async with pool.acquire() as conn:
        versions = await conn.fetch(
            f"SELECT version FROM {quote_schema(schema)}.schema_migrations ORDER BY 1"
        )
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'agenda'",
            schema,
        )
    assert [v["version"] for v in versions] == ["svc:0001_agenda", "svc:0002_agenda_unit"]
    assert {c["column_name"] for c in columns} == {"seq", "year", "unit"}


async def test_a_changed_migration_that_was_applied_stops_the_start(pool: asyncpg.Pool, schema: str) -> None:
    await apply_migrations(pool, schema, MIGRATIONS)
    edited = [
        MIGRATIONS[0],
        Migration("svc:0002_agenda_unit", "ALTER TABLE agenda ADD COLUMN unit_kerja text;"),
    ]
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await apply_migrations(pool, schema, edited)


async def test_a_failing_migration_leaves_nothing_half_applied(pool: asyncpg.Pool, schema: str) -> None:
    broken = [*MIGRATIONS, Migration("svc:0003_broken", "ALTER TABLE agenda ADD COLUMN x int; SELECT 1/0;")]
    with pytest.raises(asyncpg.DivisionByZeroError):
        await apply_migrations(pool, schema, broken)
    async with pool.acquire() as conn:
        applied = await conn.fetchval(f"SELECT count(*) FROM {quote_schema(schema)}.schema_migrations")
        has_x = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'x'",
            schema,
        )
    assert applied == 2
    assert has_x == 0


async def test_topics_kafka_refuses_to_create_stop_the_start(infra: Infra) -> None:
    from bkpsdm.common.kafka_admin import TopicSetupError, ensure_topics
    from bkpsdm.common.topics import TopicRegistry, TopicSpec
    from bkpsdm.testing.kafka import unique_name

    registry = TopicRegistry()
    registry.register(TopicSpec(name=unique_name("test.replicas"), key="k", owner="t", description="d"))
    with pytest.raises(TopicSetupError, match="replication factor"):
        await ensure_topics(infra.kafka_bootstrap_servers, registry, replication_factor=3)
