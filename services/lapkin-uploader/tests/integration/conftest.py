"""Fixtures of lapkin-uploader's integration tests: intake's recap endpoint, the BKN simulator as
a process, and the service in-process on the real broker and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.lapkin_uploader.bootstrap import bootstrap
from bkpsdm.lapkin_uploader.settings import IDENTITY, LapkinUploaderSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.uploads import (
    RecapServer,
    bkn_simulators,
    recap_server,
    running_uploader,
    uploader_settings,
)

Running = Callable[
    [LapkinUploaderSettings], AbstractAsyncContextManager[tuple[ServiceRuntime, httpx.AsyncClient]]
]


@pytest.fixture
def recaps() -> Iterator[RecapServer]:
    with recap_server() as server:
        yield server


@pytest.fixture
def simulator() -> Iterator[Callable[..., str]]:
    with bkn_simulators() as start:
        yield start


@pytest.fixture
def lapkin_settings(infra: Infra, schema: str, recaps: RecapServer) -> Callable[..., LapkinUploaderSettings]:
    def make(bkn_url: str, **overrides: Any) -> LapkinUploaderSettings:
        return uploader_settings(LapkinUploaderSettings, infra, schema, recaps, bkn_url, **overrides)

    return make


@pytest.fixture
def lapkin() -> Running:
    """Runs the service in-process, its consumer group starting at the request topic's end."""

    def running(
        settings: LapkinUploaderSettings,
    ) -> AbstractAsyncContextManager[tuple[ServiceRuntime, httpx.AsyncClient]]:
        return running_uploader(bootstrap, IDENTITY.name, settings)

    return running
