"""Consumer benchmark: events/s one consumer handles with its inbox, batched offset commits
against the same consumer committing after every message (the baseline), in one run.

Both read the same pre-produced events (500-byte probe events with CloudEvents headers,
100 keys, 3 partitions) from the real local Kafka, each in its own consumer group and its
own PostgreSQL schema, through the platform's own path: `build_broker` (dead-letter and
correlation middlewares), `subscribe_events`, and per event one transaction that records
the inbox and applies the effect (`bkpsdm.testing.probe.apply_probe`). The clock runs
from the first effect to the last, so group joining is not counted.

    python bench/consumer_bench.py [--events 3000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from bkpsdm.common.broker import build_broker
from bkpsdm.common.commits import OffsetCommitter
from bkpsdm.common.db import create_pool, quote_schema
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.kafka_admin import delete_topics
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA
from bkpsdm.common.subscriptions import subscribe_events
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.kafka import create_test_topic
from bkpsdm.testing.probe import ProbeEvent, apply_probe, effect_counts, prepare_probe_schema

PADDING = "x" * 440  # a ~500-byte JSON value, as in outbox_bench


async def produce(bootstrap: str, topic: str, events: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for seq in range(events):
            meta = EventMetadata(type=ProbeEvent.event_type, source="/bench", correlation_id=f"c{seq}")
            await producer.send(
                topic,
                ProbeEvent(seq=seq, padding=PADDING).model_dump_json().encode(),
                key=f"key-{seq % 100}".encode(),
                headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
            )
        await producer.flush()
    finally:
        await producer.stop()


async def consume_all(
    bootstrap: str, pool: asyncpg.Pool, topic: TopicSpec, schema: str, events: int, committer: OffsetCommitter
) -> float:
    """Events/s from the first effect to the last."""
    await prepare_probe_schema(pool, schema)
    broker = build_broker(
        service="bench",
        bootstrap_servers=bootstrap,
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(3, 0.1, 1.0),
        committer=committer,
    )
    group = f"bench-{schema}"
    first: list[float] = []
    last: list[float] = []

    async def on_probe(event: ProbeEvent, meta: EventMetadata) -> None:
        async with pool.acquire() as conn:
            await apply_probe(conn, schema, group, event, meta)
        now = time.perf_counter()
        if not first:
            first.append(now)
        last[:] = [now]

    subscribe_events(broker, topic, group, {ProbeEvent: on_probe})
    await broker.start()
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            async with pool.acquire() as conn:
                if (await effect_counts(conn, schema))[0] >= events:
                    break
            await asyncio.sleep(0.2)
    finally:
        await broker.stop()
    async with pool.acquire() as conn:
        applied, total, doubled = await effect_counts(conn, schema)
    if (applied, total, doubled) != (events, events, 0):
        raise RuntimeError(f"expected {events} effects once each, got {applied}/{total}/{doubled}")
    return (events - 1) / (last[0] - first[0])


async def run(events: int) -> dict[str, float]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA
    dsn = os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL
    run_id = uuid.uuid4().hex[:8]
    topic = await create_test_topic(
        bootstrap, TopicSpec(name=f"bench.consumer-{run_id}", key="seq", owner="bench", description="bench")
    )
    pool = await create_pool(dsn, 2, 4)
    schemas = [f"bench_consumer_{run_id}_{name}" for name in ("each", "batched")]
    try:
        await produce(bootstrap, topic.name, events)
        per_message = await consume_all(bootstrap, pool, topic, schemas[0], events, OffsetCommitter(1, 0.5))
        batched = await consume_all(bootstrap, pool, topic, schemas[1], events, OffsetCommitter(100, 0.5))
    finally:
        async with pool.acquire() as conn:
            for schema in schemas:
                await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
        await pool.close()
        await delete_topics(bootstrap, [topic.name, topic.dlq])
    return {"events": events, "commit_each_eps": per_message, "commit_batched_eps": batched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    result = asyncio.run(run(args.events))
    row = "  {:<58}{:>12}  {}".format
    print(f"Consumer benchmark: {args.events} events, inbox + effect per event, one consumer")
    print(row("", "events/s", "vs baseline"))
    print(row("baseline: offset commit after every message", f"{result['commit_each_eps']:,.0f}", ""))
    ratio = result["commit_batched_eps"] / result["commit_each_eps"]
    print(
        row(
            "platform: commits every 100 messages or 0.5 s",
            f"{result['commit_batched_eps']:,.0f}",
            f"{ratio:.1f}x",
        )
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**result, "ratio": ratio}, indent=2) + "\n")


if __name__ == "__main__":
    main()
