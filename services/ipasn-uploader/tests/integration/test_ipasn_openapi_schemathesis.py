"""Schemathesis with every check over ipasn-uploader's OpenAPI schema, against the service as a
process on the real PostgreSQL and Kafka: every answer is documented (status, body schema,
content type), signed-in routes refuse anonymous calls, and nothing is a 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.db import quote_schema
from bkpsdm.ipasn_uploader.settings import IDENTITY
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.schemathesis import run_schemathesis, summary_has_failures

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
async def ipasn_process_fuzz(
    infra: Infra, pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    schema = f"fuzz_{uuid.uuid4().hex[:8]}"
    prefix = IDENTITY.env_prefix
    env = {
        **infra.env(),
        f"{prefix}DB_SCHEMA": schema,
        f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{schema}",
        f"{prefix}LOG_LEVEL": "WARNING",
        f"{prefix}UPLOAD_RUNNER_ENABLED": "false",
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
    ipasn_process_fuzz: ServiceProcess, tmp_path: Path
) -> None:
    returncode, stdout, report = await run_schemathesis(
        ipasn_process_fuzz.base_url, token_for(Role.UNIT_PENGOLAH), "", tmp_path
    )
    assert returncode == 0, report
    assert not summary_has_failures(stdout), report
