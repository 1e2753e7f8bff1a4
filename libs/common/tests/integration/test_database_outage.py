"""A consumer whose PostgreSQL goes away for a while waits for it: nothing consumed during
the outage is dead-lettered, lost or applied twice. The database is a private cluster,
stopped and started by the project's own script, so no other test is disturbed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from bkpsdm.common.db import create_pool
from bkpsdm.common.kafka_admin import read_topic
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.probe import effect_counts, prepare_probe_schema, publish_probes
from bkpsdm.testing.processes import PostgresProcess, WorkerFactory
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = 400


@pytest.fixture
async def private_database() -> AsyncIterator[PostgresProcess]:
    database = PostgresProcess(uuid.uuid4().hex[:8])
    await asyncio.to_thread(database.start)
    yield database
    await asyncio.to_thread(database.reset)


async def test_a_database_outage_is_waited_out_not_dead_lettered(
    infra: Infra, private_database: PostgresProcess, probe_topic: TopicSpec, worker: WorkerFactory
) -> None:
    pool = await create_pool(private_database.dsn, 1, 2)
    await prepare_probe_schema(pool, "probe")
    await pool.close()

    consumer = worker(
        "consume",
        "--topic",
        probe_topic.name,
        "--group",
        "outage",
        "--schema",
        "probe",
        database_url=private_database.dsn,
        name="consumer",
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, enable_idempotence=True)
    await producer.start()

    async def produce(seqs: range) -> None:
        await publish_probes(producer, probe_topic.name, seqs, keys=9)

    async def applied() -> int:
        conn = await asyncpg.connect(private_database.dsn)
        try:
            return (await effect_counts(conn, "probe"))[0]
        finally:
            await conn.close()

    try:
        await produce(range(EVENTS // 2))

        async def flowing() -> bool:
            return await applied() >= 50

        await eventually(flowing, 60, "the consumer to be applying events")
        await asyncio.to_thread(private_database.stop)  # PostgreSQL goes away mid-stream ...
        await produce(range(EVENTS // 2, EVENTS))  # ... while events keep arriving
        await asyncio.sleep(5)
        await asyncio.to_thread(private_database.start)  # ... and comes back

        async def all_applied() -> bool:
            return await applied() == EVENTS

        await eventually(all_applied, 120, "every event to take effect after the outage")
    finally:
        await producer.stop()

    conn = await asyncpg.connect(private_database.dsn)
    try:
        assert await effect_counts(conn, "probe") == (EVENTS, EVENTS, 0)
    finally:
        await conn.close()
    assert await read_topic(infra.kafka_bootstrap_servers, probe_topic.dlq) == [], "nothing dead-lettered"
    waits = [line for line in consumer.json_lines() if line.get("event") == "message.waiting_for_dependency"]
    assert waits, "the consumer did see the outage and waited"
