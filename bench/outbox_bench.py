"""Outbox relay benchmark: throughput against a raw producer and Kafka's own ceiling, and
commit-to-consumer latency in three situations.

Run from the repository root as `python -m bench.outbox_bench` (bench/README.md). It uses the
real local Kafka and PostgreSQL (or `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL`), on fresh
schemas and fresh 3-partition topics, all removed at the end.

1. Ceiling: Kafka's own Java producer benchmark (`bench.kafka_ceiling`), idempotent,
   acks=all, 500-byte records, as fast as it goes: every throughput figure is also shown as
   a share of it.
2. Throughput rows (10,000 keys, 100 keys, 1 key, and a burst on one key). Each round, a
   raw producer publishes N probe events (500-byte JSON values, CloudEvents headers, the
   row's keys): every send issued, then every acknowledgement awaited. Then N such events are
   written with `enqueue()` (500 per transaction) and the relay publishes them in the
   background, as a service runs it: the clock starts once the rows are committed, at
   `relay.start()`, and stops when polling the outbox (every 10 ms) finds nothing pending.
   The burst row commits all its events in one transaction while the relay already runs
   idle; the commit's NOTIFY wakes it. Rounds alternate baseline and relay; each figure is
   the median round. `drain()` (the claimers publishing until nothing is pending, no
   polling) is timed for reference in extra rounds.
3. Latency, measured three times: on the fresh table (before anything else), right after the
   throughput rows (a few hundred thousand rows written and marked sent within minutes),
   and on a second schema holding a week of sent rows. A background relay woken by
   LISTEN/NOTIFY, writers committing one event per transaction at a steady rate (scheduled
   by absolute time, so late commits do not shift the schedule), and a group-less consumer
   on every partition. Latency is consumer receive time minus the writer's wall-clock time
   right after its commit, matched by the event's `seq` (writer and consumer share this
   process and its clock; the commit time cannot be inside the payload, which is written
   before the commit).

Why the baseline is fair: it is the producer the relay uses, built by the same
`idempotent_producer_factory` (idempotent, acks=all, linger 2 ms), sending the same kind of
events, keys and headers, and it builds each event and its envelope per record, as a service
publishing directly would. Both producers are started and know the topic before the clock
starts, and every new partition has had warm-up records (a new topic's first appends are
slow on the broker). What remains is the outbox's own cost: the claim query, the JSON round
trip through the table, marking rows sent, and the relay's start (its LISTEN connection) or
wake-up. (The relay publishes `payload::text` of a jsonb column, which PostgreSQL writes with
spaces: 503 bytes where the baseline sends 500.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.kafka_ceiling import JARS, Ceiling, CeilingUnavailable, producer_performance
from bkpsdm.common.db import (
    COMMON_MIGRATIONS,
    Connection,
    apply_migrations,
    create_pool,
    load_migrations,
    quote_schema,
)
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.kafka_admin import delete_topics, ensure_topics
from bkpsdm.common.outbox import OutboxRelay, ProducerFactory, enqueue, idempotent_producer_factory
from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA
from bkpsdm.common.topics import TopicRegistry, TopicSpec
from bkpsdm.testing.probe import ProbeEvent, probe_topic_spec

VALUE_BYTES = 500
PARTITIONS = 3
CLAIMERS = 2  # the services' default (`outbox_claimers`)
SOURCE = "/bench/outbox"
AGGREGATE = "probe"
RATIO_GOAL = 0.8
P99_GOAL_MS = 50.0
RATE_HELD = 0.95  # the latency figure only counts at the target load if the writers kept it
POLL_S = 0.01
DRAIN_TIMEOUT_S = 10.0  # latency: how long the consumer may still wait after the last commit
WARM_UP_PER_PARTITION = 100  # records of VALUE_BYTES on each new partition before any timing
WEEK = timedelta(days=7)
KEYS = 10_000  # latency events and week rows: real keys are submission ids, rarely repeated
_BARE_JSON = len(ProbeEvent(seq=0).model_dump_json()) - 1  # without the digits of seq


# --- events -------------------------------------------------------------------------------


def key_for(seq: int, keys: int) -> str:
    return f"key-{seq % keys}"


def probe_event(seq: int, keys: int) -> ProbeEvent:
    """A probe event whose `model_dump_json()` is exactly VALUE_BYTES long."""
    key = key_for(seq, keys)
    padding = "x" * max(0, VALUE_BYTES - _BARE_JSON - len(str(seq)) - len(key))
    return ProbeEvent(seq=seq, key=key, padding=padding)


def kafka_record(seq: int, keys: int) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers as a service publishing directly would build them."""
    meta = EventMetadata(type=ProbeEvent.event_type, source=SOURCE, correlation_id=f"cid-{seq}")
    headers = [(k, v.encode()) for k, v in meta.to_headers().items()]
    return key_for(seq, keys).encode(), probe_event(seq, keys).model_dump_json().encode(), headers


