"""Schemathesis with every check over the gateway's OpenAPI schema, against the gateway as a
process on the real PostgreSQL and Kafka: every answer is documented, the technician's routes
refuse anonymous calls, and nothing is a 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.attendance_gateway.settings import IDENTITY
from bkpsdm.common.auth import Role
from bkpsdm.common.db import quote_schema
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.schemathesis import assert_schemathesis_finds_nothing

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The refusals a schema cannot state are configured in the checkout's schemathesis.toml.


@pytest.fixture
async def gateway_process(infra: Infra, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    schema = f"fuzz_{uuid.uuid4().hex[:8]}"
    prefix = IDENTITY.env_prefix
    env = {
        **infra.env(),
        f"{prefix}DB_SCHEMA": schema,
        f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{schema}",
        f"{prefix}LOG_LEVEL": "WARNING",
        f"{prefix}POLLING_ENABLED": "false",  # fuzzed addresses are not terminals to poll
        f"{prefix}SESSION_TIMEOUT_S": "1",
        f"{prefix}SESSION_DEADLINE_S": "4",
        f"{prefix}POLL_WORKERS": "2",
        f"{prefix}DAILY_ATTENDANCE_ENABLED": "false",  # would read the shared punches topic from its start
    }
    process = ServiceProcess(IDENTITY.module, prefix, env, tmp_path).start()
    try:
        await asyncio.to_thread(process.wait_ready)
        yield process
    finally:
        process.stop()
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")


async def test_schemathesis_with_every_check_finds_no_failure(
    gateway_process: ServiceProcess, tmp_path: Path
) -> None:
    await assert_schemathesis_finds_nothing(
        gateway_process.base_url, token_for(Role.PETUGAS_TEKNIS), tmp_path
    )
