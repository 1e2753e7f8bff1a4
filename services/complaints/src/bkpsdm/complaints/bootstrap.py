"""The one place that wires complaints: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.complaints.settings import IDENTITY, ComplaintsSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: ComplaintsSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(ComplaintsSettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    app = runtime.http_app([], title="BKPSDM Complaints")
    return runtime, app
