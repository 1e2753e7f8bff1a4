"""Fixtures of lapkin-uploader's integration tests: intake's recap endpoint, the BKN simulator as
a process, and the service in-process on the real broker and database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.uploads.testing import RecapServer, bkn_simulator, recap_server, start_group_at_end
from bkpsdm.lapkin_uploader.bootstrap import bootstrap
from bkpsdm.lapkin_uploader.settings import LapkinUploaderSettings
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.processes import free_port
from bkpsdm.testing.services import running_service, settings_for_test

# Fast retries for a simulator answering in a millisecond; the test decides the faults.
FAST = {
    "bkn_rate_limit_rps": None,
    "bkn_timeout_s": 0.2,
    "bkn_concurrency": 16,
    "bkn_retry_attempts": 12,
    "bkn_retry_initial_s": 0.01,
    "bkn_retry_max_s": 0.2,
    "bkn_retry_jitter_s": 0.02,
    "bkn_breaker_threshold": 25,
    "bkn_breaker_ttl_s": 0.2,
    "upload_poll_interval_s": 0.5,
}


@pytest.fixture
def recaps() -> Iterator[RecapServer]:
    with recap_server() as server:
        yield server


@pytest.fixture
def simulator() -> Iterator[Callable[..., str]]:
    with ExitStack() as stack:

        def start(faults: dict[str, Any] | None = None, *args: str) -> str:
            return stack.enter_context(bkn_simulator(free_port(), faults, args=args))

        yield start


@pytest.fixture
def lapkin_settings(infra: Infra, schema: str, recaps: RecapServer) -> Callable[..., LapkinUploaderSettings]:
    def make(bkn_url: str, **overrides: Any) -> LapkinUploaderSettings:
        return settings_for_test(
            LapkinUploaderSettings,
            infra,
            schema,
            intake_base_url=recaps.base_url,
            intake_token_key_file=ensure_local_auth() / "private.pem",
            bkn_base_url=bkn_url,
            **{**FAST, **overrides},
        )

    return make


@asynccontextmanager
async def _running(
    settings: LapkinUploaderSettings,
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    await start_group_at_end(
        settings.kafka_bootstrap_servers, f"lapkin-uploader.upload-requests{settings.consumer_group_suffix}"
    )
    async with running_service(bootstrap, settings) as running:
        yield running


Running = Callable[
    [LapkinUploaderSettings], AbstractAsyncContextManager[tuple[ServiceRuntime, httpx.AsyncClient]]
]


@pytest.fixture
def lapkin() -> Running:
    """Runs the service in-process, its consumer group starting at the request topic's end."""
    return _running
