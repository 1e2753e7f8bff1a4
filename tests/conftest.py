from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.services import SERVICES, ServiceFactory


@pytest.fixture
def run_id() -> str:
    """Schemas and consumer groups of this test's service processes carry it."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
async def service_process(
    infra: Infra, log_dir: Path, run_id: str, pool: asyncpg.Pool
) -> AsyncIterator[ServiceFactory]:
    started: list[ServiceProcess] = []

    def start(name: str) -> ServiceProcess:
        identity = SERVICES[name]
        prefix = identity.env_prefix
        env = {
            **infra.env(),
            f"{prefix}DB_SCHEMA": f"e2e_{run_id}_{name.replace('-', '_')}",
            f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{run_id}",
            f"{prefix}OUTBOX_POLL_INTERVAL_S": "0.5",
        }
        process = ServiceProcess(identity.module, prefix, env, log_dir)
        started.append(process.start())
        return process

    yield start
    for process in started:
        process.stop()
    async with pool.acquire() as conn:
        for name in SERVICES:
            await conn.execute(f"DROP SCHEMA IF EXISTS e2e_{run_id}_{name.replace('-', '_')} CASCADE")
