"""The one place that wires routing: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.routing.adapters.repository import PostgresRoutingUnitOfWork
from bkpsdm.routing.entrypoints.handlers import register_handlers
from bkpsdm.routing.entrypoints.http import build_router
from bkpsdm.routing.settings import IDENTITY, RoutingSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: RoutingSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(RoutingSettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)

    def unit_of_work() -> PostgresRoutingUnitOfWork:
        return PostgresRoutingUnitOfWork(runtime.db, IDENTITY.source)

    register_handlers(runtime, unit_of_work)
    app = runtime.http_app([build_router(unit_of_work)], title="BKPSDM Routing")
    return runtime, app
