"""A probe event and its effect table, used to count effects in reliability tests.

The effect is an upsert that increments `applied`: an event applied twice shows
`applied = 2`, so "exactly once" is something a test can count, not assume.
"""

from __future__ import annotations

from typing import ClassVar

import asyncpg
from aiokafka import AIOKafkaProducer

from bkpsdm.common.db import (
    COMMON_MIGRATIONS,
    Connection,
    Migration,
    apply_migrations,
    load_migrations,
    quote_schema,
)
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.inbox import first_delivery
from bkpsdm.common.outbox import enqueue
from bkpsdm.common.topics import TopicSpec

PROBE_MIGRATION = Migration(
    "probe:0001_effects",
    "CREATE TABLE effects (event_id text PRIMARY KEY, seq integer NOT NULL, "
    "applied integer NOT NULL, first_applied_at timestamptz NOT NULL DEFAULT clock_timestamp());",
)


class ProbeEvent(Event):
    event_type: ClassVar[str] = "id.go.bkpsdm.testing.probe.v1"

    seq: int
    key: str = ""  # the Kafka key of probe topics (`probe_topic_spec`)
    padding: str = ""


def probe_topic_spec(name: str, partitions: int = 3) -> TopicSpec:
    """A test topic carrying probe events, keyed by their `key`."""
    return TopicSpec(
        name=name, key="key", owner="tests", description="probe", partitions=partitions, events=(ProbeEvent,)
    )


async def prepare_probe_schema(pool: asyncpg.Pool, schema: str) -> None:
    await apply_migrations(pool, schema, [*load_migrations("common", COMMON_MIGRATIONS), PROBE_MIGRATION])


async def apply_probe(
    conn: Connection, schema: str, group: str, event: ProbeEvent, meta: EventMetadata
) -> bool:
    """The handler's effect, inside one transaction with the inbox record. True if applied."""
    async with conn.transaction():
        if not await first_delivery(conn, schema, group, meta):
            return False
        await conn.execute(
            f"INSERT INTO {quote_schema(schema)}.effects (event_id, seq, applied) VALUES ($1, $2, 1)"
            " ON CONFLICT (event_id) DO UPDATE SET applied = effects.applied + 1",
            meta.id,
            event.seq,
        )
        return True


async def effect_counts(conn: Connection, schema: str) -> tuple[int, int, int]:
    """(distinct events applied, total applications, events applied more than once)."""
    row = await conn.fetchrow(
        f"SELECT count(*) AS n, coalesce(sum(applied), 0) AS total,"
        f" count(*) FILTER (WHERE applied > 1) AS doubled FROM {quote_schema(schema)}.effects"
    )
    assert row is not None
    return int(row["n"]), int(row["total"]), int(row["doubled"])


async def enqueue_probes(
    pool: asyncpg.Pool, schema: str, topic: TopicSpec, seqs: range, *, keys: int = 20, per_tx: int = 100
) -> None:
    """Write probe events through the outbox, `per_tx` per transaction, keys cycling."""
    seq_list = list(seqs)
    for start in range(0, len(seq_list), per_tx):
        async with pool.acquire() as conn, conn.transaction():
            for seq in seq_list[start : start + per_tx]:
                await enqueue(
                    conn,
                    schema,
                    topic,
                    ProbeEvent(seq=seq, key=f"key-{seq % keys}"),
                    source="/tests",
                    correlation_id=f"cid-{seq}",
                    aggregate_type="probe",
                )


async def pending_outbox(pool: asyncpg.Pool, schema: str) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(f"SELECT count(*) FROM {quote_schema(schema)}.outbox WHERE sent_at IS NULL")
        )


def probe_record(
    seq: int, *, keys: int = 7, padding: str = ""
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) of probe event `seq` as a producer would publish it directly."""
    meta = EventMetadata(type=ProbeEvent.event_type, source="/tests", correlation_id=f"cid-{seq}")
    headers = [(k, v.encode()) for k, v in meta.to_headers().items()]
    key = f"key-{seq % keys}"
    return (key.encode(), ProbeEvent(seq=seq, key=key, padding=padding).model_dump_json().encode(), headers)


async def publish_probes(producer: AIOKafkaProducer, topic: str, seqs: range, *, keys: int = 7) -> None:
    """Publish probe events straight to Kafka (no outbox): what a consumer test consumes."""
    for seq in seqs:
        key, value, headers = probe_record(seq, keys=keys)
        await producer.send(topic, value, key=key, headers=headers)
    await producer.flush()
