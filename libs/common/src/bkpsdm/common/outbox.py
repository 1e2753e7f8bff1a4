"""Transactional outbox: events written with the state change, published by a relay.

`enqueue` adds an event inside the caller's transaction, after checking it against its
topic's contract (the topic carries that event type; the Kafka key is the field the topic
declares; the record fits Kafka's size limit), so a row can be refused by Kafka for itself
only in rare cases (a topic reconfigured under us, an ACL removed). `enqueue_many` does the
same for many events in one round trip.

`OutboxRelay` publishes pending rows with one idempotent producer (acks=all). Each key
hashes to one of `RELAY_SLOTS` slots; a relay claimer owns a slot through a PostgreSQL
advisory lock held by its own connection, so a key is only ever published by one claimer of
one process at a time and keeps its order on the topic. A claimer pipelines: it claims the
next batch of its slots while earlier batches wait for their acknowledgements, and marks
batches sent in order as they are acknowledged. Order inside a partition is the idempotent
producer's job: Kafka refuses a record whose sequence number skips a refused one
(OUT_OF_ORDER_SEQUENCE_NUMBER), so a later row of a key can never overtake a refused row.
A relay killed after publishing and before marking would publish those rows again. So a
claimer that takes slots over (at start, or from a relay that died) or drops a producer (a
broker failure) first reads the tail of the partitions its oldest pending rows go to and
marks sent those whose event id (`ce_id`) is already there: the topic keeps each event once,
as Kafka's own tools count it. Should that read fail, rows may still go out twice; consumers
de-duplicate by event id (inbox) in any case, so effects stay exactly once.

A row Kafka refuses for the record itself (too large for its topic, a topic that does not
exist) counts an attempt (the first may be shared with the rows of its record batch, which
the broker refuses whole; later tries send the row alone); after `park_after` attempts it is
parked: left pending with its
error, its key held back so that key's order is kept, the rest of the outbox flowing.
`bkpsdm_outbox_parked` counts them; an operator fixes the cause and clears `parked_at`
(docs/OPERATIONS.md). Broker-side failures (no connection, no leader, timeouts, a producer
out of sequence after a refusal) are never held against a row: what went through is marked,
the rest waits, and the relay takes a fresh producer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from aiokafka.partitioner import DefaultPartitioner
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter, Gauge

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.errors import PermanentError, describe
from bkpsdm.common.events import Event, metadata_for
from bkpsdm.common.kafka_security import KafkaClientSettings, client_options
from bkpsdm.common.logs import get_logger
from bkpsdm.common.topics import TopicSpec

log = get_logger(__name__)

PUBLISHED = Counter("bkpsdm_outbox_published_total", "Outbox rows published to Kafka", ["schema"])
RELAY_ERRORS = Counter("bkpsdm_outbox_relay_errors_total", "Relay rounds that failed", ["schema"])
ROW_FAILURES = Counter("bkpsdm_outbox_row_failures_total", "Rows Kafka refused for themselves", ["schema"])
RECONCILED = Counter(
    "bkpsdm_outbox_reconciled_total",
    "Pending rows found already on Kafka after a takeover or a producer failure, marked without publishing",
    ["schema"],
)
ORDER_VIOLATIONS = Counter(
    "bkpsdm_outbox_order_violations_total",
    "Rows acknowledged after an earlier row of their key was refused (should stay 0)",
    ["schema"],
)
LAST_BATCH = Gauge("bkpsdm_outbox_last_batch_rows", "Rows the relay claimed in its last batch", ["schema"])
PARKED = Gauge("bkpsdm_outbox_parked", "Rows parked after repeated refusals", ["schema"])
PENDING = Gauge("bkpsdm_outbox_pending", "Rows not yet published (parked ones excluded)", ["schema"])
OLDEST_PENDING = Gauge(
    "bkpsdm_outbox_oldest_pending_seconds", "Age of the oldest row not yet published", ["schema"]
)

# Kafka's default message.max.bytes is 1 MiB. A larger event would fail at every publish
# attempt, so it is refused when written: big content travels by reference (the owning
# service serves it over HTTP) or in chunks.
MAX_EVENT_BYTES = 900_000
# Partitions as every aiokafka producer (and Kafka's Java client) chooses them for a key.
_PARTITIONER = DefaultPartitioner()
# Keys hash to this many slots (the `slot` column); fixed, so that relays configured with
# different numbers of claimers still agree on which key is whose.
RELAY_SLOTS = 16


class EventTooLarge(PermanentError):
    """Retrying cannot shrink it: permanent."""


class ContractViolation(PermanentError):
    """An event its topic does not carry, or without the topic's key: a bug, never retried."""


