"""The one place that wires intake: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.intake.adapters.repository import PostgresIntakeUnitOfWork
from bkpsdm.intake.entrypoints.handlers import register_handlers
from bkpsdm.intake.entrypoints.http import build_router
from bkpsdm.intake.settings import IDENTITY, IntakeSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: IntakeSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(IntakeSettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)

    def unit_of_work() -> PostgresIntakeUnitOfWork:
        return PostgresIntakeUnitOfWork(runtime.db, IDENTITY.source)

    register_handlers(runtime, unit_of_work)
    app = runtime.http_app([build_router(unit_of_work)], title="BKPSDM Intake")
    return runtime, app
