"""The AsyncAPI document other agencies read (deploy/asyncapi/asyncapi.json): every public
event has an example that its model accepts and its own JSON Schema validates, every
reference resolves. (libs/common/tests/unit/test_asyncapi.py fails when it drifts from the code.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bkpsdm.common.asyncapi import build_document
from bkpsdm.common.contracts import TOPICS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REPO / "deploy/asyncapi/asyncapi.json").read_text(encoding="utf-8"))
    return loaded


def test_the_document_is_asyncapi_3_with_an_example_for_every_event_of_every_topic(
    document: dict[str, Any],
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= set(document["info"])
    for topic in TOPICS:
        channel = document["channels"][topic.name.replace(".", "_")]
        assert channel["address"] == topic.name
        for event in topic.events:
            assert event.__name__ in channel["messages"]
            (example,) = document["components"]["messages"][event.__name__]["examples"]
            assert example["headers"]["ce_type"] == event.event_type


def test_every_example_is_an_event_its_model_accepts_with_its_key_and_envelope(
    document: dict[str, Any],
) -> None:
    messages = document["components"]["messages"]
    for topic in TOPICS:
        for event in topic.events:
            (example,) = messages[event.__name__]["examples"]
            parsed = event.model_validate(example["payload"])
            assert json.loads(parsed.model_dump_json()).keys() == example["payload"].keys()
            assert example["summary"] == f"Kafka key: {example['payload'][topic.key]}"
            headers = example["headers"]
            assert headers["ce_source"].startswith("/bkpsdm/")
            assert headers["ce_specversion"] == "1.0"
            assert set(headers) <= set(messages[event.__name__]["headers"]["properties"])


def test_examples_are_generated_so_a_new_event_gets_one_without_writing_it() -> None:
    from bkpsdm.common.events import Event
    from bkpsdm.common.topics import TopicRegistry, TopicSpec

    class BrandNew(Event):
        """Added by someone who wrote no example."""

        event_type = "id.go.bkpsdm.test.brand-new.v1"
        thing_id: str
        count: int
        tags: list[str]

    registry = TopicRegistry()
    registry.register(
        TopicSpec(
            name="public.test.things.v1", key="thing_id", owner="test", description="t", events=(BrandNew,)
        )
    )
    (example,) = build_document(registry)["components"]["messages"]["BrandNew"]["examples"]
    assert BrandNew.model_validate(example["payload"]).count >= 1


def test_every_reference_in_the_document_resolves(document: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for item in node for r in refs(item)]
        return []

    for ref in refs(document):
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_each_example_payload_and_headers_validate_against_the_documents_own_schemas(
    document: dict[str, Any], tmp_path: Path
) -> None:
    messages = document["components"]["messages"]
    names = sorted(messages)
    # One JSON Schema (draft 2020-12, as pydantic writes) whose properties are the messages:
    # the `#/components/schemas/...` references resolve inside it as in the document.
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": names,
        "properties": {
            name: {
                "type": "object",
                "required": ["payload", "headers"],
                "properties": {"payload": messages[name]["payload"], "headers": messages[name]["headers"]},
            }
            for name in names
        },
        "components": {"schemas": document["components"]["schemas"]},
    }
    instance = {name: messages[name]["examples"][0] for name in names}
    (tmp_path / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "examples.json").write_text(json.dumps(instance), encoding="utf-8")
    result = subprocess.run(
        [
            REPO / ".venv/bin/check-jsonschema",
            "--schemafile",
            tmp_path / "schema.json",
            tmp_path / "examples.json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
