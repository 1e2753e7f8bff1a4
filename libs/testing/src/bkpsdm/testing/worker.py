"""A consumer or an outbox relay as a real process, with an optional crash for fault tests.

    python -m bkpsdm.testing.worker consume --topic T --group G --schema S [--crash-after N]
    python -m bkpsdm.testing.worker relay --schema S [--crash-after-sends N] [--batch-size B]

`consume --crash-after N` kills itself with SIGKILL right after the Nth effect committed
in PostgreSQL and before the Kafka offset is committed. `relay --crash-after-sends N`
kills itself after N events of a batch reached the broker but before the batch is marked
sent. Endpoints come from KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from bkpsdm.common.broker import build_broker
from bkpsdm.common.db import create_pool
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.logs import configure_logging, get_logger
from bkpsdm.common.outbox import OutboxRelay, idempotent_producer_factory, topic_tail_reader
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.subscriptions import subscribe_events
from bkpsdm.testing.probe import ProbeEvent, apply_probe, probe_topic_spec

log = get_logger("bkpsdm.testing.worker")


def crash() -> None:
    log.warning("worker.crashing")
    os.kill(os.getpid(), signal.SIGKILL)


async def consume(args: argparse.Namespace, bootstrap: str, dsn: str) -> None:
    pool = await create_pool(dsn, 1, 4)
    broker = build_broker(
        service="probe",
        bootstrap_servers=bootstrap,
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(5, 0.2, 2.0),
    )
    handled = 0

    async def on_probe(event: ProbeEvent, meta: EventMetadata) -> None:
        nonlocal handled
        async with pool.acquire() as conn:
            applied = await apply_probe(conn, args.schema, args.group, event, meta)
        log.info("probe.applied" if applied else "event.duplicate_skipped", seq=event.seq)
        handled += 1
        if args.crash_after and handled >= args.crash_after:
            crash()

    spec = probe_topic_spec(args.topic)
    subscribe_events(broker, spec, args.group, {ProbeEvent: on_probe})
    await broker.start()
    log.info("worker.ready")
    try:
        await asyncio.Event().wait()
    finally:
        await broker.stop()
        await pool.close()


class CrashingProducer:
    """Passes record batches through; once N records reached the broker, dies."""

    def __init__(self, inner: AIOKafkaProducer, crash_after: int) -> None:
        self._inner = inner
        self._crash_after = crash_after
        self._sent: list[Any] = []
        self._records = 0

    def create_batch(self) -> Any:
        return self._inner.create_batch()

    async def partitions_for(self, topic: str) -> Any:
        return await self._inner.partitions_for(topic)

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        self._records += batch.record_count()
        future = await self._inner.send_batch(batch, topic, partition=partition)
        self._sent.append(future)
        if self._records >= self._crash_after:
            await asyncio.gather(*self._sent)  # they are on the broker now
            crash()
        return future

    async def stop(self) -> None:
        await self._inner.stop()


class LoggingRelay(OutboxRelay):
    """Says what each batch published, so a test can see which relay did the work."""

    async def _pump(self, conn: Any, producer: Any, slots: list[int]) -> int:
        published = await super()._pump(conn, producer, slots)
        if published:
            log.info("relay.batch_published", rows=published, slots=slots)
        return published


async def relay(args: argparse.Namespace, bootstrap: str, dsn: str) -> None:
    pool = await create_pool(dsn, 1, 4)
    make = idempotent_producer_factory(bootstrap, "probe-relay", request_timeout_ms=args.request_timeout_ms)

    async def factory() -> Any:
        producer = await make()
        return CrashingProducer(producer, args.crash_after_sends) if args.crash_after_sends else producer

    relay = LoggingRelay(
        pool,
        args.schema,
        factory,
        batch_size=args.batch_size,
        poll_interval_s=0.5,
        dsn=dsn,
        tail_reader=None if args.no_reconcile else topic_tail_reader(bootstrap),
    )
    await relay.start()
    log.info("worker.ready")
    try:
        await asyncio.Event().wait()
    finally:
        await relay.stop()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bkpsdm.testing.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("consume")
    c.add_argument("--topic", required=True)
    c.add_argument("--group", required=True)
    c.add_argument("--schema", required=True)
    c.add_argument("--crash-after", type=int, default=0)
    r = sub.add_parser("relay")
    r.add_argument("--schema", required=True)
    r.add_argument("--crash-after-sends", type=int, default=0)
    r.add_argument("--batch-size", type=int, default=500)
    r.add_argument("--request-timeout-ms", type=int, default=30_000)
    r.add_argument("--no-reconcile", action="store_true", help="no check of the topic after a takeover")
    args = parser.parse_args()
    configure_logging(f"probe-{args.command}", "INFO")
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    dsn = os.environ["DATABASE_URL"]
    run = consume if args.command == "consume" else relay
    asyncio.run(run(args, bootstrap, dsn))


if __name__ == "__main__":
    main()
