"""The one place that wires intake: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.http import CorrelationAndLimitsMiddleware
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.common.settings import load_settings
from bkpsdm.intake.adapters.document_store import LocalDocumentStore
from bkpsdm.intake.adapters.repository import PostgresIntakeUnitOfWork
from bkpsdm.intake.domain.catalogue import load_catalogue
from bkpsdm.intake.entrypoints.handlers import register_handlers
from bkpsdm.intake.entrypoints.http import build_router
from bkpsdm.intake.service import IntakeRules
from bkpsdm.intake.settings import IDENTITY, IntakeSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: IntakeSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(IntakeSettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    # Both are validated here: a broken catalogue or calendar stops the service at start.
    rules = IntakeRules(
        catalogue=load_catalogue(settings.catalogue_dir),
        calendar=load_calendar(settings.calendar_file),
        receipt_pattern=settings.receipt_pattern,
        document_max_bytes=settings.document_max_bytes,
        recap_max_rows=settings.recap_max_rows,
    )
    store = LocalDocumentStore(settings.documents_dir.resolve())

    def unit_of_work() -> PostgresIntakeUnitOfWork:
        return PostgresIntakeUnitOfWork(runtime.db, IDENTITY.source)

    register_handlers(runtime, unit_of_work)
    app = runtime.http_app([build_router(runtime, unit_of_work, store, rules)], title="BKPSDM Intake")
    # A submission carries several documents: raise the runtime's body limit for this service.
    # (The middleware stack is built at the first request, so its options can still change.)
    for middleware in app.user_middleware:
        if cast(object, middleware.cls) is CorrelationAndLimitsMiddleware:
            middleware.kwargs["max_body_bytes"] = settings.max_request_bytes
    return runtime, app
