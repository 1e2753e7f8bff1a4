"""The one place that wires attendance-gateway: settings, runtime (pool, broker, relay), handlers, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bkpsdm.attendance_gateway.settings import IDENTITY, AttendanceGatewaySettings
from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: AttendanceGatewaySettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(AttendanceGatewaySettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    app = runtime.http_app([], title="BKPSDM Attendance Gateway")
    return runtime, app
