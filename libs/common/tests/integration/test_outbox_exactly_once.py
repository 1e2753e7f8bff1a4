"""An event written through the outbox takes effect exactly once at a consumer, even when
the relay is killed mid-batch and when the consumer dies before committing its offset."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from bkpsdm.common.db import quote_schema
from bkpsdm.common.kafka_admin import read_topic
from bkpsdm.common.outbox import enqueue
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.probe import (
    ProbeEvent,
    effect_counts,
    enqueue_probes,
    pending_outbox,
    probe_topic_spec,
    publish_probes,
)
from bkpsdm.testing.processes import WorkerFactory
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = 2000


@pytest.mark.parametrize(
    ("keys", "reconcile"),
    [(20, True), (1, True), (20, False)],
    ids=["20-keys", "one-key-burst", "20-keys-no-topic-check"],
)
async def test_relay_killed_mid_batch_publishes_each_event_once_and_effects_stay_exactly_once(
    infra: Infra,
    pool: asyncpg.Pool,
    probe_schema: str,
    probe_topic: TopicSpec,
    worker: WorkerFactory,
    keys: int,
    reconcile: bool,
) -> None:
    """The restarted relay finds on the topic the events its predecessor published without
    marking them, and does not publish them again. Without that check (`--no-reconcile`)
    they go out twice, and the consumer's inbox still applies each once."""
    await enqueue_probes(pool, probe_schema, probe_topic, range(EVENTS), keys=keys)

    # The relay dies once 700 events reached the broker, before their batch was marked sent.
    crashing = worker("relay", "--schema", probe_schema, "--crash-after-sends", "700", name="relay-crash")
    assert crashing.wait_exit(60) == -9
    marked = EVENTS - await pending_outbox(pool, probe_schema)
    # What reached Kafka, marked or not (the other claimer may have sent a few more).
    published_unmarked = len(await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)) - marked
    assert published_unmarked >= 1, "the crash left events published but not marked"

    restarted = worker(
        "relay", "--schema", probe_schema, *([] if reconcile else ["--no-reconcile"]), name="relay"
    )

    async def outbox_drained() -> bool:
        return await pending_outbox(pool, probe_schema) == 0

    await eventually(outbox_drained, 60, "the restarted relay to drain the outbox")

    records = await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)
    if reconcile:
        assert len(records) == EVENTS, "each event is on the topic once"
        checks = [line for line in restarted.json_lines() if line.get("event") == "outbox.reconciled"]
        assert sum(line["already_sent"] for line in checks) == published_unmarked
    else:
        assert len(records) == EVENTS + published_unmarked, "the unmarked rows were published again"
    # Per key, events reach the topic in the order they were written.
    first_seen: dict[bytes, list[int]] = defaultdict(list)
    seen: set[int] = set()
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        seq = json.loads(record.value)["seq"]
        if seq not in seen:
            seen.add(seq)
            first_seen[record.key].append(seq)
    assert seen == set(range(EVENTS))
    assert all(seqs == sorted(seqs) for seqs in first_seen.values())

    worker("consume", "--topic", probe_topic.name, "--group", "probe-eo", "--schema", probe_schema)

    async def all_applied() -> bool:
        async with pool.acquire() as conn:
            return (await effect_counts(conn, probe_schema))[0] == EVENTS

    await eventually(all_applied, 90, "every event to take effect")
    async with pool.acquire() as conn:
        distinct, total, doubled = await effect_counts(conn, probe_schema)
    assert (distinct, total, doubled) == (EVENTS, EVENTS, 0)


async def test_consumer_killed_before_offset_commit_does_not_apply_twice(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec, worker: WorkerFactory
) -> None:
    total_events = 300
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, enable_idempotence=True)
    await producer.start()
    try:
        await publish_probes(producer, probe_topic.name, range(total_events))
    finally:
        await producer.stop()

    group = "probe-crash"
    crashing = worker(
        "consume",
        "--topic",
        probe_topic.name,
        "--group",
        group,
        "--schema",
        probe_schema,
        "--crash-after",
        "120",
        name="consumer-crash",
    )
    assert crashing.wait_exit(90) == -9
    async with pool.acquire() as conn:
        assert (await effect_counts(conn, probe_schema))[0] == 120

    restarted = worker("consume", "--topic", probe_topic.name, "--group", group, "--schema", probe_schema)

    async def all_applied() -> bool:
        async with pool.acquire() as conn:
            return (await effect_counts(conn, probe_schema))[0] == total_events

    await eventually(all_applied, 90, "the restarted consumer to apply the rest")
    async with pool.acquire() as conn:
        assert await effect_counts(conn, probe_schema) == (total_events, total_events, 0)
        inbox = await conn.fetchval(f"SELECT count(*) FROM {quote_schema(probe_schema)}.inbox")
    assert inbox == total_events
    # The event whose effect committed just before the crash came back and was skipped.
    skipped = [line for line in restarted.json_lines() if line.get("event") == "event.duplicate_skipped"]
    assert len(skipped) >= 1


