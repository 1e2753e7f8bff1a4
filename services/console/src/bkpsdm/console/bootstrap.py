"""The one place that wires the console: settings, runtime (pool, migrations, health), its user
store, the token issuer, the HTTP clients of the services behind it, and the pages."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from bkpsdm.common.http import CorrelationAndLimitsMiddleware
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.common.settings import ConfigurationError, load_settings
from bkpsdm.common.topics import TopicRegistry
from bkpsdm.console.adapters.oidc import OidcProvider
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.repository import PostgresConsoleUnitOfWork
from bkpsdm.console.adapters.services import (
    AttendanceGatewayApi,
    ComplaintsApi,
    IntakeApi,
    RoutingApi,
    UploaderApi,
)
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.domain.sso import ClaimRules
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.entrypoints import (
    applicant_pages,
    board_pages,
    case_pages,
    complaint_pages,
    public_pages,
    session_pages,
    sso_pages,
)
from bkpsdm.console.entrypoints.dashboard import Dashboard
from bkpsdm.console.entrypoints.errors import SecurityHeadersMiddleware, install_page_errors
from bkpsdm.console.entrypoints.web import STATIC, Web
from bkpsdm.console.settings import IDENTITY, ConsoleSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
MAX_REQUEST_BYTES = 20 * 1024 * 1024  # a submission with its documents, as intake takes it


def token_issuer(settings: ConsoleSettings) -> TokenIssuer:
    try:
        return TokenIssuer.from_file(
            settings.signing_key_file,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            ttl=timedelta(minutes=settings.token_ttl_minutes),
        )
    except (OSError, ValueError) as exc:
        message = f"configuration error: BKPSDM_CONSOLE_SIGNING_KEY_FILE: {exc}"
        print(message, file=sys.stderr)
        raise ConfigurationError(message) from exc


def sso_router(settings: ConsoleSettings, web: Web, http: httpx.AsyncClient) -> APIRouter | None:
    """Sign-in through the agency's OpenID provider, when one is configured."""
    if settings.oidc_issuer is None or settings.oidc_client_secret is None:
        return None
    provider = OidcProvider(
        http,
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        scopes=settings.oidc_scopes,
        timeout_s=settings.oidc_timeout_s,
    )
    rules = ClaimRules(settings.oidc_roles_claim, settings.oidc_unit_claim, settings.oidc_role_map)
    return sso_pages.build_router(web, provider, rules, redirect_url=settings.oidc_redirect_url)


def bootstrap(settings: ConsoleSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(ConsoleSettings)
    # The console consumes and publishes no topic: it acts through the services' HTTP APIs.
    runtime = ServiceRuntime(
        identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TopicRegistry()
    )
    issuer = token_issuer(settings)
    calendar = load_calendar(settings.calendar_file)
    calendar.next_opening(datetime.now(UTC))  # lays out this year's hours now, not on the first inbox

    def unit_of_work() -> PostgresConsoleUnitOfWork:
        return PostgresConsoleUnitOfWork(runtime.db, IDENTITY.source)

    secret = (
        settings.session_secret.get_secret_value().encode()
        if settings.session_secret is not None
        else issuer.derived_secret("session")
    )
    web = Web(
        unit_of_work=unit_of_work,
        issuer=issuer,
        secret=secret,
        cookie_secure=settings.cookie_secure,
        session_ttl=timedelta(hours=settings.session_hours),
        time_zone=calendar.zone,
    )
    http = httpx.AsyncClient(timeout=settings.service_timeout_s)
    intake = IntakeApi(http, settings.intake_url)
    gateway = AttendanceGatewayApi(http, settings.attendance_gateway_url)
    routing = RoutingApi(http, settings.routing_url)
    complaints = ComplaintsApi(http, settings.complaints_url)
    # Which uploader serves a standard's upload report (the standards routing sends to BKN).
    uploaders = {
        "E-LAPKIN": UploaderApi(http, settings.lapkin_uploader_url, "lapkin-uploader"),
        "IP-ASN": UploaderApi(http, settings.ipasn_uploader_url, "ipasn-uploader"),
    }
    policy = LockoutPolicy(settings.lockout_threshold, timedelta(minutes=settings.lockout_minutes))
    sso = sso_router(settings, web, http)

    app = runtime.http_app(
        [
            session_pages.build_router(
                web,
                Argon2Hasher(),
                policy,
                sso=sso is not None,
                passwords=sso is None or settings.oidc_allow_local_passwords,
            ),
            *([sso] if sso is not None else []),
            public_pages.build_router(web, intake, Dashboard(routing, complaints)),
            applicant_pages.build_router(web, intake, routing),
            case_pages.build_router(web, routing, intake, uploaders, calendar),
            board_pages.build_router(web, gateway),
            complaint_pages.build_router(web, complaints, calendar),
        ],
        title="BKPSDM Konsol",
        openapi=False,  # pages for people; the services behind it publish the APIs
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_page_errors(app, web)
    app.add_middleware(SecurityHeadersMiddleware)
    # Documents pass through on their way to intake: the runtime's 5 MiB is too little.
    for middleware in app.user_middleware:
        if cast(object, middleware.cls) is CorrelationAndLimitsMiddleware:
            middleware.kwargs["max_body_bytes"] = MAX_REQUEST_BYTES

    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with started(application):
            try:
                yield
            finally:
                await http.aclose()

    app.router.lifespan_context = lifespan
    return runtime, app
