"""Broker factory: FastStream KafkaBroker with at-least-once delivery, metrics and dead letters.

- The producer is idempotent with acks=all.
- Every subscriber has a named consumer group. Offsets are committed only after a message
  was handled (its database transaction committed) or dead-lettered, never before (Kafka's
  auto-commit default can lose messages), and in batches (`CommitThrottle`): the inbox makes
  the few redeliveries after a crash harmless. Failures go through the dead-letter
  middleware, which retries a bounded number of times and then dead-letters, so nothing
  loops forever. Other subscribers default to `NACK_ON_ERROR`.
- `subscribe_events` decodes the CloudEvents envelope and the JSON payload into the
  registered event model and binds the correlation id for every log line of the handler.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry

from bkpsdm.common.deadletter import CommitThrottle, RetryPolicy, dead_letter_middleware
from bkpsdm.common.errors import PermanentError
from bkpsdm.common.events import CORRELATION_HEADER, Event, EventMetadata
from bkpsdm.common.logs import correlation_scope, get_logger
from bkpsdm.common.topics import TopicSpec

log = get_logger(__name__)

EventT = TypeVar("EventT", bound=Event)
EventHandler = Callable[[Any, EventMetadata], Awaitable[None]]


class CorrelationMiddleware(BaseMiddleware):
    """Binds the message's correlation id and position to every log line of its handling."""

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        record = msg.raw_message
        headers = msg.headers
        with correlation_scope(
            headers.get(CORRELATION_HEADER) or None,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            event_id=headers.get("ce_id"),
            event_type=headers.get("ce_type"),
        ):
            return await call_next(msg)


INVALID_HEADERS_MARK = "bkpsdm_invalid_headers"


async def tolerant_parser(
    record: ConsumerRecord[bytes, bytes],
    original: Callable[[ConsumerRecord[bytes, bytes]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream decodes every header as UTF-8 before any middleware runs; one bad byte
    would drop the record with only a log line. Here bad headers are decoded lossily and
    named in a mark, so the handler refuses the record and it is dead-lettered."""
    invalid = []
    for name, value in record.headers:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            invalid.append(name)
    if invalid:
        headers = [(n, v.decode("utf-8", "replace").encode()) for n, v in record.headers]
        headers.append((INVALID_HEADERS_MARK, ",".join(invalid).encode()))
        record = dataclasses.replace(record, headers=tuple(headers))
    return await original(record)


def build_broker(
    *,
    service: str,
    bootstrap_servers: str,
    registry: CollectorRegistry,
    retry_policy: RetryPolicy,
    commits: CommitThrottle | None = None,
) -> KafkaBroker:
    return KafkaBroker(
        bootstrap_servers,
        client_id=f"bkpsdm-{service}",
        enable_idempotence=True,
        acks="all",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        middlewares=[
            KafkaPrometheusMiddleware(registry=registry, app_name=service, metrics_prefix="bkpsdm"),
            CorrelationMiddleware,
            dead_letter_middleware(retry_policy, commits),
        ],
        parser=tolerant_parser,
        logger=logging.getLogger(f"bkpsdm.{service}.faststream"),
        # "Received"/"Processed" per message at DEBUG; errors still reach the logs.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
    )


def subscribe_events(
    broker: KafkaBroker,
    topic: TopicSpec,
    group: str,
    handlers: Mapping[type[Event], EventHandler],
) -> None:
    """Subscribe `group` to `topic`, dispatching each event to its handler by `ce_type`.

    Event types the group has no handler for are skipped (a topic may gain new types; old
    consumers must keep going). A missing envelope or a payload that does not fit its
    schema raises a permanent error, and the message is dead-lettered.
    """
    by_type = {model.event_type: (model, handler) for model, handler in handlers.items()}

    @broker.subscriber(
        topic.name,
        group_id=group,
        # Offsets are committed by the dead-letter middleware, throttled (CommitThrottle).
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",  # a new group must not miss what was published before it joined
        no_reply=True,  # never publish to a topic a record's `reply_to` header names
    )
    async def on_event(msg: KafkaMessage) -> None:
        if INVALID_HEADERS_MARK in msg.headers:
            raise PermanentError(f"headers are not UTF-8 text: {msg.headers[INVALID_HEADERS_MARK]}")
        meta = EventMetadata.from_headers(msg.headers)
        entry = by_type.get(meta.type)
        if entry is None:
            log.info("event.skipped", reason="no handler for type", group=group)
            return
        model, handler = entry
        event = model.model_validate_json(msg.body)
        await handler(event, meta)