async def enqueue_probe(conn: Connection, schema: str, topic: TopicSpec, seq: int, keys: int) -> None:
    await enqueue(
        conn,
        schema,
        topic,
        probe_event(seq, keys),
        source=SOURCE,
        correlation_id=f"cid-{seq}",
        aggregate_type=AGGREGATE,
    )


@dataclass
class SeqSource:
    """Hands out fresh event numbers, so no two measurements share a `seq`."""

    next: int = 0

    def take(self, n: int) -> range:
        taken = range(self.next, self.next + n)
        self.next += n
        return taken


# --- infrastructure -----------------------------------------------------------------------


@dataclass(frozen=True)
class Infra:
    bootstrap: str
    dsn: str
    schema: str  # throughput rows, latency (a) and (b)
    week_schema: str  # latency (c): a week of sent rows
    topics: dict[str, TopicSpec]  # baseline, outbox, latency, ceiling


def make_infra() -> Infra:
    run = uuid.uuid4().hex[:10]
    return Infra(
        bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA,
        dsn=os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL,
        schema=f"bench_outbox_{run}",
        week_schema=f"bench_outbox_{run}_week",
        topics={
            purpose: probe_topic_spec(f"bench.probe.{purpose}-{run}", PARTITIONS)
            for purpose in ("baseline", "outbox", "latency", "ceiling")
        },
    )


async def create_resources(infra: Infra, pool: asyncpg.Pool) -> None:
    for schema in (infra.schema, infra.week_schema):
        await apply_migrations(pool, schema, load_migrations("common", COMMON_MIGRATIONS))
    registry = TopicRegistry()
    for spec in infra.topics.values():
        registry.register(spec)
    await ensure_topics(infra.bootstrap, registry)
    await warm_up_topics(infra.bootstrap, [spec.name for spec in infra.topics.values()])


async def warm_up_topics(bootstrap: str, topics: Sequence[str]) -> None:
    """Fill every new partition a little before anything is timed.

    A new topic answers "not leader" for a moment (the retries are expected, so not logged),
    and its first full-size appends take ~200 ms longer on the broker: a long-lived topic
    does not, so neither the baseline nor the relay should pay for it.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sender_log = logging.getLogger("aiokafka.producer.sender")
    level = sender_log.level
    sender_log.setLevel(logging.ERROR)
    try:
        value = b"x" * VALUE_BYTES
        await asyncio.gather(
            *[
                await producer.send(topic, value, partition=p)
                for topic in topics
                for p in range(PARTITIONS)
                for _ in range(WARM_UP_PER_PARTITION)
            ]
        )
    finally:
        sender_log.setLevel(level)
        await producer.stop()


async def drop_resources(infra: Infra, pool: asyncpg.Pool) -> None:
    """Drop the schemas and delete the topics (with the dead-letter topics ensure_topics made)."""
    async with pool.acquire() as conn:
        for schema in (infra.schema, infra.week_schema):
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
    await delete_topics(infra.bootstrap, [n for s in infra.topics.values() for n in (s.name, s.dlq)])


async def warm_producer(factory: ProducerFactory, topic: str) -> AIOKafkaProducer:
    """A started producer that already has the topic's metadata."""
    producer = await factory()
    await producer.partitions_for(topic)
    return producer


def handing_over(producer: AIOKafkaProducer, fallback: ProducerFactory) -> ProducerFactory:
    """A factory that first returns `producer`; a relay recovering from a failure gets new ones."""
    ready = [producer]

    async def make() -> AIOKafkaProducer:
        return ready.pop() if ready else await fallback()

    return make


async def relay_for(pool: asyncpg.Pool, infra: Infra, schema: str, topic: str, batch: int) -> OutboxRelay:
    """A relay configured as a service's (LISTEN/NOTIFY, 2 claimers) with a warm producer,
    as a service's relay has once it runs."""
    factory = idempotent_producer_factory(infra.bootstrap, "bench-relay")
    producer = await warm_producer(factory, topic)
    return OutboxRelay(
        pool, schema, handing_over(producer, factory), batch_size=batch, dsn=infra.dsn, claimers=CLAIMERS
    )