def key_of(topic: TopicSpec, event: Event) -> str:
    """The Kafka key the topic declares (`TopicSpec.key` names a field of the event)."""
    if topic.events and type(event) not in topic.events:
        carried = ", ".join(e.event_type for e in topic.events)
        raise ContractViolation(
            f"{topic.name} does not carry {type(event).event_type} (it carries {carried})"
        )
    value = getattr(event, topic.key, None)
    if value is None or str(value) == "":
        raise ContractViolation(f"{type(event).event_type} has no {topic.key!r}, the key of {topic.name}")
    return str(value)


async def enqueue(
    conn: Connection,
    schema: str,
    topic: TopicSpec,
    event: Event,
    *,
    source: str,
    correlation_id: str | None,
    aggregate_type: str | None = None,
) -> str:
    """Add `event` to the outbox inside the caller's transaction; return its event id."""
    row = outbox_row(
        topic, event, source=source, correlation_id=correlation_id, aggregate_type=aggregate_type
    )
    await conn.execute(
        f"INSERT INTO {quote_schema(schema)}.outbox"
        " (id, aggregatetype, aggregateid, type, topic, payload, headers)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
        *row,
    )
    return str(row[0])


def outbox_row(
    topic: TopicSpec,
    event: Event,
    *,
    source: str,
    correlation_id: str | None,
    aggregate_type: str | None = None,
) -> tuple[uuid.UUID, str, str, str, str, str, str]:
    """The outbox row of `event` (the values of `OUTBOX_COLUMNS`) once it passed the topic's
    contract and the size limit. A repository may insert it in the same statement as the
    state change it announces (one round trip instead of two)."""
    key = key_of(topic, event)
    meta = metadata_for(event, source=source, correlation_id=correlation_id)
    payload = event.model_dump_json()
    headers = json.dumps(meta.to_headers())
    size = len(payload.encode()) + len(headers.encode()) + len(key.encode())
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(f"{meta.type} is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    aggregate = aggregate_type or topic.key.removesuffix("_id")
    return uuid.UUID(meta.id), aggregate, key, meta.type, topic.name, payload, headers


OUTBOX_COLUMNS = ["id", "aggregatetype", "aggregateid", "type", "topic", "payload", "headers"]


async def enqueue_many(
    conn: Connection,
    schema: str,
    topic: TopicSpec,
    events: Iterable[Event],
    *,
    source: str,
    correlation_id: str | None = None,
    aggregate_type: str | None = None,
) -> list[str]:
    """`enqueue` for many events in one round trip (COPY), with the same checks, row for row;
    their event ids in order. Nothing is written when one event fails a check."""
    rows = [
        outbox_row(topic, event, source=source, correlation_id=correlation_id, aggregate_type=aggregate_type)
        for event in events
    ]
    if rows:
        # COPY is several times faster than inserts (a 100,000-record terminal log would cost
        # as many round trips); the statement-level NOTIFY trigger still wakes the relays.
        quote_schema(schema)  # asyncpg quotes the name itself; this still refuses a non-plain one
        await conn.copy_records_to_table("outbox", schema_name=schema, columns=OUTBOX_COLUMNS, records=rows)
    return [str(row[0]) for row in rows]


ProducerFactory = Callable[[], Awaitable[AIOKafkaProducer]]


def idempotent_producer_factory(
    bootstrap_servers: str,
    client_id: str,
    *,
    request_timeout_ms: int = 30_000,
    security: KafkaClientSettings | None = None,  # None: from the environment
) -> ProducerFactory:
    options = client_options(security)

    async def make() -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            **options,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            # The relay builds its own record batches: one may hold the largest event the
            # outbox accepts (MAX_EVENT_BYTES) and stays under Kafka's 1 MiB message limit.
            max_batch_size=1_000_000,
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


# Which of `wanted` event ids are among the last records of these partitions (each read back
# from its end by as many records as given)?
TailReader = Callable[[Mapping[tuple[str, int], int], set[str]], Awaitable[set[str]]]


def topic_tail_reader(
    bootstrap_servers: str,
    *,
    timeout_s: float = 15.0,
    security: KafkaClientSettings | None = None,  # None: from the environment
) -> TailReader:
    """Reads partition tails for `OutboxRelay`'s check after a takeover: no consumer group,
    nothing committed. Raises TimeoutError rather than answer from part of a tail."""
    options = client_options(security)

    async def read(depths: Mapping[tuple[str, int], int], wanted: set[str]) -> set[str]:
        tps = [TopicPartition(topic, partition) for topic, partition in depths]
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, **options)
        found: set[str] = set()
        try:
            await consumer.start()
            consumer.assign(tps)
            first = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            reading = []
            for tp in tps:
                start = max(first[tp], end[tp] - depths[(tp.topic, tp.partition)])
                if start < end[tp]:
                    consumer.seek(tp, start)
                    reading.append(tp)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            while reading:
                if loop.time() > deadline:
                    raise TimeoutError(f"partition tails not read in {timeout_s} s")
                for batch in (await consumer.getmany(*reading, timeout_ms=300)).values():
                    for record in batch:
                        event_id = next((v for k, v in record.headers if k == "ce_id"), b"").decode()
                        if event_id in wanted:
                            found.add(event_id)
                reading = [tp for tp in reading if await consumer.position(tp) < end[tp]]
            return found
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    return read


