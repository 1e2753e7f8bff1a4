"""Small Kafka helpers for tests."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition

from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.topics import TopicRegistry, TopicSpec


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def create_test_topic(bootstrap: str, spec: TopicSpec) -> TopicSpec:
    registry = TopicRegistry()
    registry.register(spec)
    await ensure_topics(bootstrap, registry)
    return spec


async def start_group_at_end(bootstrap: str, group: str, topic: str) -> None:
    """Commit `group`'s offsets at the end of `topic` before a service joins with it: a new
    group would otherwise read everything earlier runs left on a shared, long-lived broker."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        metadata = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(topic, p) for p in metadata.partitions_for_topic(topic) or ()]
        if not partitions:
            return  # the topic does not exist yet (a fresh broker): there is no history to skip
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(ends)
    finally:
        await consumer.stop()
