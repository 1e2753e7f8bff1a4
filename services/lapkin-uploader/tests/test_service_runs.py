"""lapkin-uploader starts on the real broker and database, migrates its own schema and reports ready."""

from __future__ import annotations

import asyncpg
import pytest

from bkpsdm.lapkin_uploader.bootstrap import bootstrap
from bkpsdm.lapkin_uploader.settings import LapkinUploaderSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import assert_service_runs, settings_for_test


def test_settings_default_to_its_own_port_and_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BKPSDM_LAPKIN_UPLOADER_HTTP_PORT", raising=False)
    settings = LapkinUploaderSettings()
    assert settings.http_port == 8003
    assert settings.db_schema == "lapkin_uploader"


@pytest.mark.integration
async def test_it_runs_migrated_and_ready(infra: Infra, pool: asyncpg.Pool, schema: str) -> None:
    await assert_service_runs(bootstrap, settings_for_test(LapkinUploaderSettings, infra, schema), pool)
