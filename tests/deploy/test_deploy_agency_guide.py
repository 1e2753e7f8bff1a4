"""docs/AGENCY_CONSUMERS.md: it names every public topic and no internal one, and its
consumer example, run exactly as written, reads an event from the local broker."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bkpsdm.common.contracts import TOPICS, SubmissionReceived
from bkpsdm.common.kafka_admin import delete_topics, ensure_topics, public_topics
from bkpsdm.common.topics import TopicRegistry, TopicSpec
from bkpsdm.testing.infra import Infra

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "AGENCY_CONSUMERS.md"


def test_the_guide_names_every_public_topic_and_no_internal_one() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for name in public_topics(TOPICS):
        assert f"`{name}`" in text, f"docs/AGENCY_CONSUMERS.md does not describe {name}"
    for spec in TOPICS:
        if not spec.name.startswith("public."):
            assert spec.name not in text
    for header in (
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "ce_specversion",
        "content-type",
        "correlation_id",
    ):
        assert f"`{header}`" in text
    assert "deploy/kafka/agency-credentials.sh" in text


def test_the_example_is_short_and_complete_python(example_code: str) -> None:
    lines = [line for line in example_code.splitlines() if line.strip()]
    assert len(lines) <= 35
    compile(example_code, "consumer.py", "exec")
    assert "SCRAM-SHA-512" in example_code


@pytest.mark.integration
async def test_the_example_reads_an_event_from_the_local_broker(
    infra: Infra,
    run_example: Callable[[dict[str, str], str], Awaitable[str]],
    publish_event: Callable[..., Awaitable[str]],
) -> None:
    registry = TopicRegistry()  # a topic of its own: the shared ones hold every test's events
    topic = registry.register(
        TopicSpec(
            name=f"public.deploytest-{uuid.uuid4().hex[:8]}.v1",
            key="submission_id",
            owner="intake",
            description="t",
            events=(SubmissionReceived,),
        )
    )
    event = SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        service_code="E-LAPKIN",
        perangkat_daerah="Dinas Pendidikan",
        title="Rekap SKP Februari",
        received_at=datetime.now(UTC),
    )
    await ensure_topics(infra.kafka_bootstrap_servers, registry)
    try:
        event_id = await publish_event(infra.kafka_bootstrap_servers, topic.name, event)
        line = await run_example(
            {
                "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
                "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
                "KAFKA_GROUP_ID": f"agency-dev.{uuid.uuid4().hex[:8]}",
                "BKPSDM_TOPIC": topic.name,
            },
            event_id,
        )
        ce_type, ce_id, key, payload = line.split(" ", 3)
        assert (ce_type, ce_id, key) == (SubmissionReceived.event_type, event_id, event.submission_id)
        received: dict[str, Any] = SubmissionReceived.model_validate_json(payload).model_dump()
        assert received == event.model_dump()
    finally:
        await delete_topics(infra.kafka_bootstrap_servers, [topic.name, topic.dlq])