async def past_first_round(relay: OutboxRelay) -> None:
    """Wait until every claimer of a started relay has done its first (empty) round."""
    async with asyncio.timeout(10):
        while True:
            if relay.rounds_completed >= CLAIMERS:
                return
            await asyncio.sleep(0.01)


async def until_published(conn: Connection, schema: str, timeout_s: float) -> None:
    """Poll until no row is pending (EXISTS on the pending index: cheaper than a count)."""
    sql = f"SELECT EXISTS (SELECT 1 FROM {quote_schema(schema)}.outbox WHERE sent_at IS NULL)"
    async with asyncio.timeout(timeout_s):  # a relay failing round after round
        while True:
            if not await conn.fetchval(sql):
                return
            await asyncio.sleep(POLL_S)


def relay_timeout(events: int) -> float:
    return 30 + events / 100


async def topic_size(bootstrap: str, topic: str) -> int:
    """Records on the topic, warm-up records excluded."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return int(sum((await consumer.end_offsets(tps)).values())) - PARTITIONS * WARM_UP_PER_PARTITION
    finally:
        await consumer.stop()


# --- 1. ceiling ---------------------------------------------------------------------------


async def measure_ceiling(infra: Infra, records: int, runs: int, jars: Path) -> list[Ceiling] | str:
    """`runs` runs of Kafka's ProducerPerformance, or why it could not run."""
    results = []
    topic = infra.topics["ceiling"].name
    try:
        for _ in range(runs):
            results.append(
                await producer_performance(infra.bootstrap, topic, records, VALUE_BYTES, jars=jars)
            )
    except CeilingUnavailable as exc:
        return str(exc)
    return results


# --- 2. throughput ------------------------------------------------------------------------


async def publish_direct(producer: AIOKafkaProducer, topic: str, seqs: range, keys: int) -> None:
    deliveries = []
    for seq in seqs:
        key, value, headers = kafka_record(seq, keys)
        deliveries.append(await producer.send(topic, value=value, key=key, headers=headers))
    await asyncio.gather(*deliveries)


async def run_baseline(infra: Infra, seqs: range, keys: int) -> float:
    """Seconds a raw idempotent producer takes to publish `seqs`: all sends, then all acks."""
    topic = infra.topics["baseline"].name
    producer = await warm_producer(idempotent_producer_factory(infra.bootstrap, "bench-baseline"), topic)
    try:
        started = time.perf_counter()
        await publish_direct(producer, topic, seqs, keys)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def fill_outbox(
    conn: Connection, schema: str, topic: TopicSpec, seqs: range, keys: int, per_tx: int
) -> float:
    """Seconds `enqueue` takes to write and commit `seqs`, `per_tx` per transaction."""
    started = time.perf_counter()
    for start in range(seqs.start, seqs.stop, per_tx):
        async with conn.transaction():
            for seq in range(start, min(start + per_tx, seqs.stop)):
                await enqueue_probe(conn, schema, topic, seq, keys)
    return time.perf_counter() - started


async def relay_started(pool: asyncpg.Pool, infra: Infra, events: int, batch: int) -> float:
    """Seconds from `relay.start()` over committed rows until nothing is pending."""
    relay = await relay_for(pool, infra, infra.schema, infra.topics["outbox"].name, batch)
    try:
        async with pool.acquire() as poller:
            started = time.perf_counter()
            await relay.start()
            await until_published(poller, infra.schema, relay_timeout(events))
            return time.perf_counter() - started
    finally:
        await relay.stop()


async def relay_woken(
    pool: asyncpg.Pool, infra: Infra, seqs: range, keys: int, batch: int
) -> tuple[float, float]:
    """A running, idle relay; `seqs` committed in one transaction, whose NOTIFY wakes it.
    Seconds to write them, and seconds from the commit until nothing is pending."""
    relay = await relay_for(pool, infra, infra.schema, infra.topics["outbox"].name, batch)
    try:
        await relay.start()
        await past_first_round(relay)
        async with pool.acquire() as writer, pool.acquire() as poller:
            topic = infra.topics["outbox"]
            write_s = await fill_outbox(writer, infra.schema, topic, seqs, keys, per_tx=len(seqs))
            committed = time.perf_counter()
            await until_published(poller, infra.schema, relay_timeout(len(seqs)))
            return write_s, time.perf_counter() - committed
    finally:
        await relay.stop()


