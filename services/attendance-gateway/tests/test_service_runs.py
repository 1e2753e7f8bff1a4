"""attendance-gateway starts on the real broker and database, migrates its own schema and reports ready."""

from __future__ import annotations

import asyncpg
import pytest

from bkpsdm.attendance_gateway.bootstrap import bootstrap
from bkpsdm.attendance_gateway.settings import AttendanceGatewaySettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import assert_service_runs, settings_for_test


def test_settings_default_to_its_own_port_and_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BKPSDM_ATTENDANCE_GATEWAY_HTTP_PORT", raising=False)
    settings = AttendanceGatewaySettings()
    assert settings.http_port == 8005
    assert settings.db_schema == "attendance_gateway"


@pytest.mark.integration
async def test_it_runs_migrated_and_ready(infra: Infra, pool: asyncpg.Pool, schema: str) -> None:
    await assert_service_runs(bootstrap, settings_for_test(AttendanceGatewaySettings, infra, schema), pool)
