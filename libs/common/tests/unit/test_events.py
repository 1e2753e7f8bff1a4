from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bkpsdm.common.contracts import TOPICS, SubmissionReceived
from bkpsdm.common.events import EventMetadata, MissingEnvelopeError, metadata_for


def test_envelope_survives_a_round_trip_through_kafka_headers() -> None:
    meta = EventMetadata(type="id.go.bkpsdm.x.v1", source="/bkpsdm/intake", correlation_id="cid-7")
    headers = {k: v.encode() for k, v in meta.to_headers().items()}
    assert EventMetadata.from_headers(headers) == meta


def test_headers_are_cloudevents_binary_mode() -> None:
    headers = EventMetadata(type="t.v1", source="/s").to_headers()
    assert {"ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion", "content-type"} <= set(headers)
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    assert "correlation_id" not in headers, "no empty correlation header"


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_source"])
def test_a_record_without_its_envelope_is_refused(missing: str) -> None:
    headers = EventMetadata(type="t.v1", source="/s").to_headers()
    del headers[missing]
    with pytest.raises(MissingEnvelopeError, match=missing):
        EventMetadata.from_headers(headers)


def test_metadata_names_the_event_type_of_the_model() -> None:
    event = SubmissionReceived(
        submission_id="s1",
        service_code="E-LAPKIN",
        perangkat_daerah="Dinas",
        title="t",
        received_at=datetime(2026, 11, 23, 10, tzinfo=UTC),
    )
    meta = metadata_for(event, source="/bkpsdm/intake", correlation_id="c")
    assert meta.type == "id.go.bkpsdm.intake.submission-received.v1"
    assert meta.id
    assert meta.correlation_id == "c"


def test_every_registered_topic_follows_the_naming_rule_and_names_its_events() -> None:
    import re

    names = [t.name for t in TOPICS]
    assert names, "the registry is not empty"
    for topic in TOPICS:
        assert re.fullmatch(r"(public|internal)\.[a-z-]+\.[a-z-]+\.v\d+", topic.name), topic.name
        assert topic.dlq == f"{topic.name}.dlq"
        assert topic.events, f"{topic.name} names the events it carries"
        for event in topic.events:
            assert re.fullmatch(r"id\.go\.bkpsdm\.[a-z-]+\.[a-z-]+\.v\d+", event.event_type)
    assert len(set(names)) == len(names)
