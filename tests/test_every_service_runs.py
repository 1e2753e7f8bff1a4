"""Every service, in-process with its real lifespan, starts on the real broker and database,
migrates its own schema and reports ready; its identity is declared once and read by all."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import ServiceSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import SERVICES, assert_service_runs, settings_for_test


def parts(
    identity: ServiceIdentity,
) -> tuple[type[ServiceSettings], Callable[[Any], tuple[ServiceRuntime, FastAPI]]]:
    settings = importlib.import_module(f"{identity.module}.settings")
    # The class the module defines itself (an uploader's also imports the shared UploaderSettings).
    (settings_cls,) = [
        v
        for v in vars(settings).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v.__module__ == settings.__name__
    ]
    return settings_cls, importlib.import_module(f"{identity.module}.bootstrap").bootstrap


def test_the_seven_services_declare_distinct_names_ports_and_schemas() -> None:
    identities = list(SERVICES.values())
    assert [i.name for i in identities] == [
        "intake",
        "routing",
        "lapkin-uploader",
        "ipasn-uploader",
        "attendance-gateway",
        "complaints",
        "console",
    ]
    assert len({i.port for i in identities}) == len({i.schema for i in identities}) == 7


@pytest.mark.parametrize("name", list(SERVICES))
def test_settings_take_the_prefix_and_defaults_from_the_identity(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = SERVICES[name]
    settings_cls, _ = parts(identity)
    monkeypatch.setenv(f"{identity.env_prefix}RETRY_ATTEMPTS", "7")
    settings = settings_cls()
    assert settings.retry_attempts == 7
    runtime = ServiceRuntime(identity=identity, settings=settings, migrations=Path("."), topics=TOPICS)
    assert (runtime.http_port, runtime.schema) == (identity.port, identity.schema)


@pytest.mark.integration
@pytest.mark.parametrize("name", [n for n in SERVICES if n not in ("intake", "routing")])
async def test_it_runs_migrated_and_ready(name: str, infra: Infra, pool: asyncpg.Pool, schema: str) -> None:
    settings_cls, bootstrap = parts(SERVICES[name])
    await assert_service_runs(bootstrap, settings_for_test(settings_cls, infra, schema), pool)
