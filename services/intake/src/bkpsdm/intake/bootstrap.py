"""The one place that wires intake: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.intake.entrypoints.handlers import register_handlers
from bkpsdm.intake.entrypoints.http import build_router
from bkpsdm.intake.settings import IntakeSettings

SERVICE = "intake"
MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: IntakeSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(IntakeSettings)
    runtime = ServiceRuntime(service=SERVICE, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    register_handlers(runtime)
    app = runtime.http_app([build_router(runtime.db)], title="BKPSDM Intake")
    return runtime, app
