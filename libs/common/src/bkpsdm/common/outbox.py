"""Transactional outbox: events written with the state change, published by a relay.

`enqueue` adds an event inside the caller's transaction. `OutboxRelay` claims pending rows
with `FOR UPDATE SKIP LOCKED` (several relays at once never publish the same row in
parallel), publishes them with an idempotent producer (acks=all), and marks them sent in
the same transaction. A relay killed after publishing but before its commit publishes
those rows again: consumers de-duplicate by event id (inbox), so effects stay exactly once.
It wakes on LISTEN/NOTIFY and polls as a fallback.

A row Kafka refuses for the record itself (a topic that does not exist, a record over the
topic's size limit) is retried; after `park_after` such refusals it is parked: left pending
with its error, its key held back so that key's order is kept, the rest of the outbox
flowing. `bkpsdm_outbox_parked` counts them; an operator fixes the cause and clears
`parked_at` (docs/OPERATIONS.md). Broker-side failures (no connection, no leader, timeouts)
are never held against a row: what went through is marked, the rest waits, the relay backs
off and takes a fresh producer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from prometheus_client import Counter, Gauge

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.errors import PermanentError, describe
from bkpsdm.common.events import Event, metadata_for
from bkpsdm.common.logs import get_logger
from bkpsdm.common.topics import TopicSpec

log = get_logger(__name__)

PUBLISHED = Counter("bkpsdm_outbox_published_total", "Outbox rows published to Kafka", ["schema"])
RELAY_ERRORS = Counter("bkpsdm_outbox_relay_errors_total", "Relay rounds that failed", ["schema"])
ROW_FAILURES = Counter("bkpsdm_outbox_row_failures_total", "Rows Kafka refused in a batch", ["schema"])
LAST_BATCH = Gauge("bkpsdm_outbox_last_batch_rows", "Rows the relay claimed in its last batch", ["schema"])
PARKED = Gauge("bkpsdm_outbox_parked", "Rows parked after repeated refusals", ["schema"])
OLDEST_PENDING = Gauge(
    "bkpsdm_outbox_oldest_pending_seconds", "Age of the oldest row not yet published", ["schema"]
)


# Kafka's default message.max.bytes is 1 MiB. A larger event would fail at every publish
# attempt and hold up its key share forever, so it is refused when written: big content
# travels by reference (the owning service serves it over HTTP) or in chunks.
MAX_EVENT_BYTES = 900_000


class EventTooLarge(PermanentError):
    """Retrying cannot shrink it: permanent."""


async def enqueue(
    conn: Connection,
    schema: str,
    topic: TopicSpec,
    key: str,
    event: Event,
    *,
    source: str,
    correlation_id: str | None,
    aggregate_type: str,
) -> str:
    """Add `event` to the outbox inside the caller's transaction; return its event id."""
    meta = metadata_for(event, source=source, correlation_id=correlation_id)
    payload = event.model_dump_json()
    headers = json.dumps(meta.to_headers())
    size = len(payload.encode()) + len(headers.encode()) + len(key.encode())
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(f"{meta.type} is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    await conn.execute(
        f"INSERT INTO {quote_schema(schema)}.outbox"
        " (id, aggregatetype, aggregateid, type, topic, payload, headers)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
        uuid.UUID(meta.id),
        aggregate_type,
        key,
        meta.type,
        topic.name,
        payload,
        headers,
    )
    return meta.id


def _claim_sql(schema: str) -> str:
    q = quote_schema(schema)
    # $2 claimers share the keys by hash ($3 is this one's share): a key always goes through
    # the same claimer, so concurrent claimers never reorder one key's events. A row whose key
    # has an older pending row that this claim does not hold (another relay process has it,
    # or it is parked) waits: per-key order on the topic holds with several relays too. Behind
    # a row Kafka refused before, only that row is retried until it goes through or is parked.
    return f"""
        WITH claimed AS (
            SELECT id, seq, topic, aggregateid FROM {q}.outbox
            WHERE sent_at IS NULL AND parked_at IS NULL
              AND mod(hashtext(aggregateid)::bigint + 2147483648, $2) = $3
              AND NOT EXISTS (  -- behind a refused or parked row: not even claimed, so a
                SELECT 1 FROM {q}.outbox b  -- parked key's backlog cannot fill the batches
                WHERE b.sent_at IS NULL AND b.topic = outbox.topic AND b.aggregateid = outbox.aggregateid
                  AND b.seq < outbox.seq AND (b.parked_at IS NOT NULL OR b.attempts > 0)
              )
            ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        SELECT o.id, o.topic, o.aggregateid, o.payload::text AS payload, o.headers::text AS headers,
               o.attempts
        FROM claimed c JOIN {q}.outbox o ON o.id = c.id
        WHERE NOT EXISTS (
            SELECT 1 FROM {q}.outbox e
            WHERE e.sent_at IS NULL AND e.topic = c.topic
              AND e.aggregateid = c.aggregateid AND e.seq < c.seq
              AND e.id NOT IN (SELECT id FROM claimed)
        )
        ORDER BY c.seq
    """


