"""Schemathesis with every check over intake's OpenAPI schema, against intake as a process on
the real PostgreSQL and Kafka: every answer is documented (status, body schema, content
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
from bkpsdm.intake.settings import IDENTITY
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.schemathesis import run_schemathesis, summary_has_failures

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# A schema-valid multipart body can still carry a file whose content its requirement does not
# take, or a recap with row errors: JSON Schema cannot say what is inside a file. For that one
# operation 413/415/422 are expected answers to schema-valid data; every other check is as is.
CONFIG = """
[[operations]]
include-path = "/api/v1/submissions"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "413", "415", "422"]
"""


@pytest.fixture
async def intake_process(infra: Infra, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    schema = f"fuzz_{uuid.uuid4().hex[:8]}"
    prefix = IDENTITY.env_prefix
    env = {
        **infra.env(),
        f"{prefix}DB_SCHEMA": schema,
        f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{schema}",
        f"{prefix}DOCUMENTS_DIR": str(tmp_path / "documents"),
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
    intake_process: ServiceProcess, tmp_path: Path
) -> None:
    returncode, stdout, report = await run_schemathesis(
        intake_process.base_url, token_for(Role.PERANGKAT_DAERAH, unit="DISDIK"), CONFIG, tmp_path
    )
    assert returncode == 0, report
    assert not summary_has_failures(stdout), report
