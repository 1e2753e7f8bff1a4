"""Topic administration and whole-topic reads (operators' tools, tests, dead-letter replay)."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.structs import ConsumerRecord

from bkpsdm.common.topics import TopicRegistry


async def ensure_topics(bootstrap_servers: str, registry: TopicRegistry) -> None:
    """Create every registered topic and its dead-letter topic; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=spec.partitions, replication_factor=1)
            for spec in registry
            for name in (spec.name, spec.dlq)
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another service was first
                await admin.create_topics(wanted)
    finally:
        await admin.close()


async def delete_topics(bootstrap_servers: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def topic_partitions(bootstrap_servers: str, topic: str) -> list[int]:
    """Partition numbers of `topic`; empty when it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for d in described if d.get("error_code") == 0 for p in d["partitions"])


async def read_topic(
    bootstrap_servers: str, topic: str, *, timeout_s: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record in `topic` up to its current end; no consumer group, nothing committed."""
    tps = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap_servers, topic)]
    if not tps:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            if all([await consumer.position(tp) >= end[tp] for tp in tps]):
                break
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
