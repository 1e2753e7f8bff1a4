"""The one place that wires routing: settings, rules, runtime (pool, broker, relay), handlers,
the deadline firer and the routes."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from pydantic import ValidationError

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.db import Connection
from bkpsdm.common.deadlines import Deadline, DeadlineFirer
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.service_calendar import ServiceCalendarError, load_calendar
from bkpsdm.common.settings import ConfigurationError, load_settings
from bkpsdm.routing import clocks
from bkpsdm.routing.adapters.repository import ConnectionUnitOfWork, PostgresRoutingUnitOfWork
from bkpsdm.routing.domain.rules import RulesError, load_rules
from bkpsdm.routing.domain.sla import SlaClock
from bkpsdm.routing.domain.workflow import WorkflowError, load_workflows
from bkpsdm.routing.entrypoints.handlers import register_handlers
from bkpsdm.routing.entrypoints.http import build_router
from bkpsdm.routing.entrypoints.statistics_http import build_statistics_router
from bkpsdm.routing.ports import RoutingContext
from bkpsdm.routing.settings import IDENTITY, RoutingSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_context(settings: RoutingSettings, clock: Callable[[], datetime] = _utc_now) -> RoutingContext:
    """Load and validate the workflow definitions, the rule set and the calendar; a broken
    file stops the service with one line naming it."""
    try:
        workflows = load_workflows(settings.workflows_dir)
        rules = load_rules(settings.rules_file)
        calendar = load_calendar(settings.calendar_file)
    except (WorkflowError, RulesError, ServiceCalendarError, ValidationError, OSError) as exc:
        message = f"configuration error: {type(exc).__name__}: {exc}".splitlines()[0]
        print(message, file=sys.stderr)
        raise ConfigurationError(message) from exc
    return RoutingContext(
        workflows=workflows,
        rules=rules,
        sla=SlaClock(calendar, rules.warning_fraction, settings.sla_scale),
        clock=clock,
        diagnosis_timeout=timedelta(seconds=settings.diagnosis_timeout_s),
        intake_url=settings.intake_url.rstrip("/"),
    )


def bootstrap(
    settings: RoutingSettings | None = None, *, clock: Callable[[], datetime] = _utc_now
) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(RoutingSettings)
    ctx = build_context(settings, clock)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)

    def unit_of_work() -> PostgresRoutingUnitOfWork:
        return PostgresRoutingUnitOfWork(runtime.db, IDENTITY.source)

    async def fire(conn: Connection, deadline: Deadline) -> None:
        uow = ConnectionUnitOfWork(conn, runtime.schema, IDENTITY.source)
        await clocks.on_deadline(
            uow, ctx, aggregate_id=deadline.aggregate_id, kind=deadline.kind, payload=deadline.payload
        )

    register_handlers(runtime, unit_of_work, ctx)
    app = runtime.http_app(
        [build_router(runtime, unit_of_work, ctx), build_statistics_router(unit_of_work, ctx)],
        title="BKPSDM Routing",
    )
    runtime_lifespan = app.router.lifespan_context

    # The firer starts once the runtime has migrated the schema and runs the relay, and stops first.
    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(a):
            firer = DeadlineFirer(
                runtime.db.pool,
                runtime.schema,
                fire,
                clock=clock,
                batch_size=settings.deadline_batch_size,
                idle_interval=settings.deadline_idle_interval_s,
            )
            a.state.deadlines = firer
            if settings.deadlines_enabled:
                await firer.start()
            try:
                yield
            finally:
                if settings.deadlines_enabled:
                    await firer.stop()

    app.router.lifespan_context = lifespan
    app.state.context = ctx
    return runtime, app
