"""Bounded retries, then the dead-letter topic; and replaying what was dead-lettered.

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
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream import BaseMiddleware
from faststream.message import StreamMessage
from prometheus_client import Counter

from bkpsdm.common.errors import FailureKind, classify, describe
from bkpsdm.common.kafka_admin import read_topic
from bkpsdm.common.logs import get_logger
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


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Backoff before attempt `attempt + 1`: exponential, capped, with full jitter on half."""
        ceiling = min(self.base_delay_s * 2.0 ** (attempt - 1), self.max_delay_s)
        return ceiling / 2 + random.random() * ceiling / 2


def _header_text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class CommitThrottle:
    """Commits a consumer's offsets after every `every` handled messages or `interval_s`,
    whichever comes first, instead of after each one (a commit costs a broker round trip,
    several milliseconds). Safe because consumers de-duplicate by event id: after a crash
    the few handled-but-uncommitted messages come back and are skipped. A commit is only
    ever made right after a message was fully handled, never from a timer, so it can never
    cover a message still in progress."""

    def __init__(self, every: int = 100, interval_s: float = 0.5) -> None:
        self.every = every
        self.interval_s = interval_s
        self._since: dict[int, tuple[int, float]] = {}

    def due(self, consumer: object) -> bool:
        count, last = self._since.get(id(consumer), (0, time.monotonic()))
        count += 1
        if count >= self.every or time.monotonic() - last >= self.interval_s:
            self._since[id(consumer)] = (0, time.monotonic())
            return True
        self._since[id(consumer)] = (count, last)
        return False


class DeadLetterMiddleware(BaseMiddleware):
    """Per-message middleware; build the factory with `dead_letter_middleware(policy)`."""

    policy: RetryPolicy = RetryPolicy()
    commits: CommitThrottle = CommitThrottle()

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        result = await self._handle(call_next, msg)
        # Handled or dead-lettered: the message is done with, its offset may be committed.
        if not msg.raw_message.topic.endswith(DLQ_SUFFIX) and self.commits.due(
            getattr(msg, "consumer", None)
        ):
            await msg.ack()
        return result

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
                return await call_next(msg)
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
        handler = self.context.get_local("handler_")
        group = getattr(handler, "group_id", None) or ""  # the subscriber handling this message
        headers = {
            k: _header_text(v) for k, v in (record.headers or ()) if k not in DLQ_HEADERS and k != "reply_to"
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
    policy: RetryPolicy, commits: CommitThrottle | None = None
) -> type[DeadLetterMiddleware]:
    """A middleware class bound to `policy` (FastStream instantiates it per message)."""
    return type(
        "BoundDeadLetterMiddleware",
        (DeadLetterMiddleware,),
        {"policy": policy, "commits": commits or CommitThrottle()},
    )


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @classmethod
    def from_record(cls, record: Any) -> DeadLetter:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value or b"",
            headers={k: _header_text(v) for k, v in (record.headers or ())},
        )

    @property
    def origin_topic(self) -> str:
        return self.headers.get("dlq_origin_topic") or self.topic.removesuffix(DLQ_SUFFIX)


async def read_dead_letters(
    bootstrap_servers: str, dlq_topic: str, *, timeout_s: float = 5.0
) -> list[DeadLetter]:
    """Everything currently in a dead-letter topic."""
    return [
        DeadLetter.from_record(r) for r in await read_topic(bootstrap_servers, dlq_topic, timeout_s=timeout_s)
    ]


async def replay_dead_letters(bootstrap_servers: str, letters: Sequence[DeadLetter]) -> int:
    """Publish dead letters back to their origin topic with their original headers.

    Consumers de-duplicate by event id, so replaying a letter whose effect did happen
    changes nothing; one whose cause is fixed is now handled.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for letter in letters:
            original = {k: v for k, v in letter.headers.items() if k not in DLQ_HEADERS}
            original["content-type"] = letter.headers.get("dlq_content_type", "")
            headers = [(k, v.encode()) for k, v in original.items()]
            headers.append(
                ("dlq_replayed_from", f"{letter.topic}:{letter.partition}:{letter.offset}".encode())
            )
            await producer.send_and_wait(letter.origin_topic, letter.value, key=letter.key, headers=headers)
            log.info("dead_letter.replayed", topic=letter.origin_topic, dlq_offset=letter.offset)
        return len(letters)
    finally:
        await producer.stop()
