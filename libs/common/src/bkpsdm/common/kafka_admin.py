"""Topic administration and whole-topic reads (operators' tools, tests, dead-letter replay)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from bkpsdm.common.topics import TopicRegistry

TOPIC_ALREADY_EXISTS = 36


class TopicSetupError(RuntimeError):
    pass


@contextlib.asynccontextmanager
async def admin_client(bootstrap_servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        await admin.start()
        yield admin
    finally:
        await admin.close()  # also after a failed start: it may hold sockets already


async def ensure_topics(
    bootstrap_servers: str, registry: TopicRegistry, *, replication_factor: int = 1
) -> None:
    """Create every registered topic and its dead-letter topic; existing ones are left alone.

    One local broker needs `replication_factor` 1; a production cluster wants 3 (with the
    brokers' `min.insync.replicas` 2, so acks=all means two copies). Kafka answers per topic;
    any refusal but "already exists" (another service was first) stops the start."""
    async with admin_client(bootstrap_servers) as admin:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=spec.partitions, replication_factor=replication_factor)
            for spec in registry
            for name in (spec.name, spec.dlq)
            if name not in existing
        ]
        if not wanted:
            return
        response = await admin.create_topics(wanted)
        refused = [
            f"{topic}: {message or code}"
            for topic, code, message in response.topic_errors
            if code not in (0, TOPIC_ALREADY_EXISTS)
        ]
        if refused:
            raise TopicSetupError("Kafka refused to create topics: " + "; ".join(refused))


async def delete_topics(bootstrap_servers: str, names: list[str]) -> None:
    async with admin_client(bootstrap_servers) as admin:
        await admin.delete_topics(names)


async def topic_partitions(bootstrap_servers: str, topic: str) -> list[int]:
    """Partition numbers of `topic`; empty when it does not exist."""
    async with admin_client(bootstrap_servers) as admin:
        described = await admin.describe_topics([topic])
    return sorted(p["partition"] for d in described if d.get("error_code") == 0 for p in d["partitions"])


async def read_topic(
    bootstrap_servers: str, topic: str, *, timeout_s: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record in `topic` up to its current end; no consumer group, nothing committed.
    Raises TimeoutError rather than return part of the topic."""
    tps = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap_servers, topic)]
    if not tps:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        await consumer.start()
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not all([await consumer.position(tp) >= end[tp] for tp in tps]):
            if loop.time() > deadline:
                raise TimeoutError(f"read only {len(records)} records of {topic} in {timeout_s} s")
            for batch in (await consumer.getmany(*tps, timeout_ms=300)).values():
                records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await _stop_consumer(consumer)


async def _stop_consumer(consumer: AIOKafkaConsumer) -> None:
    # aiokafka's group-less coordinator can raise CancelledError from stop() when its
    # helper task never ran (a race in aiokafka); only our own cancellation may pass.
    await asyncio.sleep(0)
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