ProducerFactory = Callable[[], Awaitable[AIOKafkaProducer]]


def idempotent_producer_factory(
    bootstrap_servers: str, client_id: str, *, request_timeout_ms: int = 30_000
) -> ProducerFactory:
    async def make() -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            request_timeout_ms=request_timeout_ms,
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()  # a failed start still holds sockets and tasks
            raise
        return producer

    return make


# Errors about the record itself: retrying the same record cannot help. Everything else
# (timeouts, no leader, no connection, a producer closed or out of sequence) is about the
# broker or the client and passes once they recover; it is never held against a row.
_ROW_ERRORS = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,  # a topic that does not exist (auto-creation off)
    CorruptRecordException,
)


def _row_error(exc: BaseException) -> bool:
    return isinstance(exc, _ROW_ERRORS)


def _waves(rows: list[asyncpg.Record]) -> list[list[asyncpg.Record]]:
    """Rows (in outbox order) split so that wave n holds the n-th row of every key."""
    waves: list[list[asyncpg.Record]] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["topic"], row["aggregateid"])
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n == len(waves):
            waves.append([])
        waves[n].append(row)
    return waves


class BrokerUnavailable(RuntimeError):
    """No row of a batch reached Kafka: the broker, not the rows, is the problem."""


class OutboxRelay:
    """Publishes a schema's outbox. `claimers` loops run at once, each over its own share of
    the keys, so one's database work overlaps another's publishing without reordering any
    key. Sent rows are kept for tracing until `prune()` removes them."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        producer_factory: ProducerFactory,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        dsn: str | None = None,
        claimers: int = 2,
        park_after: int = 5,
        stop_timeout_s: float = 10.0,
        publish_timeout_s: float = 60.0,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._producer_factory = producer_factory
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._dsn = dsn
        self._claimers = claimers
        self._park_after = park_after
        self._stop_timeout_s = stop_timeout_s
        self._publish_timeout_s = publish_timeout_s
        q = quote_schema(schema)
        self._claim_sql = _claim_sql(schema)
        self._mark_sql = f"UPDATE {q}.outbox SET sent_at = now() WHERE id = ANY($1::uuid[])"
        self._fail_sql = (
            f"UPDATE {q}.outbox o SET attempts = o.attempts + 1, last_error = f.error,"
            " parked_at = CASE WHEN o.attempts + 1 >= $3 THEN now() END"
            " FROM unnest($1::uuid[], $2::text[]) AS f(id, error) WHERE o.id = f.id"
        )
        self._prune_sql = f"DELETE FROM {q}.outbox WHERE sent_at < now() - $1::interval"
        self._stats_sql = (
            f"SELECT (SELECT extract(epoch FROM now() - created_at) FROM {q}.outbox"
            "         WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY seq LIMIT 1) AS oldest,"
            f"       (SELECT count(*) FROM {q}.outbox WHERE parked_at IS NOT NULL AND sent_at IS NULL) AS parked"
        )
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._listener_lock = asyncio.Lock()
        self._wakeups = [asyncio.Event() for _ in range(claimers)]
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.rounds_completed = 0  # claim rounds that went through, empty ones included

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._run(share), name=f"outbox-relay-{self._schema}-{share}")
            for share in range(self._claimers)
        ]

    async def stop(self) -> None:
        """Let rounds in flight finish (their rows are on Kafka; marking them now saves
        publishing them again after a restart), then cancel what is still waiting."""
        self._stopping = True
        for wakeup in self._wakeups:
            wakeup.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self._stop_timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._close_listener()
        await self._close_producer(self._producer)

    async def publish_pending(self, share: int = 0) -> int:
        """Publish one batch of claimer `share`'s keys; return how many rows were marked sent."""
        return await self._publish_batch(await self._get_producer(), share)

    async def _publish_batch(self, producer: AIOKafkaProducer, share: int) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self._claim_sql, self._batch_size, self._claimers, share)
            if not rows:
                return 0
            LAST_BATCH.labels(self._schema).set(len(rows))
            refused: dict[Any, BaseException] = {}
            held_keys: set[tuple[str, str]] = set()
            sent = []
            # Waves: the n-th row of each key goes out only after every (n-1)-th row was
            # acknowledged, so a row Kafka refuses can never be overtaken by a later row of its
            # key (the producer may put them in different requests). Rows of distinct keys
            # share a wave: usually a batch is one wave.
            for wave in _waves(rows):
                in_flight = []
                for row in wave:
                    key = (row["topic"], row["aggregateid"])
                    if key in held_keys:
                        continue  # an older row of this key failed: keep the key's order
                    try:
                        future = await producer.send(
                            row["topic"],
                            value=row["payload"].encode(),
                            key=row["aggregateid"].encode(),
                            headers=[(k, str(v).encode()) for k, v in json.loads(row["headers"]).items()],
                        )
                    except KafkaError as exc:  # refused before it left
                        if not _row_error(exc):
                            # No metadata, no connection: every further send would wait as long.
                            raise BrokerUnavailable(describe(exc)) from exc
                        refused[row["id"]] = exc  # too large, no such topic: this row only
                        held_keys.add(key)
                        continue
                    in_flight.append((row, future))
                # With idempotence aiokafka never expires a batch while the broker is away:
                # bound the wait for acknowledgements.
                try:
                    results = await asyncio.wait_for(
                        asyncio.gather(*(f for _, f in in_flight), return_exceptions=True),
                        self._publish_timeout_s,
                    )
                except TimeoutError:
                    raise BrokerUnavailable(
                        f"no acknowledgement within {self._publish_timeout_s} s"
                    ) from None
                for (row, _), result in zip(in_flight, results, strict=True):
                    if isinstance(result, BaseException):
                        refused[row["id"]] = result
                        held_keys.add((row["topic"], row["aggregateid"]))
                    else:
                        sent.append(row["id"])
            # Only errors about the record itself count against a row; if nothing went through
            # and nothing was the rows' fault, the broker is down: roll back and back off.
            counted = {row_id: describe(exc) for row_id, exc in refused.items() if _row_error(exc)}
            if refused and not sent and not counted:
                raise BrokerUnavailable(describe(next(iter(refused.values()))))
            if sent:
                await conn.execute(self._mark_sql, sent)
            if counted:
                await conn.execute(self._fail_sql, list(counted), list(counted.values()), self._park_after)
        PUBLISHED.labels(self._schema).inc(len(sent))
        if refused:
            # A refused batch leaves the idempotent producer's sequence for its partition with
            # a gap; a fresh producer starts clean (the other claimer picks it up next round).
            await self._close_producer(producer)
            ROW_FAILURES.labels(self._schema).inc(len(counted))
            log.warning(
                "outbox.rows_refused",
                schema=self._schema,
                refused=len(refused),
                counted=len(counted),
                error=describe(next(iter(refused.values()))),
            )
        return len(sent)

    async def drain(self) -> int:
        """Publish until nothing is pending, with every claimer; return rows published."""

        async def claimer(share: int) -> int:
            total = 0
            while (n := await self.publish_pending(share)) > 0:
                total += n
            return total

        return sum(await asyncio.gather(*(claimer(share) for share in range(self._claimers))))

    async def prune(self, retention: timedelta) -> int:
        """Delete sent rows older than `retention`; return how many."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(self._prune_sql, retention)
        return int(status.split()[-1])

    async def observe(self) -> tuple[float, int]:
        """(age in seconds of the oldest pending row, parked rows), also set as gauges."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(self._stats_sql)
        assert row is not None
        oldest, parked = float(row["oldest"] or 0.0), int(row["parked"])
        OLDEST_PENDING.labels(self._schema).set(oldest)
        PARKED.labels(self._schema).set(parked)
        return oldest, parked

    async def _run(self, share: int) -> None:
        failures = 0
        wakeup = self._wakeups[share]
        while not self._stopping:
            producer: AIOKafkaProducer | None = None
            try:
                await self._ensure_listener()
                wakeup.clear()
                producer = await self._get_producer()
                published = await self._publish_batch(producer, share)
                self.rounds_completed += 1
                failures = 0
                if published >= self._batch_size:
                    continue
                if published == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wakeup.wait(), self._poll_interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The rows stay pending (the transaction rolled back). After a broker failure
                # a fresh producer avoids a stuck idempotence sequence; a database failure
                # leaves the producer (and the other claimers using it) alone.
                failures += 1
                RELAY_ERRORS.labels(self._schema).inc()
                log.warning(
                    "outbox.relay_failed",
                    schema=self._schema,
                    error=describe(exc),
                    error_type=type(exc).__name__,
                    failures=failures,
                )
                if isinstance(exc, KafkaError | BrokerUnavailable):
                    await self._close_producer(producer)
                if isinstance(exc, OSError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
                    await self._close_listener()
                delay = min(0.2 * 2 ** min(failures, 6), 10.0) * (0.5 + random.random() / 2)
                await asyncio.sleep(delay)

    async def _get_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is None:
                self._producer = await self._producer_factory()
            return self._producer

    async def _ensure_listener(self) -> None:
        if self._dsn is None:
            return
        async with self._listener_lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            conn = await asyncpg.connect(self._dsn)
            await conn.add_listener(f"{self._schema}_outbox", self._on_notify)
            self._listener = conn

    def _on_notify(self, *_: Any) -> None:
        for wakeup in self._wakeups:
            wakeup.set()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            try:
                await listener.close(timeout=2)
            except Exception:
                listener.terminate()

    async def _close_producer(self, producer: AIOKafkaProducer | None) -> None:
        """Close `producer` if it is still the current one (another claimer may have replaced it)."""
        current = self._producer
        if producer is None or current is None or producer is not current:
            return
        self._producer = None
        try:
            await asyncio.wait_for(current.stop(), 30)
        except Exception as exc:
            log.warning("outbox.producer_stop_failed", error=repr(exc))