async def relay_drain(pool: asyncpg.Pool, infra: Infra, batch: int) -> tuple[int, float]:
    """Rows published and seconds taken by `drain()`: every claimer publishes until nothing is left."""
    relay = await relay_for(pool, infra, infra.schema, infra.topics["outbox"].name, batch)
    try:
        started = time.perf_counter()
        published = await relay.drain()
        return published, time.perf_counter() - started
    finally:
        await relay.stop()


@dataclass(frozen=True)
class RowSpec:
    label: str
    keys: int
    events: int
    burst: bool = False  # one transaction, committed while the relay runs idle


@dataclass
class Row:
    """One throughput row: events/s of every round, figures are medians."""

    label: str
    keys: int
    events: int
    relay_mode: str
    baseline_rounds: list[float] = field(default_factory=list)
    relay_rounds: list[float] = field(default_factory=list)
    enqueue_rounds: list[float] = field(default_factory=list)
    drain_rounds: list[float] = field(default_factory=list)
    baseline_published: int = 0
    relay_published: int = 0

    @property
    def baseline(self) -> float:
        return statistics.median(self.baseline_rounds)

    @property
    def relay(self) -> float:
        return statistics.median(self.relay_rounds)

    @property
    def enqueue(self) -> float:
        return statistics.median(self.enqueue_rounds)

    @property
    def drain(self) -> float:
        return statistics.median(self.drain_rounds) if self.drain_rounds else math.nan

    @property
    def ratio(self) -> float:
        return self.relay / self.baseline

    @property
    def drain_ratio(self) -> float:
        return self.drain / self.baseline


async def run_row(
    pool: asyncpg.Pool,
    infra: Infra,
    spec: RowSpec,
    rounds: int,
    drain_rounds: int,
    batch: int,
    seqs: SeqSource,
) -> Row:
    """Alternating rounds of baseline and background relay; then `drain()` for reference.

    Alternating and taking medians keeps one slow moment of a shared 2-core machine (the
    broker's log roll, a GC pause, autovacuum) from deciding the ratio."""
    row = Row(spec.label, spec.keys, spec.events, "woken by NOTIFY" if spec.burst else "relay.start()")
    topic = infra.topics["outbox"]
    for _ in range(rounds):
        row.baseline_rounds.append(spec.events / await run_baseline(infra, seqs.take(spec.events), spec.keys))
        row.baseline_published += spec.events
        if spec.burst:
            write_s, relay_s = await relay_woken(pool, infra, seqs.take(spec.events), spec.keys, batch)
        else:
            async with pool.acquire() as conn:
                write_s = await fill_outbox(
                    conn, infra.schema, topic, seqs.take(spec.events), spec.keys, batch
                )
            relay_s = await relay_started(pool, infra, spec.events, batch)
        row.enqueue_rounds.append(spec.events / write_s)
        row.relay_rounds.append(spec.events / relay_s)
        row.relay_published += spec.events
    for _ in range(0 if spec.burst else drain_rounds):
        async with pool.acquire() as conn:
            await fill_outbox(conn, infra.schema, topic, seqs.take(spec.events), spec.keys, batch)
        try:
            published, drain_s = await relay_drain(pool, infra, batch)
        except TimeoutError:
            # Seen twice on a loaded machine (a claim query exceeded the pool's 30 s command
            # timeout); the reference figure is skipped, the rows go out with the next relay.
            print(f"  {spec.label}: drain() timed out; its figure is left out", file=sys.stderr)
            await relay_started(pool, infra, spec.events, batch)
            row.relay_published += spec.events
            continue
        row.drain_rounds.append(published / drain_s)
        row.relay_published += published
    return row


# --- 3. latency ---------------------------------------------------------------------------


@dataclass
class Tracker:
    """Commit and first-receive wall-clock times by seq; duplicates counted."""

    committed: dict[int, float] = field(default_factory=dict)
    received: dict[int, float] = field(default_factory=dict)
    duplicates: int = 0
    writing: bool = True

    def caught_up(self) -> bool:
        return not self.writing and len(self.received) >= len(self.committed)


