"""The HTTP surface every service shares: health, metrics, errors, correlation ids, and
`install_allow_header` (a 405 names every method of its path).

User-facing errors are JSON `{"code": STABLE_CODE, "message": "<Bahasa Indonesia>"}`
with a 4xx status. Bad input never becomes a 500. Each request binds a correlation id
(taken from `X-Correlation-ID` or made new) that is echoed back and logged.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bkpsdm.common.domain_errors import DomainError, ErrorSpec, Problem
from bkpsdm.common.errors import FailureKind, classify, describe
from bkpsdm.common.logs import correlation_scope, get_logger

log = get_logger(__name__)

CORRELATION_HTTP_HEADER = "X-Correlation-ID"
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ErrorCode:
    code: str
    message: str
    status: int = 400


# Errors every service can return; each service adds its own catalogue beside these.
COMMON_ERRORS: dict[str, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode("BODY_NOT_JSON", "Isi permintaan bukan JSON yang sah.", 400),
        ErrorCode("REQUEST_INVALID", "Data permintaan tidak sesuai format.", 422),
        ErrorCode("PAYLOAD_TOO_LARGE", "Ukuran permintaan melebihi batas yang diizinkan.", 413),
        ErrorCode("NOT_FOUND", "Data atau alamat yang diminta tidak ditemukan.", 404),
        ErrorCode("METHOD_NOT_ALLOWED", "Metode permintaan tidak didukung untuk alamat ini.", 405),
        ErrorCode("UNAUTHENTICATED", "Permintaan ini memerlukan autentikasi.", 401),
        ErrorCode("FORBIDDEN", "Anda tidak berwenang untuk permintaan ini.", 403),
        ErrorCode("CONFLICT", "Permintaan bertentangan dengan data yang ada.", 409),
        ErrorCode("UNSUPPORTED_MEDIA_TYPE", "Jenis isi permintaan tidak didukung.", 415),
        ErrorCode("TOO_MANY_REQUESTS", "Terlalu banyak permintaan, silakan coba lagi nanti.", 429),
        ErrorCode("SERVICE_UNAVAILABLE", "Layanan sedang tidak tersedia, silakan coba lagi.", 503),
        ErrorCode("INTERNAL_ERROR", "Terjadi kesalahan pada sistem. Silakan hubungi petugas.", 500),
    )
}

_BY_STATUS = {e.status: e for e in COMMON_ERRORS.values()}

# How each kind of domain problem is said over HTTP: decided here, once, for every service.
STATUS_OF_PROBLEM: dict[Problem, int] = {
    Problem.INVALID: 422,
    Problem.MALFORMED: 400,
    Problem.NOT_FOUND: 404,
    Problem.CONFLICT: 409,
    Problem.FORBIDDEN: 403,
    Problem.UNAUTHENTICATED: 401,
    Problem.TOO_LARGE: 413,
    Problem.UNSUPPORTED_TYPE: 415,
    Problem.UNAVAILABLE: 503,
}


def http_error(spec: ErrorSpec) -> ErrorCode:
    return ErrorCode(spec.code, spec.message, STATUS_OF_PROBLEM[spec.problem])


class ErrorBody(BaseModel):
    """Every error answer: a stable code, a message in Bahasa Indonesia, optional details."""

    code: str = Field(description="Kode galat yang stabil, mis. SUBMISSION_NOT_FOUND")
    message: str = Field(description="Pesan dalam Bahasa Indonesia")
    details: Any = Field(default=None, description="Rincian, mis. daftar kesalahan per baris")


def error_responses(*specs: ErrorSpec | ErrorCode, common: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: each status it can answer with the error body, the
    codes listed per status. `common` adds what any route can answer (422 invalid request,
    413, 415 where a body is read, 503 when the database or broker is down, 500)."""
    by_status: dict[int, list[str]] = {}
    codes = [http_error(s) if isinstance(s, ErrorSpec) else s for s in specs]
    if common:
        codes += [COMMON_ERRORS[c] for c in ("REQUEST_INVALID", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR")]
    for code in codes:
        by_status.setdefault(code.status, []).append(code.code)
    return {
        status: {"model": ErrorBody, "description": "Kode: " + ", ".join(sorted(set(names)))}
        for status, names in sorted(by_status.items())
    }


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL and control characters have no place in a name or a title;
    # newlines and tabs are allowed for notes.
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in value):
        raise ValueError("contains control characters")
    return value


# Published with each PlainText field, so the schema says what the validator checks.
PRINTABLE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

# Text a person typed: use it for every free-text field of a request model.
PlainText = Annotated[
    str, AfterValidator(_printable), Field(json_schema_extra={"pattern": PRINTABLE_PATTERN})
]


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 4370.0 as an integer (a number with no fraction); JSON has no other
    # integer type. Strings and booleans stay refused by the strict check after this.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer as JSON Schema means it: 4370 or 4370.0, never "4370" or true.
JsonInteger = Annotated[int, BeforeValidator(_whole_number), Field(strict=True)]


class ApiError(Exception):
    """Raised by routes and use cases; mapped to a JSON error in one place."""

    def __init__(self, error: ErrorCode, details: Any = None) -> None:
        super().__init__(error.code)
        self.error = error
        self.details = details


def error_response(
    error: ErrorCode, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=error.status, headers=dict(headers or {}))


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
            "problem": e.get("type"),
        }
        for e in exc.errors()
    ]


