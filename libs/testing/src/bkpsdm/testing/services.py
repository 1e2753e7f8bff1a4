"""Run one service in-process (its real lifespan: pool, migrations, broker, relay) for tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from fastapi import FastAPI

from bkpsdm.common.db import quote_schema
from bkpsdm.common.identity import ServiceIdentity, discover
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import ServiceSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

# Every installed service, by name, as each declares itself.
SERVICES: dict[str, ServiceIdentity] = {identity.name: identity for identity in discover()}
# Starts one of SERVICES by name as a process (see tests/conftest.py).
ServiceFactory = Callable[[str], ServiceProcess]


def settings_for_test(settings_cls: type[SettingsT], infra: Infra, schema: str, **extra: Any) -> SettingsT:
    """The service's settings on the test infrastructure, in its own schema and consumer groups."""
    return settings_cls(
        KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap_servers,
        DATABASE_URL=infra.database_url,
        db_schema=schema,
        consumer_group_suffix=f"-{schema}",
        **extra,
    )


@asynccontextmanager
async def running_service(
    bootstrap: Callable[[SettingsT], tuple[ServiceRuntime, FastAPI]], settings: SettingsT
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    runtime, app = bootstrap(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield runtime, client


async def assert_service_runs(
    bootstrap: Callable[[SettingsT], tuple[ServiceRuntime, FastAPI]],
    settings: SettingsT,
    pool: asyncpg.Pool,
) -> None:
    """The service starts on the real broker and database, migrates its own schema (outbox
    and inbox included), reports ready, and answers unknown routes in Indonesian."""
    async with running_service(bootstrap, settings) as (_, client):
        ready = (await client.get("/health/ready")).json()
        assert (ready["status"], ready["checks"]) == ("ok", {"database": True, "kafka": True})
        missing = await client.get("/api/v1/belum-ada")
        assert missing.status_code == 404
        assert missing.json()["code"] == "NOT_FOUND"
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", settings.db_schema
        )
    assert {"outbox", "inbox", "schema_migrations"} <= {r["table_name"] for r in rows}


@asynccontextmanager
async def service_process_on_own_schema(
    identity: ServiceIdentity, infra: Infra, pool: asyncpg.Pool, log_dir: Path, **settings: str
) -> AsyncIterator[ServiceProcess]:
    """The service as its own ready process (`python -m`) on a fresh schema and consumer groups;
    `settings` are its own (`log_level="WARNING"`), the schema is dropped afterwards."""
    schema = f"proc_{uuid.uuid4().hex[:8]}"
    prefix = identity.env_prefix
    env = {
        **infra.env(),
        f"{prefix}DB_SCHEMA": schema,
        f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{schema}",
        **{f"{prefix}{name.upper()}": value for name, value in settings.items()},
    }
    process = ServiceProcess(identity.module, prefix, env, log_dir).start()
    try:
        await asyncio.to_thread(process.wait_ready)
        yield process
    finally:
        process.stop()
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
