"""Schemathesis with every check over complaints' OpenAPI schema, against complaints as a process
on the real PostgreSQL and Kafka: every answer is documented (status, body schema, content
type), signed-in routes refuse anonymous calls, and nothing is a 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.db import quote_schema
from bkpsdm.complaints.settings import IDENTITY
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.schemathesis import assert_schemathesis_finds_nothing

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The refusals a schema cannot state are configured in the checkout's schemathesis.toml.


@pytest.fixture
async def complaints_process(
    infra: Infra, pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    schema = f"fuzz_{uuid.uuid4().hex[:8]}"
    prefix = IDENTITY.env_prefix
    env = {
        **infra.env(),
        f"{prefix}DB_SCHEMA": schema,
        f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{schema}",
        f"{prefix}SMTP_PORT": "0",
        f"{prefix}PUBLIC_RATE_PER_S": "10000",
        f"{prefix}PUBLIC_BURST": "10000",
        f"{prefix}LOG_LEVEL": "WARNING",
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
    complaints_process: ServiceProcess, tmp_path: Path
) -> None:
    token = token_for(Role.PENGELOLA_PENGADUAN, Role.SEKRETARIS, Role.KEPALA_BIDANG, unit="BIDANG-PKA")
    await assert_schemathesis_finds_nothing(complaints_process.base_url, token, tmp_path)
