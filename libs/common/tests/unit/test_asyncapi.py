from __future__ import annotations

from bkpsdm.common.asyncapi import build_document, render
from bkpsdm.common.contracts import TOPICS
from bkpsdm.testing.infra import repo_root


def test_every_topic_and_event_is_in_the_document() -> None:
    doc = build_document()
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {t.name for t in TOPICS}
    for topic in TOPICS:
        for event in topic.events:
            message = doc["components"]["messages"][event.__name__]
            assert message["title"] == event.event_type
            assert (
                doc["components"]["schemas"][event.__name__]["properties"].keys() == event.model_fields.keys()
            )


def test_the_published_document_matches_the_code() -> None:
    committed = (repo_root() / "deploy" / "asyncapi" / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == render(), "run `make asyncapi` and commit deploy/asyncapi/asyncapi.json"
