"""Small Kafka helpers for tests."""

from __future__ import annotations

import uuid

from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.topics import TopicRegistry, TopicSpec


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def create_test_topic(bootstrap: str, spec: TopicSpec) -> TopicSpec:
    registry = TopicRegistry()
    registry.register(spec)
    await ensure_topics(bootstrap, registry)
    return spec