def _row_error(exc: BaseException) -> bool:
    return isinstance(exc, _ROW_ERRORS)


def _slot_lock_space(schema: str) -> int:
    """The first half of the two-int advisory lock key: one space per schema's outbox."""
    return zlib.crc32(f"bkpsdm.outbox.{schema}".encode()) - 2**31


class BrokerUnavailable(RuntimeError):
    """No row of a batch reached Kafka: the broker, not the rows, is the problem."""


@dataclass
class _Flight:
    """One claimed batch of rows, handed to the producer as record batches (one future each:
    Kafka accepts or refuses a record batch whole)."""

    rows: list[asyncpg.Record]
    batches: list[tuple[list[asyncpg.Record], asyncio.Future[Any]]] = field(default_factory=list)
    refused: dict[Any, BaseException] = field(default_factory=dict)  # refused before leaving
    settled: bool = False

    def futures(self) -> list[asyncio.Future[Any]]:
        return [future for _, future in self.batches]


@dataclass
class _Round:
    """What one pump of a claimer's slots learnt: keys with a refused row, rows marked."""

    failed_keys: set[tuple[str, str]] = field(default_factory=set)
    sent: int = 0
    trouble: bool = False  # something failed: stop claiming, settle, take a fresh producer


class OutboxRelay:
    """Publishes a schema's outbox. `claimers` loops run at once, each over its own slots
    (slot s belongs to claimer s mod claimers), each with its own connection holding the
    advisory locks of the slots it publishes. Sent rows are kept for tracing until
    `prune()` removes them."""

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
        batches_in_flight: int = 3,
        tail_reader: TailReader | None = None,
        tail_slack: int = 5_000,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._producer_factory = producer_factory
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._dsn = dsn
        self._claimers = max(1, min(claimers, RELAY_SLOTS))
        self._park_after = park_after
        self._stop_timeout_s = stop_timeout_s
        self._publish_timeout_s = publish_timeout_s
        self._batches_in_flight = max(1, batches_in_flight)
        # None: no check after a takeover (rows a dead relay left unmarked go out again).
        self._tail_reader = tail_reader
        # Records another producer may have appended after the ones looked for.
        self._tail_slack = tail_slack
        self._lock_space = _slot_lock_space(schema)
        q = quote_schema(schema)
        # Behind a refused or parked row of its key a row waits (partial index: such rows are
        # rare, so the check is nearly free); the refused row itself is tried again alone.
        # Per slot (LATERAL), the slot's next rows after that slot's cursor: the (slot, seq)
        # index yields them in order and the LIMIT stops early, for one hot slot as for many
        # (asking for several slots at once in one ORDER BY sorted every pending row of them).
        # The held keys are computed once per claim (MATERIALIZED): as a correlated NOT EXISTS,
        # a plan made on statistics taken while nothing was pending scanned every pending row
        # for each claimed one (29 s for 7,600 rows; past the command timeout for 38,000).
        self._claim_sql = f"""
            WITH held AS MATERIALIZED (
                SELECT b.topic, b.aggregateid, min(b.seq) AS seq FROM {q}.outbox b
                WHERE b.sent_at IS NULL AND (b.parked_at IS NOT NULL OR b.attempts > 0)
                GROUP BY b.topic, b.aggregateid
            )
            SELECT r.* FROM unnest($1::smallint[], $2::bigint[]) AS s(slot, after)
            CROSS JOIN LATERAL (
                SELECT o.seq, o.slot, o.id, o.topic, o.aggregateid, o.payload::text AS payload,
                       o.headers::text AS headers, o.attempts
                FROM {q}.outbox o
                WHERE o.slot = s.slot AND o.sent_at IS NULL AND o.parked_at IS NULL AND o.seq > s.after
                  AND NOT EXISTS (
                    SELECT 1 FROM held h
                    WHERE h.topic = o.topic AND h.aggregateid = o.aggregateid AND h.seq < o.seq)
                ORDER BY o.seq LIMIT $3
            ) r
            ORDER BY r.seq
        """
        self._lock_sql = (
            "SELECT array_agg(s)::int[] FROM unnest($2::int[]) AS s WHERE pg_try_advisory_lock($1, s)"
        )
        self._mark_sql = f"UPDATE {q}.outbox SET sent_at = now() WHERE id = ANY($1::uuid[])"
        # The rows a relay that died could have published without marking: per slot, the
        # oldest pending ones (rows are claimed, sent and marked in order per slot).
        self._unsettled_sql = f"""
            SELECT r.id::text AS id, r.topic, r.aggregateid FROM unnest($1::smallint[]) AS s(slot)
            CROSS JOIN LATERAL (
                SELECT o.id, o.topic, o.aggregateid FROM {q}.outbox o
                WHERE o.slot = s.slot AND o.sent_at IS NULL AND o.parked_at IS NULL
                ORDER BY o.seq LIMIT $2
            ) r
        """
        # A mark lost in a crash only publishes its rows again, which consumers absorb (inbox):
        # marks need not wait for the WAL flush, and a hot key's marks were the relay's
        # bottleneck when they did.
        self._relaxed_commit_sql = "SET synchronous_commit = off"
        self._fail_sql = (
            f"UPDATE {q}.outbox o SET attempts = o.attempts + 1, last_error = f.error,"
            " parked_at = CASE WHEN o.attempts + 1 >= $3 THEN now() END"
            " FROM unnest($1::uuid[], $2::text[]) AS f(id, error) WHERE o.id = f.id"
        )
        self._prune_sql = f"DELETE FROM {q}.outbox WHERE sent_at < now() - $1::interval"
        self._stats_sql = (
            f"SELECT (SELECT extract(epoch FROM now() - created_at) FROM {q}.outbox"
            "         WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY seq LIMIT 1) AS oldest,"
            f"       (SELECT count(*) FROM {q}.outbox WHERE sent_at IS NULL AND parked_at IS NULL) AS pending,"
            f"       (SELECT count(*) FROM {q}.outbox WHERE parked_at IS NOT NULL AND sent_at IS NULL) AS parked"
        )
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._listener_lock = asyncio.Lock()
        self._wakeups = [asyncio.Event() for _ in range(self._claimers)]
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.rounds_completed = 0  # claim rounds that went through, empty ones included

    def slots_of(self, claimer: int) -> list[int]:
        return [s for s in range(RELAY_SLOTS) if s % self._claimers == claimer]

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._run(claimer), name=f"outbox-relay-{self._schema}-{claimer}")
            for claimer in range(self._claimers)
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

    async def publish_pending(self, claimer: int = 0) -> int:
        """Publish what claimer `claimer`'s slots have pending, once through; return rows
        marked sent. Slots another relay holds are left to it."""
        async with self._pool.acquire() as conn:
            await conn.execute(self._relaxed_commit_sql)
            try:
                slots = await self._lock_slots(conn, self.slots_of(claimer))
                if not slots:
                    return 0
                return await self._pump(conn, await self._get_producer(), slots)
            finally:
                await conn.execute("SELECT pg_advisory_unlock_all()")

    async def drain(self) -> int:
        """Publish until nothing is pending, with every claimer; return rows published."""

        async def claimer(n: int) -> int:
            total = 0
            while (published := await self.publish_pending(n)) > 0:
                total += published
            return total

        return sum(await asyncio.gather(*(claimer(n) for n in range(self._claimers))))

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
        PENDING.labels(self._schema).set(int(row["pending"]))
        PARKED.labels(self._schema).set(parked)
        return oldest, parked

    async def _lock_slots(self, conn: Connection, wanted: Sequence[int]) -> list[int]:
        """The slots of `wanted` whose advisory locks this session could take."""
        got = await conn.fetchval(self._lock_sql, self._lock_space, list(wanted))
        return sorted(got or [])

    async def _pump(self, conn: Connection, producer: AIOKafkaProducer, slots: list[int]) -> int:
        """Publish what `slots` have pending, in three overlapping stages: claiming the next
        batch (PostgreSQL), handing rows to the producer (which paces them: aiokafka holds one
        pending batch per partition, so a hot key's sends wait on Kafka), and settling each
        handed-over batch in order once acknowledged (marking it sent). A key's rows keep
        their order through all three. At the first refusal or failure claiming and sending
        stop, what was handed over is settled, and the caller takes a fresh producer."""
        state = _Round()
        held: set[tuple[str, str]] = set()  # keys with a row refused before leaving
        claimed: asyncio.Queue[list[asyncpg.Record] | None] = asyncio.Queue(maxsize=2)
        handed: asyncio.Queue[_Flight | None] = asyncio.Queue(maxsize=self._batches_in_flight)
        flights: list[_Flight] = []  # every batch handed over, to await whatever happens
        db = asyncio.Lock()  # claims and marks share the claimer's connection (and its locks)

        async def claim() -> None:
            cursors = dict.fromkeys(slots, 0)  # per slot: the last seq claimed in this pump
            try:
                while cursors and not state.trouble:
                    async with db:
                        rows = await conn.fetch(
                            self._claim_sql, list(cursors), list(cursors.values()), self._batch_size
                        )
                    if not rows:
                        break
                    per_slot: dict[int, list[asyncpg.Record]] = {}
                    for row in rows:
                        per_slot.setdefault(row["slot"], []).append(row)
                    for slot in list(cursors):
                        got = per_slot.get(slot, [])
                        if len(got) < self._batch_size:
                            del cursors[slot]  # drained for this pump
                        else:
                            cursors[slot] = got[-1]["seq"]
                    LAST_BATCH.labels(self._schema).set(len(rows))
                    await claimed.put(list(rows))
            finally:
                await claimed.put(None)

        async def send() -> None:
            rows: list[asyncpg.Record] | None = []
            try:
                while (rows := await claimed.get()) is not None and not state.trouble:
                    flight = await self._send(producer, rows, held)
                    flights.append(flight)
                    await handed.put(flight)
                    state.trouble = state.trouble or bool(flight.refused)
            except BaseException:
                state.trouble = True  # the claimer stops at its next batch
                raise
            finally:
                task = asyncio.current_task()
                if task is None or not task.cancelling():  # the peers are alive: let them end
                    while rows is not None:
                        rows = await claimed.get()
                    await handed.put(None)

        async def settle() -> None:
            while (flight := await handed.get()) is not None:
                await self._settle(conn, flight, state, db)

        try:
            async with asyncio.TaskGroup() as stages:
                stages.create_task(claim())
                stages.create_task(send())
                stages.create_task(settle())
        except BaseExceptionGroup as group:
            raise group.exceptions[0] from None
        finally:
            # Whatever happens (a database error while marking, cancellation at stop), the
            # records handed to the producer are awaited, so none is left half-tracked.
            unsettled = [f for flight in flights if not flight.settled for f in flight.futures()]
            if unsettled:
                # Bounded: with the broker gone they may never complete (the caller then drops
                # the producer, and the rows, still unmarked, go out again later).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*unsettled, return_exceptions=True), self._publish_timeout_s
                    )
        PUBLISHED.labels(self._schema).inc(state.sent)
        self.rounds_completed += 1
        if state.trouble:
            # After a refusal the producer's sequence for that partition has a gap: every
            # later record there would be refused as out of sequence. A fresh one starts clean.
            await self._close_producer(producer)
        return state.sent

    async def _send(
        self, producer: AIOKafkaProducer, rows: list[asyncpg.Record], held: set[tuple[str, str]]
    ) -> _Flight:
        """Hand `rows` to the producer as record batches built here (aiokafka's `send` costs
        tens of microseconds a record; appending to a batch builder a few), one open batch per
        partition, submitted in order, partitioned as aiokafka's default partitioner would."""
        flight = _Flight(rows)
        partitions: dict[str, list[int]] = {}
        open_batches: dict[tuple[str, int], tuple[Any, list[asyncpg.Record]]] = {}

        async def submit(tp: tuple[str, int]) -> None:
            builder, members = open_batches.pop(tp)
            if members:
                future = await producer.send_batch(builder, tp[0], partition=tp[1])
                flight.batches.append((members, future))

        def append(tp: tuple[str, int], row: asyncpg.Record) -> bool:
            if tp not in open_batches:
                open_batches[tp] = (producer.create_batch(), [])
            builder, members = open_batches[tp]
            added = builder.append(
                key=row["aggregateid"].encode(),
                value=row["payload"].encode(),
                timestamp=None,
                headers=[(k, str(v).encode()) for k, v in json.loads(row["headers"]).items()],
            )
            if added is not None:
                members.append(row)
            return added is not None

        for n, row in enumerate(rows):
            if n % 64 == 63:
                # Building is CPU work on the event loop, where aiokafka's sender also runs:
                # let it put the next request on the wire instead of idling the partition.
                await asyncio.sleep(0)
            key = (row["topic"], row["aggregateid"])
            if key in held:
                continue  # an older row of this key was refused: keep the key's order
            # The broker refuses a record batch whole, so a first refusal may be a
            # neighbour's. A row refused before goes out in a batch of its own: what is
            # refused then is its own fault, and an innocent row goes through.
            alone = row["attempts"] > 0
            try:
                topic = row["topic"]
                if topic not in partitions:
                    partitions[topic] = sorted(await producer.partitions_for(topic))
                tp = (topic, _PARTITIONER(key[1].encode(), partitions[topic], partitions[topic]))
                if alone and tp in open_batches:
                    await submit(tp)
                if not append(tp, row):
                    await submit(tp)  # full: send it, start the next
                    if not append(tp, row):
                        open_batches.pop(tp, None)
                        raise MessageSizeTooLargeError(f"{len(row['payload'])} bytes do not fit a batch")
                if alone:
                    await submit(tp)
            except KafkaError as exc:  # refused before it left
                if not _row_error(exc):
                    # No metadata, no connection: every further send would wait as long.
                    if not flight.batches and not flight.refused:
                        raise BrokerUnavailable(describe(exc)) from exc
                    flight.refused[row["id"]] = exc
                    break
                flight.refused[row["id"]] = exc  # too large, no such topic: this row only
                held.add(key)
        for tp in list(open_batches):
            await submit(tp)
        return flight

    async def _settle(self, conn: Connection, flight: _Flight, state: _Round, db: asyncio.Lock) -> None:
        # With idempotence aiokafka never expires a batch while the broker is away: bound the
        # wait for acknowledgements. Batches of a partition complete in order, so waiting for
        # each in turn costs little.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._publish_timeout_s
        for future in flight.futures():
            if not future.done():
                try:
                    await asyncio.wait_for(asyncio.shield(future), max(deadline - loop.time(), 0.0))
                except TimeoutError:
                    raise BrokerUnavailable(
                        f"no acknowledgement within {self._publish_timeout_s} s"
                    ) from None
                except Exception:
                    pass  # read below
        flight.settled = True
        refused = dict(flight.refused)
        sent = []
        for members, future in flight.batches:
            error = future.exception()
            for row in members:
                key = (row["topic"], row["aggregateid"])
                if error is not None:
                    refused[row["id"]] = error
                    state.failed_keys.add(key)
                else:
                    if key in state.failed_keys:
                        # The idempotent producer should make this impossible; count it if not.
                        ORDER_VIOLATIONS.labels(self._schema).inc()
                        log.error("outbox.order_violation", schema=self._schema, event_id=str(row["id"]))
                    sent.append(row["id"])
        for row_id in flight.refused:
            state.failed_keys.update((r["topic"], r["aggregateid"]) for r in flight.rows if r["id"] == row_id)
        # Only errors about the record itself count against a row; if nothing went through
        # and nothing was the rows' fault, the broker is down.
        counted = {row_id: describe(exc) for row_id, exc in refused.items() if _row_error(exc)}
        async with db:
            if sent:
                await conn.execute(self._mark_sql, sent)
                state.sent += len(sent)
            if counted:
                await conn.execute(self._fail_sql, list(counted), list(counted.values()), self._park_after)
                ROW_FAILURES.labels(self._schema).inc(len(counted))
        if refused:
            state.trouble = True
            log.warning(
                "outbox.rows_refused",
                schema=self._schema,
                refused=len(refused),
                counted=len(counted),
                error=describe(next(iter(refused.values()))),
            )
            if not sent and not counted and not state.sent:
                raise BrokerUnavailable(describe(next(iter(refused.values()))))

    async def _run(self, claimer: int) -> None:
        failures = 0
        wakeup = self._wakeups[claimer]
        conn: PoolConnectionProxy[asyncpg.Record] | None = None
        slots: list[int] = []
        unchecked: set[int] = set()  # slots whose pending rows may already be on Kafka
        try:
            while not self._stopping:
                producer: AIOKafkaProducer | None = None
                try:
                    await self._ensure_listener()
                    wakeup.clear()
                    if conn is None or conn.is_closed():
                        conn, slots = await self._claimer_connection(), []
                    missing = [s for s in self.slots_of(claimer) if s not in slots]
                    if missing:  # another relay may have let go of them since
                        taken = await self._lock_slots(conn, missing)
                        slots = sorted({*slots, *taken})
                        unchecked.update(taken)
                    published = 0
                    if slots:
                        producer = await self._get_producer()
                        if unchecked:
                            await self._reconcile(conn, producer, sorted(unchecked))
                            unchecked.clear()
                        published = await self._pump(conn, producer, slots)
                        if self._producer is not producer:
                            unchecked.update(slots)  # dropped after a failure: what did it send?
                    failures = 0
                    if published == 0:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wakeup.wait(), self._poll_interval_s)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # The rows stay pending. After a broker failure a fresh producer avoids a
                    # stuck idempotence sequence; after a database failure the connection (and
                    # with it the slot locks) is dropped and taken again.
                    failures += 1
                    RELAY_ERRORS.labels(self._schema).inc()
                    log.warning(
                        "outbox.relay_failed",
                        schema=self._schema,
                        error=describe(exc),
                        error_type=type(exc).__name__,
                        failures=failures,
                    )
                    unchecked.update(slots)
                    if isinstance(exc, KafkaError | BrokerUnavailable):
                        await self._close_producer(producer)
                    if isinstance(exc, OSError | asyncpg.PostgresError | asyncpg.InterfaceError):
                        await self._close_listener()
                        if conn is not None:
                            await self._release(conn)
                            conn = None
                    delay = min(0.2 * 2 ** min(failures, 6), 10.0) * (0.5 + random.random() / 2)
                    await asyncio.sleep(delay)
        finally:
            if conn is not None:
                await self._release(conn)

    async def _reconcile(self, conn: Connection, producer: AIOKafkaProducer, slots: list[int]) -> None:
        """Mark sent the pending rows of `slots` that are already on Kafka: a relay that died
        (or a producer dropped after a failure) may have published them without marking them.
        Unless the tails cannot be read, in which case they go out again (consumers absorb it)."""
        if self._tail_reader is None:
            return
        # What one claimer can have handed over unmarked: the batches awaiting acknowledgement,
        # the one being handed over and the claimed ones waiting (twice, for another config).
        per_slot = 2 * self._batch_size * (self._batches_in_flight + 3)
        rows = await conn.fetch(self._unsettled_sql, slots, per_slot)
        if not rows:
            return
        depths: dict[tuple[str, int], int] = {}
        for row in rows:
            topic = row["topic"]
            try:
                partitions = sorted(await producer.partitions_for(topic))
            except KafkaError:
                continue  # a topic Kafka does not know holds none of them
            tp = (topic, _PARTITIONER(row["aggregateid"].encode(), partitions, partitions))
            depths[tp] = depths.get(tp, self._tail_slack) + 1
        wanted = {row["id"] for row in rows}
        try:
            found = await self._tail_reader(depths, wanted)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning(
                "outbox.reconcile_failed", schema=self._schema, pending=len(rows), error=describe(exc)
            )
            return
        if found:
            await conn.execute(self._mark_sql, list(found))
            RECONCILED.labels(self._schema).inc(len(found))
        log.info(
            "outbox.reconciled", schema=self._schema, slots=slots, pending=len(rows), already_sent=len(found)
        )

    async def _claimer_connection(self) -> PoolConnectionProxy[asyncpg.Record]:
        """A pool connection the claimer keeps while it runs: its session holds the slot
        locks, which PostgreSQL releases by itself if the relay dies. (The pool resets the
        session settings when it gets the connection back.)"""
        conn = await self._pool.acquire()
        await conn.execute(self._relaxed_commit_sql)
        return conn

    async def _release(self, conn: PoolConnectionProxy[asyncpg.Record]) -> None:
        """Give the slots up and the connection back (a broken one is discarded by the pool)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock_all()"), 2)
        with contextlib.suppress(Exception):
            await self._pool.release(conn, timeout=2)

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
