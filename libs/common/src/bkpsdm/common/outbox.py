"""Transactional outbox: events written with the state change, published by a relay.

`enqueue` adds an event inside the caller's transaction. `OutboxRelay` claims pending rows
with `FOR UPDATE SKIP LOCKED` (several relays at once never publish the same row in
parallel), publishes them with an idempotent producer (acks=all), and marks them sent in
the same transaction. A relay killed after publishing but before its commit publishes
those rows again: consumers de-duplicate by event id (inbox), so effects stay exactly once.
It wakes on LISTEN/NOTIFY and polls as a fallback.
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
from prometheus_client import Counter, Gauge

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.errors import PermanentError
from bkpsdm.common.events import Event, metadata_for
from bkpsdm.common.logs import get_logger
from bkpsdm.common.topics import TopicSpec

log = get_logger(__name__)

PUBLISHED = Counter("bkpsdm_outbox_published_total", "Outbox rows published to Kafka", ["schema"])
RELAY_ERRORS = Counter("bkpsdm_outbox_relay_errors_total", "Relay batches that failed", ["schema"])
LAST_BATCH = Gauge("bkpsdm_outbox_last_batch_rows", "Rows the relay claimed in its last batch", ["schema"])


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
    # the same claimer, so concurrent claimers never reorder one key's events. Rows whose
    # key has an older pending row held by someone else (another relay process) are left
    # for the next round: per-key order on the topic holds with several relays too.
    return f"""
        WITH claimed AS (
            SELECT id, seq, aggregatetype, aggregateid FROM {q}.outbox
            WHERE sent_at IS NULL AND mod(abs(hashtext(aggregateid)), $2) = $3
            ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        SELECT o.id, o.topic, o.aggregateid, o.payload::text AS payload, o.headers::text AS headers
        FROM claimed c JOIN {q}.outbox o ON o.id = c.id
        WHERE NOT EXISTS (
            SELECT 1 FROM {q}.outbox e
            WHERE e.sent_at IS NULL AND e.aggregatetype = c.aggregatetype
              AND e.aggregateid = c.aggregateid AND e.seq < c.seq
              AND e.id NOT IN (SELECT id FROM claimed)
        )
        ORDER BY c.seq
    """


ProducerFactory = Callable[[], Awaitable[AIOKafkaProducer]]


def idempotent_producer_factory(bootstrap_servers: str, client_id: str) -> ProducerFactory:
    async def make() -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            request_timeout_ms=30_000,
        )
        await producer.start()
        return producer

    return make


class OutboxRelay:
    """Publishes a schema's outbox. `claimers` loops run at once, each over its own share of
    the keys, so one's database work overlaps another's publishing without reordering any
    key. Sent rows are kept `retention` for tracing, then pruned."""

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
        retention: timedelta = timedelta(days=7),
        prune_interval_s: float = 600.0,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._producer_factory = producer_factory
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._dsn = dsn
        self._claimers = claimers
        self._retention = retention
        self._prune_interval_s = prune_interval_s
        q = quote_schema(schema)
        self._claim_sql = _claim_sql(schema)
        self._mark_sql = f"UPDATE {q}.outbox SET sent_at = now() WHERE id = ANY($1::uuid[])"
        self._prune_sql = f"DELETE FROM {q}.outbox WHERE sent_at < now() - $1::interval"
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._listener_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.rounds_completed = 0  # claim rounds that went through, empty ones included

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._run(share), name=f"outbox-relay-{self._schema}-{share}")
            for share in range(self._claimers)
        ]
        self._tasks.append(asyncio.create_task(self._prune_loop(), name=f"outbox-prune-{self._schema}"))

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._close_listener()
        await self._close_producer(self._producer)

    async def publish_pending(self, share: int = 0) -> int:
        """Publish one batch of this claimer's share of keys; return how many rows it marked sent."""
        producer = await self._get_producer()
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self._claim_sql, self._batch_size, self._claimers, share)
            if not rows:
                return 0
            LAST_BATCH.labels(self._schema).set(len(rows))
            deliveries = []
            for row in rows:
                headers = json.loads(row["headers"])
                deliveries.append(
                    await producer.send(
                        row["topic"],
                        value=row["payload"].encode(),
                        key=row["aggregateid"].encode(),
                        headers=[(k, str(v).encode()) for k, v in headers.items()],
                    )
                )
            # All sends are in flight together; wait for every broker acknowledgement.
            await asyncio.gather(*deliveries)
            await conn.execute(self._mark_sql, [row["id"] for row in rows])
        PUBLISHED.labels(self._schema).inc(len(rows))
        return len(rows)

    async def drain(self) -> int:
        """Publish until nothing is pending, with every claimer; return rows published."""

        async def claimer(share: int) -> int:
            total = 0
            while (n := await self.publish_pending(share)) > 0:
                total += n
            return total

        return sum(await asyncio.gather(*(claimer(share) for share in range(self._claimers))))

    async def prune(self) -> int:
        """Delete sent rows older than the retention; return how many."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(self._prune_sql, self._retention)
        return int(status.split()[-1])

    async def _run(self, share: int) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self._ensure_listener()
                self._wakeup.clear()
                published = await self.publish_pending(share)
                self.rounds_completed += 1
                failures = 0
                if published >= self._batch_size:
                    continue
                if published == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), self._poll_interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Rows stay pending (the transaction rolled back); a fresh producer avoids a
                # stuck idempotence sequence after a broker failure.
                failures += 1
                RELAY_ERRORS.labels(self._schema).inc()
                log.warning("outbox.relay_failed", schema=self._schema, error=repr(exc), failures=failures)
                await self._close_producer(self._producer)
                await self._close_listener()
                delay = min(0.2 * 2 ** min(failures, 6), 10.0) * (0.5 + random.random() / 2)
                await asyncio.sleep(delay)

    async def _prune_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self._prune_interval_s)
            try:
                pruned = await self.prune()
                if pruned:
                    log.info("outbox.pruned", schema=self._schema, rows=pruned)
            except Exception as exc:
                log.warning("outbox.prune_failed", schema=self._schema, error=repr(exc))

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
        self._wakeup.set()

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
            await asyncio.wait_for(current.stop(), 5)
        except Exception as exc:
            log.warning("outbox.producer_stop_failed", error=repr(exc))
