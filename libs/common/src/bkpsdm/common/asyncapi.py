"""The AsyncAPI 3.0 document other agencies read, generated from the topic registry.

    python -m bkpsdm.common.asyncapi > deploy/asyncapi/asyncapi.json   (make asyncapi)

One channel per topic (with its key and partitions), one message per event type with its
CloudEvents headers and its JSON Schema from the pydantic model, one `send` operation per
owning service. A test fails when the committed document drifts from the code.
"""

from __future__ import annotations

import json
import sys
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