async def test_sent_rows_are_pruned_after_their_retention_and_pending_ones_never(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec
) -> None:
    from datetime import timedelta

    from bkpsdm.common.outbox import OutboxRelay, idempotent_producer_factory

    await enqueue_probes(pool, probe_schema, probe_topic, range(30))
    relay = OutboxRelay(
        pool,
        probe_schema,
        idempotent_producer_factory(infra.kafka_bootstrap_servers, "prune-test"),
    )
    try:
        assert await relay.drain() == 30
        await enqueue_probes(pool, probe_schema, probe_topic, range(30, 40))  # still pending
        async with pool.acquire() as conn:
            await conn.execute(
                f"UPDATE {quote_schema(probe_schema)}.outbox SET sent_at = now() - interval '2 hours'"
                " WHERE sent_at IS NOT NULL AND (payload->>'seq')::int < 20"
            )
        assert await relay.prune(timedelta(hours=1)) == 20
        assert await pending_outbox(pool, probe_schema) == 10
    finally:
        await relay.stop()


async def test_two_relays_at_once_keep_per_key_order_and_one_takes_over_when_the_other_dies(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec, worker: WorkerFactory
) -> None:
    relays = [
        worker("relay", "--schema", probe_schema, "--batch-size", "100", name=name) for name in ("a", "b")
    ]
    await asyncio.sleep(2)  # both up before the stream starts
    writer = asyncio.create_task(
        enqueue_probes(pool, probe_schema, probe_topic, range(EVENTS), keys=40, per_tx=20)
    )

    def publishing() -> list[int]:
        return [
            n
            for n, relay in enumerate(relays)
            if any(line.get("event") == "relay.batch_published" for line in relay.json_lines())
        ]

    async def one_publishing() -> bool:
        return bool(publishing())

    await eventually(one_publishing, 60, "a relay to publish")
    # The relay holding the slots dies mid-stream (SIGKILL): its slot locks go with its
    # connection, and the other relay takes the slots over.
    first = publishing()[0]
    relays[first].kill()
    await writer

    async def drained() -> bool:
        return await pending_outbox(pool, probe_schema) == 0

    await eventually(drained, 90, "the surviving relay to drain the outbox")
    assert 1 - first in publishing(), "the other relay took over"
    records = await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)
    first_seen: dict[bytes, list[int]] = defaultdict(list)
    seen: set[int] = set()
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        seq = json.loads(record.value)["seq"]
        if seq not in seen:
            seen.add(seq)
            first_seen[record.key].append(seq)
    assert seen == set(range(EVENTS)), "nothing lost"
    # The survivor found on the topic what the dead relay had published without marking.
    assert len(records) == EVENTS, "each event is on the topic once"
    assert all(seqs == sorted(seqs) for seqs in first_seen.values()), "per-key order kept"


async def test_an_event_too_large_for_kafka_is_refused_when_written_not_when_published(
    pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec
) -> None:
    from bkpsdm.common.outbox import MAX_EVENT_BYTES, EventTooLarge, enqueue

    async with pool.acquire() as conn:
        with pytest.raises(EventTooLarge, match="limit"):
            async with conn.transaction():
                await enqueue(
                    conn,
                    probe_schema,
                    probe_topic,
                    ProbeEvent(seq=1, key="k", padding="x" * MAX_EVENT_BYTES),
                    source="/tests",
                    correlation_id=None,
                    aggregate_type="probe",
                )
    assert await pending_outbox(pool, probe_schema) == 0


