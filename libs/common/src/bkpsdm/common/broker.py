"""Broker factory: FastStream KafkaBroker with at-least-once delivery, metrics and dead letters.

- The producer is idempotent with acks=all.
- Every subscriber has a named consumer group and `NACK_ON_ERROR`: the offset is committed
  only after the handler (and its database transaction) succeeded, never before (Kafka's
  auto-commit default can lose messages). Failures go through the dead-letter middleware,
  which retries a bounded number of times and then dead-letters, so nothing loops forever.
- `subscribe_events` decodes the CloudEvents envelope and the JSON payload into the
  registered event model and binds the correlation id for every log line of the handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry

from bkpsdm.common.deadletter import RetryPolicy, dead_letter_middleware
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


def build_broker(
    *,
    service: str,
    bootstrap_servers: str,
    registry: CollectorRegistry,
    retry_policy: RetryPolicy,
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
            dead_letter_middleware(retry_policy),
        ],
        logger=logging.getLogger(f"bkpsdm.{service}.faststream"),
        # "Received"/"Processed" per message at DEBUG; errors still reach the logs.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
    )


def consumer_group(service: str, purpose: str, suffix: str = "") -> str:
    """Named groups (`intake.case-status`): one per service and purpose, stable across restarts."""
    return f"{service}.{purpose}{suffix}"


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
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",  # a new group must not miss what was published before it joined
    )
    async def on_event(msg: KafkaMessage) -> None:
        meta = EventMetadata.from_headers(msg.headers)
        entry = by_type.get(meta.type)
        if entry is None:
            log.info("event.skipped", reason="no handler for type", group=group)
            return
        model, handler = entry
        event = model.model_validate_json(msg.body)
        await handler(event, meta)
