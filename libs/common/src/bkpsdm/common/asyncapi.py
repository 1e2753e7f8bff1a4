"""The AsyncAPI 3.0 document other agencies read, generated from the topic registry.

    python -m bkpsdm.common.asyncapi > deploy/asyncapi/asyncapi.json   (make asyncapi)

One channel per topic (with its key and partitions), one message per event type with its
CloudEvents headers, its JSON Schema from the pydantic model and an example, one `send`
operation per owning service. A test fails when the committed document drifts from the code.

Examples are generated from the schema, so a new event gets one without anyone writing it: a
field's own `Field(examples=[...])` wins, then a value for the field names the contracts
share (`nip`, `service_code`, ...), then a value of the field's JSON type. Every example must
validate against its model (tested); a field with a pattern needs `examples=`.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.events import Event
from bkpsdm.common.topics import TopicRegistry

ENVELOPE_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["ce_id", "ce_type", "ce_source", "ce_specversion"],
    "properties": {
        "ce_id": {"type": "string", "description": "Event id; consumers de-duplicate on it"},
        "ce_type": {"type": "string", "description": "Reverse-DNS event type with its version"},
        "ce_source": {"type": "string", "description": "The producing service, e.g. /bkpsdm/intake"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "content-type": {"type": "string", "const": "application/json"},
        "correlation_id": {"type": "string", "description": "Follows one submission through every service"},
    },
}


EXAMPLE_TIME = "2025-03-03T09:15:00+07:00"
_EXAMPLE_NAMESPACE = uuid.UUID(
    "6f1d7c1e-2d3a-4c55-9a7e-0b6a1e3c2f10"
)  # stable ids: the document must not drift
_NAMED_EXAMPLES: dict[str, Any] = {
    "nip": "198503302010011002",
    "service_code": "E-LAPKIN",
    "perangkat_daerah": "Dinas Pendidikan dan Kebudayaan",
    "unit": "Dinas Pendidikan dan Kebudayaan",
    "period": "2025-02",
    "time_zone": "Asia/Jakarta",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "media_type": "application/pdf",
    "format": "xlsx",
    "status": "OFFLINE",
    "previous_status": "ONLINE",
    "outcome": "COMPLETED",
    "adapter": "http",
    "terminal_serial": "CKJG201960118",
}


def _stable_id(name: str) -> str:
    return str(uuid.uuid5(_EXAMPLE_NAMESPACE, name))


def example_value(schema: dict[str, Any], name: str, schemas: dict[str, Any]) -> Any:
    """A value `schema` accepts, for the field `name`; `schemas` resolves `$ref`s."""
    if schema.get("examples"):
        return schema["examples"][0]
    if "$ref" in schema:
        return example_value(schemas[schema["$ref"].rsplit("/", 1)[-1]], name, schemas)
    if "anyOf" in schema:  # an optional field: show the value it holds when present
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return example_value(options[0], name, schemas)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema:
            return {k: example_value(v, k, schemas) for k, v in schema["properties"].items()}
        return {
            "field": example_value(schema.get("additionalProperties") or {"type": "string"}, "value", schemas)
        }
    if kind == "array":
        item = example_value(schema.get("items", {"type": "string"}), name.removesuffix("s"), schemas)
        return [item] * max(schema.get("minItems", 1), 1)
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return bool(schema.get("default", False))
    if name in _NAMED_EXAMPLES:
        return _NAMED_EXAMPLES[name]
    if schema.get("format") == "date-time":
        return EXAMPLE_TIME
    if schema.get("format") == "date":
        return EXAMPLE_TIME[:10]
    if name.endswith("_id"):
        return _stable_id(name)
    return f"<{name}>"


def example_event(event: type[Event], schemas: dict[str, Any], owner: str, key: str) -> dict[str, Any]:
    """An AsyncAPI Message Example: the envelope headers and a payload the model accepts."""
    schema = schemas[event.__name__]
    payload = example_value(schema, event.__name__, schemas)
    return {
        "name": f"{event.__name__}Example",
        "summary": f"Kafka key: {payload.get(key, '?')}",
        "headers": {
            "ce_id": _stable_id(event.event_type),
            "ce_type": event.event_type,
            "ce_source": f"/bkpsdm/{owner}",
            "ce_time": EXAMPLE_TIME,
            "ce_specversion": "1.0",
            "content-type": "application/json",
            "correlation_id": _stable_id(f"{event.event_type}/correlation"),
        },
        "payload": payload,
    }


def _message(event: type[Event], key: str) -> dict[str, Any]:
    return {
        "name": event.__name__,
        "title": event.event_type,
        "summary": (event.__doc__ or "").strip(),
        "contentType": "application/json",
        "headers": ENVELOPE_HEADERS,
        "payload": {"$ref": f"#/components/schemas/{event.__name__}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": key}}},
    }


def build_document(registry: TopicRegistry = TOPICS, version: str = "1.0.0") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in registry:
        channel_id = topic.name.replace(".", "_")
        refs = {e.__name__: {"$ref": f"#/components/messages/{e.__name__}"} for e in topic.events}
        channels[channel_id] = {
            "address": topic.name,
            "description": topic.description,
            "messages": refs,
            "bindings": {"kafka": {"topic": topic.name, "partitions": topic.partitions}},
        }
        operations[f"{topic.owner}_sends_{channel_id}"] = {
            "action": "send",
            "summary": f"{topic.owner} publishes; dead letters go to {topic.dlq}",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in refs],
        }
        for event in topic.events:
            messages[event.__name__] = _message(event, topic.key)
            schema = event.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[event.__name__] = schema
    for topic in registry:
        for event in topic.events:
            if "examples" not in messages[event.__name__]:
                messages[event.__name__]["examples"] = [example_event(event, schemas, topic.owner, topic.key)]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "BKPSDM personnel-services events",
            "version": version,
            "description": "Topics other agencies may read. Values are JSON; headers are the "
            "CloudEvents binary-mode envelope. Fields are only ever added; a breaking change "
            "is a new event type and topic version.",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "deploy/local"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render(registry: TopicRegistry = TOPICS) -> str:
    return json.dumps(build_document(registry), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