async def write_steady(
    pool: asyncpg.Pool,
    schema: str,
    topic: TopicSpec,
    seqs: range,
    first: int,
    rate: float,
    t0: float,
    tracker: Tracker,
) -> None:
    """Commit one event per transaction, each at t0 + (seq - first) / rate (loop time), late
    ones at once."""
    loop = asyncio.get_running_loop()
    async with pool.acquire() as conn:
        for seq in seqs:
            delay = t0 + (seq - first) / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            async with conn.transaction():
                await enqueue_probe(conn, schema, topic, seq, KEYS)
            tracker.committed[seq] = time.time()


async def positioned_consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A group-less consumer on every partition, positioned at the end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)  # resolve the offset reset now, before anything is written
    return consumer


async def consume(consumer: AIOKafkaConsumer, tracker: Tracker, deadline: asyncio.Event) -> None:
    while not (tracker.caught_up() or deadline.is_set()):
        batches = await consumer.getmany(timeout_ms=50)
        now = time.time()
        for records in batches.values():
            for record in records:
                seq = int(json.loads(record.value)["seq"])
                if seq in tracker.received:
                    tracker.duplicates += 1
                else:
                    tracker.received[seq] = now


@dataclass(frozen=True)
class LatencyPlan:
    rate: float
    seconds: float
    warmup_seconds: float
    writers: int
    batch: int


async def measure_latency(
    pool: asyncpg.Pool, infra: Infra, schema: str, seqs: range, plan: LatencyPlan
) -> tuple[Tracker, float]:
    """Write `seqs` at `plan.rate` into `schema`; the tracker and the writers' elapsed seconds."""
    tracker = Tracker()
    loop = asyncio.get_running_loop()
    topic = infra.topics["latency"]
    relay = await relay_for(pool, infra, schema, topic.name, plan.batch)
    await relay.start()
    consumer: AIOKafkaConsumer | None = None
    reader: asyncio.Task[None] | None = None
    try:
        await past_first_round(relay)
        consumer = await positioned_consumer(infra.bootstrap, topic.name)
        deadline = asyncio.Event()
        reader = asyncio.create_task(consume(consumer, tracker, deadline))
        t0 = loop.time() + 0.05
        await asyncio.gather(
            *(
                write_steady(pool, schema, topic, seqs[w :: plan.writers], seqs.start, plan.rate, t0, tracker)
                for w in range(plan.writers)
            )
        )
        elapsed = loop.time() - t0
        tracker.writing = False
        loop.call_later(DRAIN_TIMEOUT_S, deadline.set)
        await reader
        return tracker, elapsed
    finally:
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        if consumer is not None:
            await consumer.stop()
        await relay.stop()


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


@dataclass
class Latency:
    situation: str
    outbox_rows_before: int
    written: int
    received: int
    lost: int
    duplicates: int
    achieved_rate: float
    timed: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


async def run_latency(
    pool: asyncpg.Pool, infra: Infra, schema: str, situation: str, plan: LatencyPlan, seqs: SeqSource
) -> Latency:
    """Events of the first `warmup_seconds` are checked for loss but not timed."""
    async with pool.acquire() as conn:
        rows_before = int(await conn.fetchval(f"SELECT count(*) FROM {quote_schema(schema)}.outbox"))
    numbers = seqs.take(round(plan.rate * (plan.warmup_seconds + plan.seconds)))
    first_timed = numbers.start + round(plan.rate * plan.warmup_seconds)
    tracker, elapsed = await measure_latency(pool, infra, schema, numbers, plan)
    delays = sorted(
        (tracker.received[s] - tracker.committed[s]) * 1000
        for s in tracker.committed
        if s >= first_timed and s in tracker.received
    )
    return Latency(
        situation=situation,
        outbox_rows_before=rows_before,
        written=len(tracker.committed),
        received=len(tracker.received),
        lost=len(tracker.committed.keys() - tracker.received.keys()),
        duplicates=tracker.duplicates,
        achieved_rate=len(tracker.committed) / elapsed,
        timed=len(delays),
        p50_ms=percentile(delays, 50),
        p95_ms=percentile(delays, 95),
        p99_ms=percentile(delays, 99),
        max_ms=delays[-1] if delays else math.nan,
    )