def unexpected_error_response(exc: Exception) -> JSONResponse:
    """503 with Retry-After when our own infrastructure is down; 500 for anything else."""
    if classify(exc) is FailureKind.UNAVAILABLE or isinstance(exc, TimeoutError):
        log.warning("http.dependency_unavailable", error_type=type(exc).__name__, error=describe(exc))
        return error_response(COMMON_ERRORS["SERVICE_UNAVAILABLE"], headers={"Retry-After": "5"})
    # The stack without the exception's message: messages can quote input (a NIP).
    log.error(
        "http.unhandled_error",
        error_type=type(exc).__name__,
        error=describe(exc),
        stack="".join(traceback.format_tb(exc.__traceback__)),
    )
    return error_response(COMMON_ERRORS["INTERNAL_ERROR"])


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.error, exc.details, headers=getattr(exc, "headers", None))

    async def on_domain_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return error_response(http_error(exc.error), exc.details)

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(COMMON_ERRORS["BODY_NOT_JSON"])
        return error_response(COMMON_ERRORS["REQUEST_INVALID"], _validation_details(exc))

    async def on_http(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        error = _BY_STATUS.get(exc.status_code) or ErrorCode(
            "HTTP_ERROR", "Permintaan tidak dapat diproses.", exc.status_code
        )
        return error_response(error, headers=exc.headers)

    async def on_bad_value(_: Request, exc: Exception) -> Response:
        # PostgreSQL refused a value pydantic let through (a NUL character, an out-of-range
        # number): the input was wrong, not the service.
        log.warning("http.value_refused_by_database", error=describe(exc))
        return error_response(COMMON_ERRORS["REQUEST_INVALID"])

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(asyncpg.DataError, on_bad_value)
    # Anything else is answered inside CorrelationAndLimitsMiddleware, where the request's
    # correlation id is still bound: 503 when our database or broker is down, else 500.


class HttpMetrics:
    """Requests, statuses and latency per route template (never the raw path: ids stay out)."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.requests = Counter(
            "bkpsdm_http_requests_total",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "bkpsdm_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class CorrelationAndLimitsMiddleware:
    """Binds the correlation id for the request, refuses bodies over the size limit, and
    counts and times every request."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, metrics: HttpMetrics | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get(CORRELATION_HTTP_HEADER.lower(), "")
        # It is copied into the database, Kafka headers and every log line: only a sane one.
        with correlation_scope(given if _CORRELATION_ID.fullmatch(given) else None) as cid:
            started = time.perf_counter()
            status = 0

            async def send_observed(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self._limited(scope, receive, send_observed, headers.get("content-length", ""), cid)
            finally:
                # The route's template, not the raw path: ids (a NIP one day) stay out of logs.
                route = getattr(scope.get("route"), "path", None) or "(unmatched)"
                elapsed = time.perf_counter() - started
                quiet = route.startswith(("/health", "/metrics"))
                (log.debug if quiet else log.info)(
                    "http.request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
                if self.metrics is not None:
                    self.metrics.observe(scope["method"], route, status or 500, elapsed)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, declared: str, cid: str) -> None:
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await error_response(COMMON_ERRORS["PAYLOAD_TOO_LARGE"], headers={CORRELATION_HTTP_HEADER: cid})(
                scope, receive, send
            )
            return
        received = 0
        too_large = False
        response_started = False

        async def limited_receive() -> Message:
            # Past the limit the app is told the client left; its answer is replaced by 413.
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def send_with_cid(message: Message) -> None:
            nonlocal response_started
            if too_large and not response_started:
                return
            if message["type"] == "http.response.start":
                response_started = True
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_cid)
        except Exception as exc:
            if not too_large:
                if response_started:
                    raise  # too late for an error body; the server closes the connection
                await unexpected_error_response(exc)(scope, receive, send_with_cid)
                return
        if too_large and not response_started:
            too_large = False  # let our own answer through
            await error_response(COMMON_ERRORS["PAYLOAD_TOO_LARGE"])(scope, receive, send_with_cid)


ReadinessCheck = Callable[[], Awaitable[bool]]


@dataclass
class HealthChecks:
    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    # Shown with readiness but never deciding it (e.g. consumer lag per group and partition).
    details: dict[str, Callable[[], Any]] = field(default_factory=dict)

    async def run(self) -> dict[str, bool]:
        results: dict[str, bool] = {}
        for name, check in self.checks.items():
            try:
                results[name] = bool(await check())
            except Exception as exc:
                log.warning("health.check_failed", check=name, error=repr(exc))
                results[name] = False
        return results


def install_health_and_metrics(app: FastAPI, health: HealthChecks, registry: CollectorRegistry) -> None:
    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> Response:
        results = await health.run()
        ok = all(results.values())
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": results}
        for name, detail in health.details.items():
            body[name] = detail()
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        # The service's broker metrics, then the process-wide ones (outbox, dead letters, GC).
        body = generate_latest(registry) + generate_latest(REGISTRY)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class AllowAllMethods:
    """`Allow` on a 405 lists every method the path supports (RFC 9110 requires the header).

    Starlette answers a method mismatch from the first route whose path matches, so a path
    served by two routes (GET and POST /items) would announce only one of them. Each method
    is asked of the routes themselves (`BaseRoute.matches`), so routers included in routers
    answer too, however FastAPI nests them."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def allowed(self, scope: Scope) -> list[str]:
        return [
            method
            for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in self.routes)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            starting = message["type"] == "http.response.start"
            if starting and message["status"] == 405 and (methods := self.allowed(scope)):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                headers.append((b"allow", ", ".join(methods).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_allow)


def install_allow_header(app: FastAPI) -> None:
    """Every 405 of `app` names all the methods of its path, routes added later included
    (the app's own route list is read at each request)."""
    app.add_middleware(AllowAllMethods, routes=app.router.routes)
