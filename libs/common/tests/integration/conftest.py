from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.common.kafka_admin import delete_topics
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.kafka import create_test_topic, unique_name
from bkpsdm.testing.probe import prepare_probe_schema, probe_topic_spec
from bkpsdm.testing.processes import ManagedProcess, WorkerFactory

pytestmark = pytest.mark.integration


@pytest.fixture
async def probe_schema(pool: asyncpg.Pool, schema: str) -> str:
    await prepare_probe_schema(pool, schema)
    return schema


@pytest.fixture
async def probe_topic(infra: Infra) -> AsyncIterator[TopicSpec]:
    spec = probe_topic_spec(unique_name("test.probe"))
    yield await create_test_topic(infra.kafka_bootstrap_servers, spec)
    await delete_topics(infra.kafka_bootstrap_servers, [spec.name, spec.dlq])


@pytest.fixture
def worker(infra: Infra, log_dir: Path) -> Iterator[WorkerFactory]:
    started: list[ManagedProcess] = []

    def make(
        *args: str, bootstrap: str | None = None, database_url: str | None = None, name: str = "worker"
    ) -> ManagedProcess:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap or infra.kafka_bootstrap_servers,
            "DATABASE_URL": database_url or infra.database_url,
        }
        proc = ManagedProcess(
            [sys.executable, "-m", "bkpsdm.testing.worker", *args],
            env,
            log_dir / f"{name}-{len(started)}.log",
        )
        started.append(proc.start())
        return proc

    yield make
    for proc in started:
        proc.kill()
