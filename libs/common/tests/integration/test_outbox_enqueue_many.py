"""`enqueue_many`: many events in one COPY, each row as `enqueue` writes it, under the same
contract checks (a refused event writes nothing), and published by the relay like any row."""

from __future__ import annotations

import json
from collections import Counter
from typing import ClassVar

import asyncpg
import pytest

from bkpsdm.common.db import quote_schema
from bkpsdm.common.events import Event
from bkpsdm.common.kafka_admin import read_topic
from bkpsdm.common.outbox import (
    MAX_EVENT_BYTES,
    ContractViolation,
    EventTooLarge,
    OutboxRelay,
    enqueue,
    enqueue_many,
    idempotent_producer_factory,
)
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.probe import ProbeEvent

pytestmark = pytest.mark.integration

COLUMNS = "aggregatetype, aggregateid, type, topic, payload, headers - 'ce_id' - 'ce_time' AS headers, slot"


class Stranger(Event):
    event_type: ClassVar[str] = "id.go.bkpsdm.testing.stranger.v1"
    key: str = "k"


async def rows(pool: asyncpg.Pool, schema: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(f"SELECT id, {COLUMNS} FROM {quote_schema(schema)}.outbox ORDER BY seq")


async def test_many_events_are_written_as_enqueue_writes_each_and_published_in_order(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec
) -> None:
    events = [ProbeEvent(seq=seq, key=f"key-{seq % 7}") for seq in range(500)]
    async with pool.acquire() as conn, conn.transaction():
        ids = await enqueue_many(
            conn, probe_schema, probe_topic, events, source="/tests", correlation_id="cid-1"
        )
        single = await enqueue(
            conn, probe_schema, probe_topic, events[0], source="/tests", correlation_id="cid-1"
        )

    written = await rows(pool, probe_schema)
    assert [str(r["id"]) for r in written] == [*ids, single]
    assert len(set(ids)) == 500
    as_enqueue_writes = {k: v for k, v in written[-1].items() if k != "id"}
    assert {k: v for k, v in written[0].items() if k != "id"} == as_enqueue_writes
    assert [json.loads(r["payload"])["seq"] for r in written[:-1]] == list(range(500))
    assert Counter(r["aggregateid"] for r in written[:-1]) == Counter(f"key-{s % 7}" for s in range(500))

    relay = OutboxRelay(pool, probe_schema, idempotent_producer_factory(infra.kafka_bootstrap_servers, "t"))
    try:
        assert await relay.drain() == 501
    finally:
        await relay.stop()
    records = await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)
    per_key: dict[str, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        per_key.setdefault((record.key or b"").decode(), []).append(json.loads(record.value or b"{}")["seq"])
    expected = {f"key-{k}": list(range(k, 500, 7)) for k in range(7)}
    expected["key-0"].append(0)  # the one `enqueue` wrote last
    assert per_key == expected


@pytest.mark.parametrize(
    ("bad", "refusal"),
    [
        (Stranger(), ContractViolation),  # the topic does not carry it
        (ProbeEvent(seq=1, key=""), ContractViolation),  # no key
        (ProbeEvent(seq=1, key="k", padding="x" * MAX_EVENT_BYTES), EventTooLarge),
    ],
)
async def test_one_event_failing_the_contract_refuses_the_whole_batch(
    pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec, bad: Event, refusal: type[Exception]
) -> None:
    good = [ProbeEvent(seq=seq, key="k") for seq in range(3)]
    async with pool.acquire() as conn:
        with pytest.raises(refusal):
            await enqueue_many(conn, probe_schema, probe_topic, [*good, bad, *good], source="/tests")
    assert await rows(pool, probe_schema) == []


async def test_no_events_write_nothing(pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec) -> None:
    async with pool.acquire() as conn:
        assert await enqueue_many(conn, probe_schema, probe_topic, iter(()), source="/tests") == []
    assert await rows(pool, probe_schema) == []
