"""Fixtures of ipasn-uploader's integration tests: intake's recap endpoint, the BKN simulator as a
process, and the uploader as a process (it is killed) or in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bkpsdm.common.db import quote_schema
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.ipasn_uploader.bootstrap import bootstrap
from bkpsdm.ipasn_uploader.settings import IDENTITY, IpasnUploaderSettings
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.processes import ServiceProcess, free_port
from bkpsdm.testing.uploads import (
    FAST_BKN,
    RecapServer,
    bkn_simulators,
    recap_server,
    running_uploader,
    start_group_at_end,
    uploader_settings,
)

Running = Callable[
    [IpasnUploaderSettings], AbstractAsyncContextManager[tuple[ServiceRuntime, httpx.AsyncClient]]
]
# The I/O-heavier IP-ASN rows get a little more time per call and fewer at once.
FAST = {**FAST_BKN, "bkn_timeout_s": 0.5, "bkn_concurrency": 8}


@pytest.fixture
def recaps() -> Iterator[RecapServer]:
    with recap_server() as server:
        yield server


@pytest.fixture
def simulator() -> Iterator[Callable[..., str]]:
    with bkn_simulators() as start:
        yield start


@pytest.fixture
def ipasn_settings(infra: Infra, schema: str, recaps: RecapServer) -> Callable[..., IpasnUploaderSettings]:
    def make(bkn_url: str, **overrides: Any) -> IpasnUploaderSettings:
        return uploader_settings(
            IpasnUploaderSettings, infra, schema, recaps, bkn_url, **{**FAST, **overrides}
        )

    return make


@pytest.fixture
def ipasn() -> Running:
    """Runs the service in-process, its consumer group starting at the request topic's end."""

    def running(
        settings: IpasnUploaderSettings,
    ) -> AbstractAsyncContextManager[tuple[ServiceRuntime, httpx.AsyncClient]]:
        return running_uploader(bootstrap, IDENTITY.name, settings)

    return running


@pytest.fixture
async def ipasn_process(
    infra: Infra, pool: asyncpg.Pool, log_dir: Path, recaps: RecapServer
) -> AsyncIterator[Callable[..., ServiceProcess]]:
    """`python -m bkpsdm.ipasn_uploader` on its own schema; every process started shares it."""
    schema = f"crash_{free_port()}"
    prefix = IDENTITY.env_prefix
    started: list[ServiceProcess] = []
    await start_group_at_end(infra.kafka_bootstrap_servers, f"ipasn-uploader.upload-requests-{schema}")

    def start(bkn_url: str, **overrides: Any) -> ServiceProcess:
        settings = {
            **FAST,
            "db_schema": schema,
            "consumer_group_suffix": f"-{schema}",
            "intake_base_url": recaps.base_url,
            "intake_token_key_file": str(ensure_local_auth() / "private.pem"),
            "bkn_base_url": bkn_url,
            "outbox_poll_interval_s": 0.5,
            **overrides,
        }
        settings["bkn_rate_limit_rps"] = settings["bkn_rate_limit_rps"] or 10_000  # no limit
        env = {**infra.env(), **{f"{prefix}{k.upper()}": str(v) for k, v in settings.items()}}
        process = ServiceProcess(IDENTITY.module, prefix, env, log_dir).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    async with pool.acquire() as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
