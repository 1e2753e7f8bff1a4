"""The one place that wires attendance-gateway: settings, runtime (pool, broker, relay), poller, routes."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from bkpsdm.attendance_gateway import service
from bkpsdm.attendance_gateway.adapters.comm_keys import CommKeySealer, CommKeySecretInvalid
from bkpsdm.attendance_gateway.adapters.repository import PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.domain.rules import default_rules, load_rules
from bkpsdm.attendance_gateway.domain.work_calendar import WorkCalendar
from bkpsdm.attendance_gateway.entrypoints.attendance_http import build_attendance_router
from bkpsdm.attendance_gateway.entrypoints.handlers import register_handlers
from bkpsdm.attendance_gateway.entrypoints.http import build_router
from bkpsdm.attendance_gateway.poller import Poller
from bkpsdm.attendance_gateway.service import PollPolicy
from bkpsdm.attendance_gateway.settings import IDENTITY, AttendanceGatewaySettings
from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.common.settings import ConfigurationError, load_settings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: AttendanceGatewaySettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(AttendanceGatewaySettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    sealer = comm_key_sealer(settings)

    def unit_of_work() -> PostgresGatewayUnitOfWork:
        return PostgresGatewayUnitOfWork(runtime.db, IDENTITY.source, sealer)

    poller = Poller(
        unit_of_work,
        workers=settings.poll_workers,
        session_timeout_s=settings.session_timeout_s,
        session_deadline_s=settings.session_deadline_s,
        lease_s=settings.lease_s,
        tick_s=settings.poll_tick_s,
        policy=PollPolicy(
            drift_threshold_s=settings.drift_threshold_s,
            error_streak_threshold=settings.error_streak_threshold,
            batch_size=settings.punch_batch_size,
            lease_s=settings.lease_s,
        ),
    )
    rules = (
        load_rules(Path(settings.attendance_rules_file).read_bytes())
        if settings.attendance_rules_file
        else default_rules()
    )
    # Validated here: a broken calendar file stops the service at start.
    calendar = WorkCalendar(load_calendar(settings.calendar_file))
    register_handlers(runtime, unit_of_work, poller, settings.daily_attendance_enabled)
    technician = runtime.require(Role.PETUGAS_TEKNIS)
    router = build_router(unit_of_work, technician, poller)
    reports = build_attendance_router(
        unit_of_work, runtime.require(Role.PETUGAS_TEKNIS, Role.PENGOLAH_DATA), rules, calendar
    )
    app = runtime.http_app([router, reports], title="BKPSDM Attendance Gateway")
    app.state.poller = poller
    runtime_lifespan = app.router.lifespan_context

    # The poller starts after the runtime (pool migrated, relay running) and stops before it.
    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(a):
            await service.seal_comm_keys(unit_of_work(), sealing=sealer is not None)
            if settings.polling_enabled:
                poller.start()
            try:
                yield
            finally:
                if settings.polling_enabled:
                    await poller.stop()

    app.router.lifespan_context = lifespan
    return runtime, app


def comm_key_sealer(settings: AttendanceGatewaySettings) -> CommKeySealer | None:
    if settings.comm_key_secret_file is None:
        return None
    try:
        return CommKeySealer.from_file(settings.comm_key_secret_file)
    except CommKeySecretInvalid as exc:
        message = f"configuration error: {IDENTITY.env_prefix}COMM_KEY_SECRET_FILE: {exc}"
        print(message, file=sys.stderr)
        raise ConfigurationError(message) from None
