"""The one place that wires lapkin-uploader: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.lapkin_uploader.settings import IDENTITY, LapkinUploaderSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: LapkinUploaderSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(LapkinUploaderSettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    app = runtime.http_app([], title="BKPSDM Lapkin Uploader")
    return runtime, app