async def test_a_row_kafka_keeps_refusing_is_parked_and_holds_back_only_its_own_key(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec
) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from bkpsdm.common.kafka_admin import delete_topics
    from bkpsdm.common.outbox import BrokerUnavailable, OutboxRelay, idempotent_producer_factory

    # A topic that accepts records of at most 1,000 bytes: a 5 KB event is refused every time.
    small = probe_topic_spec(f"{probe_topic.name}-small", partitions=1)
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(small.name, 1, 1, topic_configs={"max.message.bytes": "1000"})])
    finally:
        await admin.close()
    try:
        async with pool.acquire() as conn, conn.transaction():
            for seq, (topic, key, padding) in enumerate(
                [
                    (small, "big", "x" * 5000),  # refused
                    (probe_topic, "other", ""),  # flows
                    (small, "big", ""),  # same key as the refused one: must wait behind it
                    (probe_topic, "other", ""),
                ]
            ):
                await enqueue(
                    conn,
                    probe_schema,
                    topic,
                    ProbeEvent(seq=seq, key=key, padding=padding),
                    source="/tests",
                    correlation_id=None,
                    aggregate_type="probe",
                )
        relay = OutboxRelay(
            pool,
            probe_schema,
            idempotent_producer_factory(infra.kafka_bootstrap_servers, "park-test"),
            claimers=1,
            park_after=2,
        )
        try:

            async def publish() -> int:
                # A topic created a moment ago may still lack a leader: that is an outage
                # (BrokerUnavailable, nothing counted), not a refusal; ask again.
                for _ in range(50):
                    with contextlib.suppress(BrokerUnavailable):
                        return await relay.publish_pending()
                    await asyncio.sleep(0.2)
                raise AssertionError("the new topic never got a leader")

            assert await publish() == 2, "the other key went through"
            assert await publish() == 0, "second refusal: parked now"
            assert await publish() == 0, "nothing else may pass the parked row"
            oldest_pending_s, parked = await relay.observe()
            assert parked == 1
            assert oldest_pending_s < 60
        finally:
            await relay.stop()
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT (payload->>'seq')::int AS seq, sent_at IS NOT NULL AS sent, attempts,"
                f" parked_at IS NOT NULL AS parked, last_error FROM {quote_schema(probe_schema)}.outbox ORDER BY seq"
            )
        assert [(r["seq"], r["sent"], r["parked"]) for r in rows] == [
            (0, False, True),
            (1, True, False),
            (2, False, False),  # held back behind it, never sent ahead of it
            (3, True, False),
        ]
        # Row 2 may have shared row 0's record batch at the first refusal (the broker refuses
        # a batch whole); it is not parked and does not go out ahead of row 0.
        assert rows[0]["attempts"] == 2
        assert rows[2]["attempts"] in (0, 1)
        assert "TooLarge" in rows[0]["last_error"] or "too large" in rows[0]["last_error"].lower()
    finally:
        await delete_topics(infra.kafka_bootstrap_servers, [small.name])


async def test_replaying_a_dead_letter_whose_effect_already_happened_changes_nothing(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec, worker: WorkerFactory
) -> None:
    """Replay goes back to the origin topic, where every group sees it again: a group that had
    handled the event skips it (inbox)."""
    from bkpsdm.common.dlq import DeadLetter, replay_dead_letters

    await enqueue_probes(pool, probe_schema, probe_topic, range(5))
    worker("relay", "--schema", probe_schema, name="relay")
    consumer = worker("consume", "--topic", probe_topic.name, "--group", "replay", "--schema", probe_schema)

    async def applied(n: int) -> bool:
        async with pool.acquire() as conn:
            return (await effect_counts(conn, probe_schema))[0] == n

    await eventually(lambda: applied(5), 60, "the events to take effect")
    # As if another group had dead-lettered them: same value, same headers, same event ids.
    letters = [
        DeadLetter.from_record(r) for r in await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)
    ]
    assert await replay_dead_letters(infra.kafka_bootstrap_servers, letters) == 5

    async def skipped_all() -> bool:
        skipped = [line for line in consumer.json_lines() if line.get("event") == "event.duplicate_skipped"]
        return len(skipped) == 5

    await eventually(skipped_all, 60, "the consumer to skip the replayed events")
    async with pool.acquire() as conn:
        assert await effect_counts(conn, probe_schema) == (5, 5, 0)


async def test_a_relay_that_cannot_reach_kafka_backs_off_counts_nothing_against_rows_and_recovers(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec
) -> None:
    """The first producer cannot connect; the second has every send of its first batch fail
    (the broker went away mid-batch); the third works. Every event is published once."""
    from typing import Any

    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

    from bkpsdm.common.outbox import OutboxRelay, idempotent_producer_factory

    real = idempotent_producer_factory(infra.kafka_bootstrap_servers, "flaky-test")
    made = 0

    class BatchLost:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def create_batch(self) -> Any:
            return self.inner.create_batch()

        async def partitions_for(self, topic: str) -> Any:
            return await self.inner.partitions_for(topic)

        async def send_batch(self, *args: Any, **kwargs: Any) -> asyncio.Future[None]:
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            failed.set_exception(KafkaTimeoutError("batch expired"))
            return failed

        async def stop(self) -> None:
            await self.inner.stop()

    async def flaky() -> Any:
        nonlocal made
        made += 1
        if made == 1:
            raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")
        producer = await real()
        return BatchLost(producer) if made == 2 else producer

    await enqueue_probes(pool, probe_schema, probe_topic, range(300))
    relay = OutboxRelay(pool, probe_schema, flaky, claimers=1, poll_interval_s=0.2)
    await relay.start()
    try:
        await eventually(lambda: _drained(pool, probe_schema), 60, "the relay to recover and publish")
    finally:
        await relay.stop()
    assert made == 3, "a new producer after each failure"
    assert len(await read_topic(infra.kafka_bootstrap_servers, probe_topic.name)) == 300
    async with pool.acquire() as conn:
        counted = await conn.fetchval(
            f"SELECT count(*) FROM {quote_schema(probe_schema)}.outbox WHERE attempts > 0"
        )
    assert counted == 0, "a broker outage is not held against the rows"


async def _drained(pool: asyncpg.Pool, schema: str) -> bool:
    return await pending_outbox(pool, schema) == 0
