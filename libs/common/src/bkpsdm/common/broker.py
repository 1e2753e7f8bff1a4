"""Broker factory: FastStream KafkaBroker with at-least-once delivery, metrics and dead letters.

- The producer is idempotent with acks=all.
- Every subscriber has a named consumer group. Offsets are committed only after a message
  was handled (its database transaction committed) or dead-lettered, never before (Kafka's
  auto-commit default can lose messages), and in batches (`CommitThrottle`): the inbox makes
  the few redeliveries after a crash harmless. Failures go through the dead-letter
  middleware, which retries a bounded number of times and then dead-letters, so nothing
  loops forever. Other subscribers default to `NACK_ON_ERROR`.
- Subscriptions (`subscriptions.py`) decode the envelope and payload and record each
  delivery in the inbox; this module only builds the broker.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry

from bkpsdm.common.commits import OffsetCommitter
from bkpsdm.common.deadletter import dead_letter_middleware
from bkpsdm.common.events import CORRELATION_HEADER
from bkpsdm.common.kafka_records import install_lenient_header_keys
from bkpsdm.common.kafka_security import KafkaClientSettings, broker_security
from bkpsdm.common.logs import correlation_scope, get_logger
from bkpsdm.common.retry import RetryPolicy

log = get_logger(__name__)


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
            (value or b"").decode("utf-8")  # Kafka allows a header without a value
        except UnicodeDecodeError:
            invalid.append(name)
    if invalid or any(value is None for _, value in record.headers):
        headers = [(n, (v or b"").decode("utf-8", "replace").encode()) for n, v in record.headers]
        if invalid:
            headers.append((INVALID_HEADERS_MARK, ",".join(invalid).encode()))
        record = dataclasses.replace(record, headers=tuple(headers))
    return await original(record)


class CommittingKafkaBroker(KafkaBroker):
    """A KafkaBroker whose stop first commits what was handled (and from then on each message
    as it finishes), so a graceful stop leaves no handled message uncommitted."""

    committer: OffsetCommitter

    async def stop(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> None:
        await self.committer.stop()
        await super().stop(exc_type, exc_val, exc_tb)
        await self.committer.commit_all()  # the message in progress, if its commit failed earlier


def build_broker(
    *,
    service: str,
    bootstrap_servers: str,
    registry: CollectorRegistry,
    retry_policy: RetryPolicy,
    committer: OffsetCommitter | None = None,
    security: KafkaClientSettings | None = None,  # None: from the environment
) -> CommittingKafkaBroker:
    # A header key that is not UTF-8 would otherwise fail inside aiokafka and loop forever.
    install_lenient_header_keys(INVALID_HEADERS_MARK)
    committer = committer or OffsetCommitter(registry=registry)
    broker = CommittingKafkaBroker(
        bootstrap_servers,
        client_id=f"bkpsdm-{service}",
        security=broker_security(security),
        enable_idempotence=True,
        acks="all",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        middlewares=[
            KafkaPrometheusMiddleware(registry=registry, app_name=service, metrics_prefix="bkpsdm"),
            CorrelationMiddleware,
            dead_letter_middleware(retry_policy, committer),
        ],
        parser=tolerant_parser,
        logger=logging.getLogger(f"bkpsdm.{service}.faststream"),
        # "Received"/"Processed" per message at DEBUG; errors still reach the logs.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
    )
    broker.committer = committer
    committer.watch(
        lambda: [(s.consumer, s.group_id or "") for s in broker.subscribers if getattr(s, "consumer", None)]  # type: ignore[attr-defined]
    )
    return broker
