"""Offsets: a quiet partition is committed within the interval, a graceful stop commits what
was handled, a handler raising CancelledError does not stop its consumer, and a consuming
use case with no inbox code of its own is exactly-once under redelivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry

from bkpsdm.common.broker import build_broker
from bkpsdm.common.commits import OffsetCommitter
from bkpsdm.common.db import Connection, Database, quote_schema
from bkpsdm.common.dlq import read_dead_letters
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.subscriptions import consume, subscribe_events
from bkpsdm.common.topics import TopicSpec
from bkpsdm.common.uow import PostgresUnitOfWork
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.probe import ProbeEvent, probe_record, publish_probes
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def producer(infra: Infra) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, enable_idempotence=True)
    await p.start()
    yield p
    await p.stop()


async def committed(infra: Infra, group: str) -> int:
    """The sum of the group's committed offsets over all partitions, read with the admin API."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for meta in offsets.values() if meta.offset > 0)


async def test_a_quiet_partition_is_committed_within_the_interval_and_a_stop_commits_the_rest(
    infra: Infra, probe_topic: TopicSpec, producer: AIOKafkaProducer
) -> None:
    handled: list[int] = []

    async def on_probe(event: ProbeEvent, meta: EventMetadata) -> None:
        handled.append(event.seq)

    committer = OffsetCommitter(every=100, interval_s=0.5)
    broker = build_broker(
        service="commit-test",
        bootstrap_servers=infra.kafka_bootstrap_servers,
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(2, 0.05, 0.1),
        committer=committer,
    )
    subscribe_events(broker, probe_topic, "commit-test", {ProbeEvent: on_probe})
    await broker.start()
    try:
        await publish_probes(producer, probe_topic.name, range(5))

        async def five_handled() -> bool:
            return len(handled) == 5

        await eventually(five_handled, 30, "five messages handled")
        # Far fewer than 100 messages and nothing more arrives: the timer commits them.
        await asyncio.sleep(1.5)
        assert await committed(infra, "commit-test") == 5
        assert committer.lags.get("commit-test"), "lag measured per partition"
        assert sum(committer.lags["commit-test"].values()) == 0

        # A graceful stop: the timer is off, the stop itself commits what was handled.
        committer.interval_s = 3600
        await committer.stop()
        committer.stopping = False
        await publish_probes(producer, probe_topic.name, range(5, 8))

        async def eight_handled() -> bool:
            return len(handled) == 8

        await eventually(eight_handled, 30, "three more handled")
        await committer.stop()
    finally:
        await broker.stop()
    assert await committed(infra, "commit-test") == 8


async def test_a_handler_raising_cancelled_error_does_not_stop_its_consumer(
    infra: Infra, probe_topic: TopicSpec, producer: AIOKafkaProducer
) -> None:
    handled: list[int] = []

    async def on_probe(event: ProbeEvent, meta: EventMetadata) -> None:
        if event.seq == 1:
            raise asyncio.CancelledError  # e.g. a library timing out inside the handler
        handled.append(event.seq)

    broker = build_broker(
        service="cancel-test",
        bootstrap_servers=infra.kafka_bootstrap_servers,
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(2, 0.05, 0.1),
    )
    subscribe_events(broker, probe_topic, "cancel-test", {ProbeEvent: on_probe})
    await broker.start()
    try:
        await publish_probes(producer, probe_topic.name, range(4), keys=1)

        async def rest_handled() -> bool:
            return handled == [0, 2, 3]

        await eventually(rest_handled, 30, "the messages after the cancelled one")
    finally:
        await broker.stop()
    [letter] = await read_dead_letters(infra.kafka_bootstrap_servers, probe_topic.dlq)
    assert letter.headers["dlq_error_type"].endswith("HandlerCancelled")
    assert letter.headers["dlq_attempts"] == "2", "retried like any failure, then dead-lettered"


class EffectsUnitOfWork(PostgresUnitOfWork):
    """A service's unit of work with one repository: the probe effects table."""

    def bind(self, conn: Connection, schema: str) -> None:
        self.conn, self.schema = conn, schema


async def count_effect(uow: EffectsUnitOfWork, event: ProbeEvent, correlation_id: str | None) -> None:
    """A consuming use case with no inbox code of its own."""
    await uow.conn.execute(
        f"INSERT INTO {quote_schema(uow.schema)}.effects (event_id, seq, applied) VALUES ($1, $2, 1)"
        " ON CONFLICT (event_id) DO UPDATE SET applied = effects.applied + 1",
        str(event.seq),
        event.seq,
    )


async def test_a_use_case_without_inbox_code_is_exactly_once_under_redelivery(
    infra: Infra, pool: asyncpg.Pool, probe_schema: str, probe_topic: TopicSpec, producer: AIOKafkaProducer
) -> None:
    db = Database(infra.database_url, probe_schema, 1, 4)
    await db.connect()
    broker = build_broker(
        service="inbox-seam-test",
        bootstrap_servers=infra.kafka_bootstrap_servers,
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(2, 0.05, 0.1),
    )
    consume(
        broker,
        probe_topic,
        group="inbox-seam-test",
        inbox_name="tests.inbox-seam",
        unit_of_work=lambda: EffectsUnitOfWork(db, "/tests"),
        handlers={ProbeEvent: count_effect},
    )
    await broker.start()
    try:
        for seq in range(3):
            key, value, headers = probe_record(seq, keys=1)
            await producer.send_and_wait(probe_topic.name, value, key=key, headers=headers)
            # Delivered again (a replay, a redelivery after a crash): same event id.
            await producer.send_and_wait(probe_topic.name, value, key=key, headers=headers)

        async def applied() -> list[Any]:
            async with pool.acquire() as conn:
                return list(
                    await conn.fetch(
                        f"SELECT seq, applied FROM {quote_schema(probe_schema)}.effects ORDER BY seq"
                    )
                )

        async def three_applied() -> bool:
            return len(await applied()) == 3

        await eventually(three_applied, 30, "three effects")
        await asyncio.sleep(1)  # the redeliveries have been consumed too
        assert [(r["seq"], r["applied"]) for r in await applied()] == [(0, 1), (1, 1), (2, 1)]
    finally:
        await broker.stop()
        await db.close()