async def fill_week(pool: asyncpg.Pool, schema: str, topic: str, rows: int) -> float:
    """Insert `rows` sent rows spread over the last week, as a service's outbox holds them
    before `prune()` removes what is past its retention (168 h by default), then vacuum:
    on a long-lived table autovacuum has long since caught up. Returns seconds taken."""
    q = quote_schema(schema)
    padding = VALUE_BYTES - len(ProbeEvent(seq=0, key=key_for(0, KEYS)).model_dump_json())
    sql = f"""
        INSERT INTO {q}.outbox
            (id, aggregatetype, aggregateid, type, topic, payload, headers, created_at, sent_at)
        SELECT gen_random_uuid(), $1::text, 'key-' || (g % $2::int), $3::text, $4::text,
               jsonb_build_object('seq', -g, 'key', 'key-' || (g % $2::int), 'padding', repeat('x', $5::int)),
               jsonb_build_object(
                   'ce_id', gen_random_uuid()::text, 'ce_type', $3::text, 'ce_source', $6::text,
                   'ce_time', w.t, 'ce_specversion', '1.0', 'content-type', 'application/json',
                   'correlation_id', 'cid-week-' || g),
               w.t, w.t + interval '20 milliseconds'
        FROM generate_series(1, $7::int) AS g,
             LATERAL (SELECT now() - $8::interval * (($7::int - g)::float8 / $7::int)) AS w(t)
    """
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute(sql, AGGREGATE, KEYS, ProbeEvent.event_type, topic, padding, SOURCE, rows, WEEK)
        await conn.execute(f"VACUUM (ANALYZE) {q}.outbox")
    return time.perf_counter() - started


# --- report -------------------------------------------------------------------------------


@dataclass
class Results:
    ceiling: list[Ceiling] | str
    rows: list[Row]
    latencies: list[Latency]
    week_fill_s: float
    published_ok: bool

    @property
    def ceiling_eps(self) -> float | None:
        return (
            max(c.records_per_s for c in self.ceiling)
            if isinstance(self.ceiling, list) and self.ceiling
            else None
        )


def goals(res: Results, rate: float) -> list[tuple[str, str, bool]]:
    checks = [
        (f"{row.label}: relay >= {RATIO_GOAL} x baseline", f"{row.ratio:.2f}", row.ratio >= RATIO_GOAL)
        for row in res.rows
    ]
    for lat in res.latencies:
        checks += [
            (
                f"{lat.situation}: p99 < {P99_GOAL_MS:.0f} ms",
                f"{lat.p99_ms:.1f} ms",
                lat.p99_ms < P99_GOAL_MS,
            ),
            (f"{lat.situation}: no loss", f"{lat.received}/{lat.written}", lat.lost == 0),
            (
                f"{lat.situation}: writers held >= {RATE_HELD:.0%} of the rate (check)",
                f"{lat.achieved_rate:,.0f}/s",
                lat.achieved_rate >= RATE_HELD * rate,
            ),
        ]
    checks.append(
        ("all throughput events on the topics", "yes" if res.published_ok else "NO", res.published_ok)
    )
    return checks


def _share(value: float, ceiling: float | None) -> str:
    return "n/a" if ceiling is None or math.isnan(value) else f"{value / ceiling:.2f}"


