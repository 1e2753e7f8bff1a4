"""The relay keeps each key's order on the topic however the keys are spread, and a record
Kafka refuses in the middle of a key's backlog is never overtaken by the rows behind it."""

from __future__ import annotations

import json
from collections import defaultdict

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from bkpsdm.common.db import quote_schema
from bkpsdm.common.kafka_admin import delete_topics, read_topic
from bkpsdm.common.outbox import OutboxRelay, enqueue, idempotent_producer_factory
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.probe import ProbeEvent, enqueue_probes, pending_outbox, probe_topic_spec
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def first_sightings(records: list) -> dict[bytes, list[int]]:  # type: ignore[type-arg]
    """Per key, the seqs in the order a consumer first sees them (duplicates skipped, as the
    inbox would)."""
    order: dict[bytes, list[int]] = defaultdict(list)
    seen: set[int] = set()
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        seq = json.loads(record.value)["seq"]
        if seq not in seen:
            seen.add(seq)
            order[record.key].append(seq)
    return order


@pytest.mark.parametrize("keys", [1, 10, 10_000])
async def test_the_background_relay_keeps_every_keys_order_on_the_topic(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec, keys: int
) -> None:
    events = 3000
    await enqueue_probes(pool, probe_schema, probe_topic, range(events), keys=keys, per_tx=500)
    relay = OutboxRelay(
        pool,
        probe_schema,
        idempotent_producer_factory(infra.kafka_bootstrap_servers, "order-test"),
        batch_size=200,
        poll_interval_s=0.2,
    )
    await relay.start()
    try:

        async def drained() -> bool:
            return await pending_outbox(pool, probe_schema) == 0

        await eventually(drained, 60, "the relay to publish everything")
    finally:
        await relay.stop()
    records = await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)
    assert len(records) == events, "each event published once"
    order = first_sightings(records)
    assert len(order) == min(keys, events)
    assert all(seqs == sorted(seqs) for seqs in order.values()), "per-key order kept"


async def test_a_record_refused_in_the_middle_of_a_keys_backlog_holds_back_only_that_key(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec
) -> None:
    # One partition accepting records of at most 2,000 bytes: a 5 KB event is refused by the
    # broker (not by the client), in the middle of key "k"'s backlog.
    small = probe_topic_spec(f"{probe_topic.name}-small", partitions=1)
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(small.name, 1, 1, topic_configs={"max.message.bytes": "2000"})])
        backlog = [
            ("k", ""),
            ("k", ""),
            ("k", "x" * 5000),
            ("k", ""),
            ("k", ""),
            ("other", ""),
            ("other", ""),
        ]
        async with pool.acquire() as conn, conn.transaction():
            for seq, (key, padding) in enumerate(backlog):
                await enqueue(
                    conn,
                    probe_schema,
                    small,
                    ProbeEvent(seq=seq, key=key, padding=padding),
                    source="/tests",
                    correlation_id=None,
                )
        relay = OutboxRelay(
            pool,
            probe_schema,
            idempotent_producer_factory(infra.kafka_bootstrap_servers, "refusal-test"),
            poll_interval_s=0.2,
            park_after=2,
        )
        await relay.start()
        try:

            async def parked_and_others_through() -> bool:
                _, parked = await relay.observe()
                return parked == 1 and await pending_outbox(pool, probe_schema) == 3

            await eventually(parked_and_others_through, 60, "the big row parked, the other key through")
            # On the topic: k's rows before the refused one, and the other key; nothing of k after it.
            on_topic = first_sightings(await read_topic(infra.kafka_bootstrap_servers, small.name))
            assert on_topic[b"k"] == [0, 1]
            assert on_topic[b"other"] == [5, 6]

            # The operator fixes the cause (a larger limit) and releases the parked row.
            await admin.alter_configs(
                [
                    ConfigResource(
                        ConfigResourceType.TOPIC, small.name, configs={"max.message.bytes": "1048588"}
                    )
                ]
            )
            async with pool.acquire() as conn:
                await conn.execute(
                    f"UPDATE {quote_schema(probe_schema)}.outbox SET parked_at = NULL, attempts = 0"
                )

            async def drained() -> bool:
                return await pending_outbox(pool, probe_schema) == 0

            await eventually(drained, 60, "the released row and the ones behind it to go out")
        finally:
            await relay.stop()
        on_topic = first_sightings(await read_topic(infra.kafka_bootstrap_servers, small.name))
        assert on_topic[b"k"] == [0, 1, 2, 3, 4], "the refused row was never overtaken"
        assert on_topic[b"other"] == [5, 6]
    finally:
        await admin.close()
        await delete_topics(infra.kafka_bootstrap_servers, [small.name])
