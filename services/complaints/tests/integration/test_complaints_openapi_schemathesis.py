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
from bkpsdm.testing.schemathesis import run_schemathesis, summary_has_failures

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Schema-valid requests a schema cannot tell apart from good ones: a form token or SMS signature
# that is not ours, a receipt, ticket or complaint we never issued, an action the complaint's
# status or the caller's role does not allow, and a 401 on signed-in routes (a run without a
# token). For those operations (each named exactly: filters of one entry are alternatives) the
# refusals are expected answers; every other check is as is.
CONFIG = """
[[operations]]
include-name = "POST /api/v1/public/complaints"
checks.positive_data_acceptance.expected-statuses = ["2xx", "409", "413", "415", "422", "429"]

[[operations]]
include-name = "POST /api/v1/channels/sms"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "409", "422"]

[[operations]]
include-name = "POST /api/v1/complaints/{complaint_id}/actions"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-name = ["POST /api/v1/complaints", "POST /api/v1/survey/deliveries"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "422"]

[[operations]]
include-name = ["POST /api/v1/survey/{service_code}/responses", "POST /api/v1/public/complaints/{ticket_code}/replies"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "409", "422", "429"]

# The public figures take any integer year; outside 2000 .. next year they answer 422.
[[operations]]
include-name = ["GET /api/v1/ikm/summary", "GET /api/v1/public/complaint-statistics"]
checks.positive_data_acceptance.expected-statuses = ["200", "422"]
"""


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
    returncode, stdout, report = await run_schemathesis(complaints_process.base_url, token, CONFIG, tmp_path)
    assert returncode == 0, report
    assert not summary_has_failures(stdout), report
