"""Bounded retries, then the dead-letter topic: the middleware around every handler call.

The middleware wraps every handler call (JSON decoding and schema validation included):
- a permanent error goes to `<topic>.dlq` at once;
- the service's own database or broker being unavailable is waited out: the same message
  is tried again, with capped backoff, until it goes through;
- any other failure is tried again up to `max_attempts` with exponential backoff and
  jitter (the partition waits, keeping per-key order), then goes to `<topic>.dlq`.
The dead letter keeps the original key, value and headers, and adds `dlq_*` headers with
the error and where the message came from. Only after the dead letter is acknowledged by
the broker is the original offset committed; if that publish fails the message is not
acknowledged and comes back, so nothing is lost and a poison message never stops the
consumer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream import BaseMiddleware
from faststream.message import StreamMessage
from prometheus_client import Counter

from bkpsdm.common.commits import OffsetCommitter
from bkpsdm.common.errors import FailureKind, classify, describe
from bkpsdm.common.logs import get_logger
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.topics import DLQ_SUFFIX, dead_letter_topic

log = get_logger(__name__)

DEAD_LETTERED = Counter(
    "bkpsdm_dead_lettered_total", "Messages sent to a dead-letter topic", ["topic", "kind"]
)
RETRIED = Counter("bkpsdm_handler_retries_total", "Handler attempts that were retried", ["topic"])
UNAVAILABLE_WAITS = Counter(
    "bkpsdm_handler_unavailable_waits_total",
    "Handler attempts that waited for the database or broker",
    ["topic"],
)

DLQ_HEADERS = (
    "dlq_error",
    "dlq_error_type",
    "dlq_kind",
    "dlq_attempts",
    "dlq_origin_topic",
    "dlq_origin_partition",
    "dlq_origin_offset",
    "dlq_consumer_group",
    "dlq_failed_at",
    "dlq_content_type",
)
# A dead letter's value may not be what its content type says (that can be why it failed),
# so it travels as opaque bytes; replay restores the original content type.
DEAD_LETTER_CONTENT_TYPE = "application/octet-stream"
MAX_ERROR_TEXT = 1000


def header_text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class HandlerCancelled(Exception):
    """A handler raised CancelledError while nobody was stopping the consumer: a bug in the
    handler (or a library under it), retried like any other, never the end of the loop."""


class DeadLetterMiddleware(BaseMiddleware):
    """Per-message middleware; build the factory with `dead_letter_middleware(policy)`."""

    policy: RetryPolicy = RetryPolicy()
    committer: OffsetCommitter | None = None

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        result = await self._handle(call_next, msg)
        # Handled or dead-lettered: the message is done with, its offset may be committed.
        consumer = getattr(msg, "consumer", None)
        if self.committer is not None and consumer is not None:
            record = msg.raw_message
            if not record.topic.endswith(DLQ_SUFFIX) and self.committer.handled(
                consumer, self._group(), record
            ):
                await self.committer.commit(consumer)
        return result

    def _group(self) -> str:
        handler = self.context.get_local("handler_")
        return str(getattr(handler, "group_id", None) or "")

    async def _handle(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        record = msg.raw_message
        if record.topic.endswith(DLQ_SUFFIX):
            return await call_next(msg)  # a dead-letter reader handles its own failures
        attempt = 0
        while True:
            attempt += 1
            try:
                try:
                    return await call_next(msg)
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # the consumer is being stopped: let it stop
                    raise HandlerCancelled("the handler raised CancelledError") from None
            except Exception as exc:
                kind = classify(exc)
                # Our own database or broker down: wait for it, however long, and try this same
                # message again (nothing after it could be handled either). Anything else that
                # may pass: a bounded number of tries. Either way the partition waits (order).
                waiting = kind is FailureKind.UNAVAILABLE
                if waiting or (kind is FailureKind.RETRYABLE and attempt < self.policy.max_attempts):
                    delay = self.policy.delay(min(attempt, 20))
                    (UNAVAILABLE_WAITS if waiting else RETRIED).labels(record.topic).inc()
                    log.warning(
                        "message.waiting_for_dependency" if waiting else "message.retrying",
                        topic=record.topic,
                        offset=record.offset,
                        attempt=attempt,
                        delay_s=round(delay, 3),
                        error_type=type(exc).__name__,
                        error=describe(exc),
                    )
                    await asyncio.sleep(delay)
                    continue
                try:
                    await self._dead_letter(record, exc, kind, attempt)
                except BaseException:
                    # Not dead-lettered: rewind, so the message is not skipped by a later commit.
                    await msg.nack()
                    raise
                return None

    async def _dead_letter(self, record: Any, exc: Exception, kind: FailureKind, attempts: int) -> None:
        broker = self.context.get("broker")
        group = self._group()  # the subscriber handling this message
        headers = {
            k: header_text(v) for k, v in (record.headers or ()) if k not in DLQ_HEADERS and k != "reply_to"
        }
        headers.update(
            dlq_error=describe(exc)[:MAX_ERROR_TEXT],
            dlq_error_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
            dlq_kind=kind.value,
            dlq_attempts=str(attempts),
            dlq_origin_topic=record.topic,
            dlq_origin_partition=str(record.partition),
            dlq_origin_offset=str(record.offset),
            dlq_consumer_group=str(group),
            dlq_failed_at=datetime.now(UTC).isoformat(),
        )
        headers["dlq_content_type"] = headers.get("content-type", "")
        headers["content-type"] = DEAD_LETTER_CONTENT_TYPE
        await broker.publish(
            record.value if record.value is not None else b"",
            topic=dead_letter_topic(record.topic),
            key=record.key,
            headers=headers,
        )
        DEAD_LETTERED.labels(record.topic, kind.value).inc()
        log.error(
            "message.dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            kind=kind.value,
            attempts=attempts,
            error_type=headers["dlq_error_type"],
            error=headers["dlq_error"],
        )


def dead_letter_middleware(
    policy: RetryPolicy, committer: OffsetCommitter | None = None
) -> type[DeadLetterMiddleware]:
    """A middleware class bound to `policy` (FastStream instantiates it per message)."""
    return type(
        "BoundDeadLetterMiddleware",
        (DeadLetterMiddleware,),
        {"policy": policy, "committer": committer},
    )