def _eps(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def report(infra: Infra, args: argparse.Namespace, res: Results) -> str:
    tp = "  {:<30}{:>8}{:>10}{:>10}{:>11}{:>6}{:>10}{:>11}{:>10}".format
    share = "  {:<30}{:>10}{:>10}{:>10}{:>10}".format
    lt = "  {:<42}{:>8}{:>9}{:>6}{:>5}{:>8}{:>8}{:>8}{:>8}{:>6}".format
    ceiling = res.ceiling_eps
    if isinstance(res.ceiling, str):
        ceiling_line = f"unavailable: {res.ceiling}"
    else:
        runs = ", ".join(f"{c.records_per_s:,.0f}" for c in res.ceiling)
        ceiling_line = f"{ceiling:,.0f}/s (best of {runs}; {args.ceiling_records:,} records each)"
    lines = [
        f"Outbox relay benchmark: {VALUE_BYTES} B values, {PARTITIONS} partitions, relay batch {args.batch},"
        f" {CLAIMERS} claimers, {args.rounds} alternating rounds (figures are medians)",
        f"  Kafka {infra.bootstrap}, PostgreSQL {infra.dsn.rsplit('@', 1)[-1]}",
        f"  ceiling: Kafka ProducerPerformance, idempotent, acks=all: {ceiling_line}",
        "",
        tp(
            "Throughput, events/s",
            "events",
            "baseline",
            "relay",
            "relay/base",
            "goal",
            "drain",
            "drain/base",
            "enqueue",
        ),
    ]
    lines += [
        tp(
            row.label,
            f"{row.events:,}",
            _eps(row.baseline),
            _eps(row.relay),
            f"{row.ratio:.2f}",
            "PASS" if row.ratio >= RATIO_GOAL else "MISS",
            _eps(row.drain),
            "-" if math.isnan(row.drain) else f"{row.drain_ratio:.2f}",
            _eps(row.enqueue),
        )
        for row in res.rows
    ]
    lines += [
        "  baseline: raw idempotent producer, every send issued, then every acknowledgement awaited",
        f"  relay: background relay, from commit and relay.start() (burst: its NOTIFY wake-up) until"
        f" nothing is pending, polled every {POLL_S * 1000:.0f} ms",
        f"  drain: drain(), for reference; enqueue: outbox writes, {args.batch} per transaction (burst: one)",
        "",
        share("Share of the Kafka ceiling", "baseline", "relay", "drain", "enqueue"),
    ]
    lines += [
        share(row.label, *(_share(v, ceiling) for v in (row.baseline, row.relay, row.drain, row.enqueue)))
        for row in res.rows
    ]
    lines += [
        "",
        f"Commit -> consumer latency (ms): target {args.rate:,.0f}/s, {args.writers} writers, 1 event per"
        f" transaction, relay woken by NOTIFY; {args.warmup_seconds:g} s untimed, then {args.latency_seconds:g} s",
        lt(
            "situation (outbox rows before)",
            "rate/s",
            "written",
            "lost",
            "dup",
            "p50",
            "p95",
            "p99",
            "max",
            "goal",
        ),
    ]
    lines += [
        lt(
            f"{lat.situation} ({lat.outbox_rows_before:,})",
            f"{lat.achieved_rate:,.0f}",
            f"{lat.written:,}",
            lat.lost,
            lat.duplicates,
            f"{lat.p50_ms:.1f}",
            f"{lat.p95_ms:.1f}",
            f"{lat.p99_ms:.1f}",
            f"{lat.max_ms:.1f}",
            "PASS" if lat.p99_ms < P99_GOAL_MS else "MISS",
        )
        for lat in res.latencies
    ]
    lines += [
        f"  goal p99 < {P99_GOAL_MS:.0f} ms; (c) ran on {args.week_rows:,} sent rows over {WEEK.days} days,"
        f" inserted and vacuumed in {res.week_fill_s:.1f} s",
        "",
        "Goals and checks",
    ]
    lines += [
        f"  {name:<66}{value:>14}  {'PASS' if ok else 'MISS'}" for name, value, ok in goals(res, args.rate)
    ]
    return "\n".join(lines)


def as_json(args: argparse.Namespace, infra: Infra, res: Results) -> dict[str, Any]:
    ceiling = res.ceiling_eps

    def shares(row: Row) -> dict[str, float | None]:
        if ceiling is None:
            return {}
        return {
            f"{name}_share_of_ceiling": None if math.isnan(v) else v / ceiling
            for name, v in (
                ("baseline", row.baseline),
                ("relay", row.relay),
                ("drain", row.drain),
                ("enqueue", row.enqueue),
            )
        }

    return {
        "config": {**vars(args), "value_bytes": VALUE_BYTES, "partitions": PARTITIONS, "claimers": CLAIMERS},
        "kafka": infra.bootstrap,
        "ceiling": {
            "records_per_s": ceiling,
            "runs": [asdict(c) for c in res.ceiling] if isinstance(res.ceiling, list) else [],
            "unavailable": res.ceiling if isinstance(res.ceiling, str) else None,
        },
        "throughput": [
            {
                **asdict(row),
                "baseline_eps": row.baseline,
                "relay_eps": row.relay,
                "enqueue_eps": row.enqueue,
                "drain_eps": None if math.isnan(row.drain) else row.drain,
                "ratio": row.ratio,
                "drain_ratio": None if math.isnan(row.drain) else row.drain_ratio,
                **shares(row),
            }
            for row in res.rows
        ],
        "throughput_main_figure": "relay_eps / baseline_eps (background relay)",
        "published_ok": res.published_ok,
        "latency": [asdict(lat) for lat in res.latencies],
        "week_fill_seconds": res.week_fill_s,
        "goals": [{"goal": name, "value": value, "pass": ok} for name, value, ok in goals(res, args.rate)],
    }


# --- main ---------------------------------------------------------------------------------


def key_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive key counts")
    return counts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="events per round of each keyed row")
    parser.add_argument("--keys", type=key_counts, default=[10_000, 100, 1], help="keyed rows' key counts")
    parser.add_argument("--burst-events", type=int, default=20_000, help="the one-key burst row (0: skip)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds per row; figures are medians"
    )
    parser.add_argument("--drain-rounds", type=int, default=1, help="drain() rounds per keyed row (0: skip)")
    parser.add_argument(
        "--batch", type=int, default=500, help="relay batch size and enqueue() rows per transaction"
    )
    parser.add_argument(
        "--ceiling-records", type=int, default=200_000, help="records per ProducerPerformance run"
    )
    parser.add_argument(
        "--ceiling-runs", type=int, default=2, help="ProducerPerformance runs, best kept (0: skip)"
    )
    parser.add_argument("--kafka-jars", type=Path, default=JARS, help="Kafka jars for ProducerPerformance")
    parser.add_argument("--rate", type=float, default=1000.0, help="latency: events/s")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="latency: timed seconds")
    parser.add_argument("--warmup-seconds", type=float, default=1.0, help="latency: untimed start")
    parser.add_argument("--writers", type=int, default=4, help="latency: concurrent writers")
    parser.add_argument("--week-rows", type=int, default=300_000, help="latency (c): sent rows over a week")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if min(args.events, args.rounds, args.batch, args.writers, args.ceiling_records) < 1:
        parser.error("--events, --rounds, --batch, --writers and --ceiling-records must be positive")
    if min(args.rate, args.latency_seconds) <= 0:
        parser.error("--rate and --latency-seconds must be positive")
    if min(args.burst_events, args.drain_rounds, args.ceiling_runs, args.week_rows, args.warmup_seconds) < 0:
        parser.error(
            "--burst-events, --drain-rounds, --ceiling-runs, --week-rows, --warmup-seconds must not be negative"
        )
    return args


