"""Schemathesis with every check over ipasn-uploader's OpenAPI schema, against the service as a
process on the real PostgreSQL and Kafka: every answer is documented (status, body schema,
content type), signed-in routes refuse anonymous calls, and nothing is a 500."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.ipasn_uploader.settings import IDENTITY
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.schemathesis import assert_schemathesis_finds_nothing
from bkpsdm.testing.services import service_process_on_own_schema

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_schemathesis_with_every_check_finds_no_failure(
    infra: Infra, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    settings = {"log_level": "WARNING", "upload_runner_enabled": "false"}
    async with service_process_on_own_schema(IDENTITY, infra, pool, tmp_path, **settings) as process:
        await assert_schemathesis_finds_nothing(process.base_url, token_for(Role.UNIT_PENGOLAH), tmp_path)
