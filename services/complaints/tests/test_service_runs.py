"""complaints starts on the real broker and database, migrates its own schema and reports ready."""

from __future__ import annotations

import asyncpg
import pytest

from bkpsdm.complaints.bootstrap import bootstrap
from bkpsdm.complaints.settings import ComplaintsSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import assert_service_runs, settings_for_test


def test_settings_default_to_its_own_port_and_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BKPSDM_COMPLAINTS_HTTP_PORT", raising=False)
    settings = ComplaintsSettings()
    assert settings.http_port == 8006
    assert settings.db_schema == "complaints"


@pytest.mark.integration
async def test_it_runs_migrated_and_ready(infra: Infra, pool: asyncpg.Pool, schema: str) -> None:
    await assert_service_runs(bootstrap, settings_for_test(ComplaintsSettings, infra, schema), pool)
