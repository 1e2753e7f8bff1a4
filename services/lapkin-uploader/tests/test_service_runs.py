"""lapkin-uploader starts on the real broker and database, migrates its own schema and reports ready."""

from __future__ import annotations

import asyncpg
import pytest

from bkpsdm.lapkin_uploader.bootstrap import bootstrap
from bkpsdm.lapkin_uploader.settings import LapkinUploaderSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import running_service, settings_for_test


def test_settings_default_to_its_own_port_and_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKPSDM_LAPKIN_UPLOADER_HTTP_PORT", "9003")
    settings = LapkinUploaderSettings()
    assert settings.http_port == 9003
    assert settings.db_schema == "lapkin_uploader"


@pytest.mark.integration
async def test_it_runs_migrated_and_ready(infra: Infra, pool: asyncpg.Pool, schema: str) -> None:
    async with running_service(bootstrap, settings_for_test(LapkinUploaderSettings, infra, schema)) as (
        _,
        client,
    ):
        ready = await client.get("/health/ready")
        assert ready.json() == {"status": "ok", "checks": {"database": True, "kafka": True}}
        missing = await client.get("/api/v1/belum-ada")
        assert missing.status_code == 404
        assert missing.json()["code"] == "NOT_FOUND"
    async with pool.acquire() as conn:
        tables = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
            )
        }
    assert {"outbox", "inbox", "schema_migrations"} <= tables
