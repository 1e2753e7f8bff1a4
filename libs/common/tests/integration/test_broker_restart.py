"""Restarting the Kafka broker in the middle of a stream loses nothing and applies nothing
twice. The test runs its own broker (own ports and data, started by deploy/local/kafka.sh)
so the restart disturbs no other test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.common.kafka_admin import read_topic
from bkpsdm.testing.kafka import create_test_topic, unique_name
from bkpsdm.testing.probe import effect_counts, enqueue_probes, pending_outbox, probe_topic_spec
from bkpsdm.testing.processes import KafkaBrokerProcess, WorkerFactory
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = 3000
BATCHES = 40


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[KafkaBrokerProcess]:
    broker = KafkaBrokerProcess(tmp_path / "kafka")
    broker.start()
    yield broker
    broker.reset()


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_broker_restart_mid_stream_loses_nothing(
    pool: asyncpg.Pool, probe_schema: str, private_broker: KafkaBrokerProcess, worker: WorkerFactory, how: str
) -> None:
    """`stop` is an operator's restart (SIGTERM, controlled shutdown); `kill` is a crash
    (SIGKILL); either way the broker comes back and every event takes effect once."""
    topic = await create_test_topic(
        private_broker.bootstrap,
        probe_topic_spec(unique_name("test.restart")),
    )
    worker(
        "consume",
        "--topic",
        topic.name,
        "--group",
        "restart",
        "--schema",
        probe_schema,
        bootstrap=private_broker.bootstrap,
        name="consumer",
    )
    # A short request timeout, so the outage can outlast it (whether the producer's own
    # retries or the relay's failure path carry a batch depends on timing; the relay's path
    # is shown deterministically in test_outbox_exactly_once.py).
    worker(
        "relay",
        "--schema",
        probe_schema,
        "--batch-size",
        "100",
        "--request-timeout-ms",
        "4000",
        bootstrap=private_broker.bootstrap,
        name="relay",
    )

    per_batch = EVENTS // BATCHES

    async def write_stream() -> None:
        for batch in range(BATCHES):
            await enqueue_probes(pool, probe_schema, topic, range(batch * per_batch, (batch + 1) * per_batch))
            await asyncio.sleep(0.25)

    async def applied_count() -> int:
        async with pool.acquire() as conn:
            return (await effect_counts(conn, probe_schema))[0]

    writer = asyncio.create_task(write_stream())

    async def stream_under_way() -> bool:
        # Published and applied: both sides are moving, and most of the stream is still to come.
        return await applied_count() >= 100 and await pending_outbox(pool, probe_schema) < EVENTS

    await eventually(stream_under_way, 90, "the stream to be flowing before the restart")
    # The broker goes away mid-stream ...
    await asyncio.to_thread(private_broker.stop if how == "stop" else private_broker.kill)
    await asyncio.sleep(6)
    await asyncio.to_thread(private_broker.start)  # ... and comes back
    await writer

    async def everything_applied() -> bool:
        return await applied_count() == EVENTS

    await eventually(everything_applied, 180, "every event to take effect after the restart")
    assert await pending_outbox(pool, probe_schema) == 0
    async with pool.acquire() as conn:
        assert await effect_counts(conn, probe_schema) == (EVENTS, EVENTS, 0)
    # And on the topic itself, as Kafka's own tools count it: every event once. What the
    # relay had sent when the broker went away was found there, not published again.
    records = await read_topic(private_broker.bootstrap, topic.name)
    assert len(records) == EVENTS
    assert len({dict(r.headers)["ce_id"] for r in records}) == EVENTS