def row_specs(args: argparse.Namespace) -> list[RowSpec]:
    specs = [RowSpec(f"{keys:,} key{'s' * (keys != 1)}", keys, args.events) for keys in args.keys]
    if args.burst_events:
        specs.append(RowSpec("burst, 1 key, 1 transaction", 1, args.burst_events, burst=True))
    return specs


async def measure(pool: asyncpg.Pool, infra: Infra, args: argparse.Namespace) -> Results:
    plan = LatencyPlan(args.rate, args.latency_seconds, args.warmup_seconds, args.writers, args.batch)
    seqs = SeqSource()
    await create_resources(infra, pool)
    try:
        latencies = [await run_latency(pool, infra, infra.schema, "(a) steady, fresh table", plan, seqs)]
        ceiling = await measure_ceiling(infra, args.ceiling_records, args.ceiling_runs, args.kafka_jars)
        rows = [
            await run_row(pool, infra, spec, args.rounds, args.drain_rounds, args.batch, seqs)
            for spec in row_specs(args)
        ]
        # Right after the rows: PostgreSQL is still vacuuming what they wrote and marked.
        latencies.append(await run_latency(pool, infra, infra.schema, "(b) right after the rows", plan, seqs))
        week_fill_s = await fill_week(pool, infra.week_schema, infra.topics["latency"].name, args.week_rows)
        latencies.append(
            await run_latency(pool, infra, infra.week_schema, "(c) a week of sent rows", plan, seqs)
        )
        sizes = [await topic_size(infra.bootstrap, infra.topics[p].name) for p in ("baseline", "outbox")]
        expected = [sum(r.baseline_published for r in rows), sum(r.relay_published for r in rows)]
        return Results(ceiling, rows, latencies, week_fill_s, published_ok=sizes == expected)
    finally:
        try:
            await drop_resources(infra, pool)
        except Exception as exc:
            print(
                f"cleanup failed; drop {infra.schema}, {infra.week_schema} and the bench.probe.*"
                f" topics by hand: {exc!r}",
                file=sys.stderr,
            )


async def run(args: argparse.Namespace) -> int:
    infra = make_infra()
    size = args.writers + 4  # all open from the start: a running service's pool is warm
    pool = await create_pool(infra.dsn, min_size=size, max_size=size)
    try:
        res = await measure(pool, infra, args)
    finally:
        await pool.close()
    print(report(infra, args, res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(as_json(args, infra, res), indent=2, default=str) + "\n")
    return 0


def quiet_logs() -> None:
    """Warnings (relay failures, producer retries) to stderr; the report alone on stdout."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def main() -> None:
    quiet_logs()
    sys.exit(asyncio.run(run(parse_args())))


if __name__ == "__main__":
    main()
