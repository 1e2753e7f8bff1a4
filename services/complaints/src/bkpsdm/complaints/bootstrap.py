"""The one place that wires complaints: settings, runtime (pool, broker, relay), rules, clock,
the channels (HTTP, SMTP/LMTP, SMS webhook, SP4N-LAPOR! sync), the SLA deadline firer, routes."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import cast

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.db import Connection
from bkpsdm.common.deadlines import Deadline, DeadlineFirer
from bkpsdm.common.http import CorrelationAndLimitsMiddleware
from bkpsdm.common.logs import get_logger
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.common.settings import load_settings
from bkpsdm.complaints import service
from bkpsdm.complaints.adapters.lapor import LaporClient
from bkpsdm.complaints.adapters.repository import PostgresComplaintsUnitOfWork, TransactionUnitOfWork
from bkpsdm.complaints.clock import ServiceClock
from bkpsdm.complaints.domain import ikm, sla
from bkpsdm.complaints.domain.attachments import AttachmentLimits
from bkpsdm.complaints.domain.form_tokens import FormTokens
from bkpsdm.complaints.entrypoints.handlers import register_handlers
from bkpsdm.complaints.entrypoints.http import build_clock_router, build_router
from bkpsdm.complaints.entrypoints.limits import ClientRateLimiter
from bkpsdm.complaints.entrypoints.public import build_public_router
from bkpsdm.complaints.entrypoints.smtp import ComplaintMailHandler, MailServer
from bkpsdm.complaints.entrypoints.statistics_http import build_statistics_router
from bkpsdm.complaints.entrypoints.survey_http import build_survey_router
from bkpsdm.complaints.lapor_sync import LaporSync
from bkpsdm.complaints.service import ComplaintsContext
from bkpsdm.complaints.settings import IDENTITY, ComplaintsSettings
from bkpsdm.complaints.survey import SurveyContext

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
log = get_logger(__name__)


def bootstrap(
    settings: ComplaintsSettings | None = None, clock: ServiceClock | None = None
) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(ComplaintsSettings)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    # Rules and calendar are validated here: a broken file stops the service at start.
    ctx = ComplaintsContext(
        rules=sla.load_rules(settings.rules_file.read_bytes())
        if settings.rules_file
        else sla.default_rules(),
        calendar=load_calendar(settings.calendar_file),
        clock=clock or ServiceClock(),
        attachment_limits=AttachmentLimits(settings.attachment_max_bytes, settings.attachments_max),
    )
    survey_ctx = SurveyContext(
        rules=ikm.load_rules(settings.ikm_rules_file.read_bytes())
        if settings.ikm_rules_file
        else ikm.default_rules(),
        services=dict(settings.survey_services),
    )

    def unit_of_work() -> PostgresComplaintsUnitOfWork:
        return PostgresComplaintsUnitOfWork(runtime.db, IDENTITY.source)

    async def on_deadline(conn: Connection, deadline: Deadline) -> None:
        await service.on_deadline(TransactionUnitOfWork(conn, runtime.schema, IDENTITY.source), ctx, deadline)

    firers: list[DeadlineFirer] = []

    async def fire_due() -> int:
        return await firers[0].fire_due() if firers else 0

    lapor = None
    if settings.lapor_base_url:
        client = LaporClient(
            settings.lapor_base_url,
            settings.lapor_client_id,
            settings.lapor_client_secret.get_secret_value(),
            timeout_s=settings.lapor_timeout_s,
            attempts=settings.lapor_retry_attempts,
            breaker_threshold=settings.lapor_breaker_threshold,
            breaker_ttl_s=settings.lapor_breaker_ttl_s,
        )
        lapor = LaporSync(
            unit_of_work,
            ctx,
            client,
            settings.lapor_agency,
            page_size=settings.lapor_page_size,
            interval_s=settings.lapor_sync_interval_s,
        )
    tokens = FormTokens(
        settings.form_token_secret.get_secret_value().encode()
        if settings.form_token_secret
        else secrets.token_bytes(32),
        timedelta(seconds=settings.form_token_ttl_s),
    )
    limiter = ClientRateLimiter(settings.public_rate_per_s, settings.public_burst)
    register_handlers(runtime, unit_of_work)
    routers = [
        build_router(runtime, unit_of_work, ctx, lapor),
        build_public_router(
            unit_of_work,
            ctx,
            limiter,
            tokens,
            settings.sms_webhook_secret.get_secret_value(),
            settings.sms_signature_max_age_s,
        ),
        build_survey_router(runtime, unit_of_work, ctx, survey_ctx, limiter, settings.public_base_url),
        build_statistics_router(unit_of_work, ctx, survey_ctx),
    ]
    if settings.clock_control_enabled:
        routers.append(build_clock_router(runtime, ctx, fire_due))
    app = runtime.http_app(routers, title="BKPSDM Complaints")
    # A web form with attachments: the runtime's body limit for this service.
    for middleware in app.user_middleware:
        if cast(object, middleware.cls) is CorrelationAndLimitsMiddleware:
            middleware.kwargs["max_body_bytes"] = settings.max_request_bytes
    mail = MailServer(
        ComplaintMailHandler(unit_of_work, ctx, settings.mail_addresses),
        host=settings.smtp_host,
        port=settings.smtp_port,
        protocol=settings.smtp_protocol,
        max_message_bytes=settings.smtp_max_message_bytes,
    )
    app.state.ctx = ctx
    app.state.mail = mail
    app.state.lapor = lapor
    app.state.fire_due = fire_due
    app.state.limiter = limiter
    runtime_lifespan = app.router.lifespan_context

    # The channels and clocks start after the runtime (schema migrated, relay running) and stop before it.
    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(a):
            if settings.form_token_secret is None:
                log.warning(
                    "form_tokens.random_key",
                    reason="FORM_TOKEN_SECRET unset: tokens hold in this process only",
                )
            firer = DeadlineFirer(
                runtime.db.pool,
                runtime.schema,
                on_deadline,
                clock=ctx.clock.now,
                idle_interval=settings.deadline_interval_s,
            )
            firers.append(firer)
            await firer.start()
            if settings.smtp_enabled:
                await mail.start()
            if lapor is not None:
                lapor.start()
            try:
                yield
            finally:
                if lapor is not None:
                    await lapor.stop()
                await mail.stop()
                await firer.stop()
                firers.clear()

    app.router.lifespan_context = lifespan
    return runtime, app
