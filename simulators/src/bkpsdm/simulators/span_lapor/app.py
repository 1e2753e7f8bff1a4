"""FastAPI app shaped like an SP4N-LAPOR! integration API, plus `/sim/*` to drive it in tests.

| call | what |
| --- | --- |
| `POST /oauth/token` | form `grant_type=client_credentials`, `client_id`, `client_secret` -> bearer token |
| `GET /api/v1/reports?after=SEQ&limit=N` | the caller agency's reports with seq > SEQ, oldest first |
| `GET /api/v1/reports/{id}` | one report with its follow-ups |
| `POST /api/v1/reports/{id}/followups` | `Idempotency-Key` header, `{"status", "text"}`: 201 new, 200 replay |
| `POST /api/v1/public/reports` | a citizen files a report (`agency`, `title`, `content`, ...) |
| `GET /health` | always answers, also during an outage |
| `POST /sim/outage` | `{"mode": "up" | "unavailable" | "slow" | "lose_responses", "delay_s", "count",
  "pass_first"}`: the outage starts after `pass_first` more API requests |
| `GET /sim/reports/{id}` | a report with its follow-ups, without a token (for tests) |
| `GET /sim/state`, `POST /sim/reset`, `POST /sim/reports/bulk` | counters; empty everything; N reports at once |
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from bkpsdm.simulators._http import (
    BODY_UNREADABLE,
    Detail,
    JsonInt,
    ValidationErrors,
    form_body,
    install_allow_header,
    response,
)
from bkpsdm.simulators.span_lapor.store import CATEGORIES, FOLLOW_UP_STATUSES, Store

DEFAULT_CLIENTS = {"bkpsdm-singkawang": "bkpsdm-lokal-lapor"}
DEFAULT_AGENCIES = {"bkpsdm-singkawang": "BKPSDM-SKW"}


class SimConfig(BaseModel):
    clients: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CLIENTS))  # id -> secret
    agencies: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_AGENCIES))  # client id -> agency
    token_ttl_s: float = Field(default=300.0, gt=0)


class _Strict(BaseModel):
    # JSON as sent: 0 is not false and "5" is not 5, so the schema's types are the ones enforced
    model_config = ConfigDict(strict=True)


class Outage(_Strict):
    mode: Literal["up", "unavailable", "slow", "lose_responses"] = "up"
    delay_s: float = Field(default=10.0, ge=0, le=120)
    count: JsonInt | None = Field(default=None, ge=0)  # lose_responses: how many answers to lose
    # Let this many API requests through before the outage begins (an outage in mid-sync).
    pass_first: JsonInt = Field(default=0, ge=0)


class ReporterIn(_Strict):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class ReportIn(_Strict):
    agency: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=300)
    content: str = Field(min_length=1, max_length=10_000)
    category: Literal["PENGADUAN", "ASPIRASI", "PERMINTAAN_INFORMASI"] = "PENGADUAN"
    anonim: bool = False
    rahasia: bool = False
    reporter: ReporterIn | None = None


class FollowUpIn(_Strict):
    # checked by the route, to answer its own STATUS_INVALID; the schema still names the choices
    status: str = Field(json_schema_extra={"enum": list(FOLLOW_UP_STATUSES)})
    text: str = Field(min_length=1, max_length=10_000)


class Bulk(_Strict):
    agency: str = "BKPSDM-SKW"
    count: JsonInt = Field(ge=1, le=100_000)


class ErrorOut(BaseModel):
    success: Literal[False]
    code: str
    message: str


class OAuthErrorOut(BaseModel):
    error: Literal["unsupported_grant_type", "invalid_client"]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class ReporterOut(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class FollowUpOut(BaseModel):
    followup_id: str
    status: str
    text: str
    created_at: str


class ReportOut(BaseModel):
    report_id: str
    seq: int
    agency: str
    title: str
    content: str
    category: str
    anonim: bool
    rahasia: bool
    reporter: ReporterOut | None
    created_at: str
    status: str
    followups: list[FollowUpOut]


class ReportsPage(BaseModel):
    reports: list[ReportOut]
    last_seq: int
    has_more: bool


class StoredFollowUpOut(FollowUpOut):
    report_id: str


class FiledOut(BaseModel):
    report_id: str
    seq: int


class StateOut(BaseModel):
    outage: Outage
    reports: int
    followups: int
    stats: dict[str, int]


class BulkOut(BaseModel):
    created: int
    last_seq: int


_TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type", "client_id", "client_secret"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": {"type": "string", "minLength": 1},
        "client_secret": {"type": "string"},
    },
}
_UNAUTHORIZED = response(ErrorOut, "Token tidak ada, tidak sah atau kedaluwarsa (UNAUTHORIZED)")
_NOT_FOUND = response(ErrorOut, "Laporan tidak ada atau bukan untuk instansi pemanggil (NOT_FOUND)")
# The integration API (not /health, /sim/*, the citizens' filing) answers 503 during an outage.
_OUTAGE = response(ErrorOut, "Gangguan yang dinyalakan lewat /sim/outage (SERVICE_UNAVAILABLE)")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "code": code, "message": message}, status_code=status)


@dataclass
class Control:
    outage: Outage


class _Faults:
    """Outages of the integration API (tokens, reports, follow-ups); /sim/*, /health and the
    citizens' filing stay up, so reports can pile up while the agency cannot reach them."""

    def __init__(self, app: ASGIApp, store: Store, control: Control) -> None:
        self.app = app
        self.store = store
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(("/sim/", "/api/v1/public/")) or path == "/health":
            await self.app(scope, receive, send)
            return
        self.store.stats.requests += 1
        outage = self.control.outage
        if outage.pass_first > 0:
            outage.pass_first -= 1
            await self.app(scope, receive, send)
            return
        if outage.mode == "unavailable":
            self.store.stats.refused_in_outage += 1
            await _error(503, "SERVICE_UNAVAILABLE", "SP4N-LAPOR! sedang tidak tersedia")(
                scope, receive, send
            )
            return
        if outage.mode == "slow":
            await asyncio.sleep(outage.delay_s)
        if outage.mode == "lose_responses" and scope["method"] == "POST" and path.endswith("/followups"):
            # The follow-up is stored, then its answer never reaches the caller.
            async def swallow(message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
            self.store.stats.responses_lost += 1
            if outage.count is not None:
                outage.count -= 1
                if outage.count <= 0:
                    self.control.outage = Outage()
            await _error(502, "BAD_GATEWAY", "Gateway tidak menerima jawaban")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(config: SimConfig | None = None) -> FastAPI:
    config = config or SimConfig()
    store = Store(config.token_ttl_s)
    app = FastAPI(title="SP4N-LAPOR! simulator")
    control = Control(Outage())
    app.add_middleware(_Faults, store=store, control=control)
    install_allow_header(app)

    def agency_of(authorization: str | None) -> str | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        client = store.client_of(authorization[7:].strip())
        return None if client is None else config.agencies.get(client)

    unauthorized = _error(401, "UNAUTHORIZED", "Token tidak ada, tidak sah atau kedaluwarsa")

    @app.get("/health", responses={200: response(None, "Selalu menjawab, juga saat gangguan")})
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/oauth/token",
        responses={
            200: response(TokenOut, "Token pembawa untuk API integrasi"),
            400: response(OAuthErrorOut, "grant_type bukan client_credentials"),
            401: response(OAuthErrorOut, "client_id atau client_secret salah"),
            503: _OUTAGE,
        },
        openapi_extra=form_body(_TOKEN_FORM),
    )
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not client_id or config.clients.get(client_id) != secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        access, ttl = store.issue_token(client_id)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": int(ttl)})

    @app.get(
        "/api/v1/reports",
        responses={200: response(ReportsPage, "Laporan sesudah kursor"), 401: _UNAUTHORIZED, 503: _OUTAGE},
    )
    async def reports(
        after: int = 0, limit: int = 100, authorization: str | None = Header(default=None)
    ) -> JSONResponse:
        agency = agency_of(authorization)
        if agency is None:
            return unauthorized
        found, more = store.reports_after(agency, after, max(1, min(limit, 1000)))
        last = found[-1].seq if found else after
        return JSONResponse({"reports": [r.as_dict() for r in found], "last_seq": last, "has_more": more})

    @app.get(
        "/api/v1/reports/{report_id}",
        responses={
            200: response(ReportOut, "Laporan dengan tindak lanjutnya"),
            401: _UNAUTHORIZED,
            404: _NOT_FOUND,
            503: _OUTAGE,
        },
    )
    async def report(report_id: str, authorization: str | None = Header(default=None)) -> JSONResponse:
        agency = agency_of(authorization)
        if agency is None:
            return unauthorized
        found = store.reports.get(report_id)
        if found is None or found.agency != agency:
            return _error(404, "NOT_FOUND", "Laporan tidak ditemukan")
        return JSONResponse(found.as_dict())

    @app.post(
        "/api/v1/reports/{report_id}/followups",
        responses={
            200: response(
                StoredFollowUpOut, "Ulangan dengan Idempotency-Key yang sama: tindak lanjut yang ada"
            ),
            201: response(StoredFollowUpOut, "Tindak lanjut baru tersimpan"),
            400: response(ErrorOut | Detail, "Isi tidak terbaca, atau header Idempotency-Key tidak ada"),
            401: _UNAUTHORIZED,
            404: _NOT_FOUND,
            409: response(ErrorOut, "Idempotency-Key sudah dipakai untuk tindak lanjut lain"),
            422: response(ErrorOut | ValidationErrors, "Isi tidak sesuai skema, atau status tidak dikenal"),
            502: response(ErrorOut, "Gangguan lose_responses: tersimpan, jawabannya hilang (BAD_GATEWAY)"),
            503: _OUTAGE,
        },
        # read from the request, not declared as a FastAPI header, so a missing key stays a 400
        # IDEMPOTENCY_KEY_REQUIRED rather than FastAPI's 422
        openapi_extra={
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
            ]
        },
    )
    async def followup(
        report_id: str,
        body: FollowUpIn,
        request: Request,
        authorization: str | None = Header(default=None),
    ) -> JSONResponse:
        agency = agency_of(authorization)
        if agency is None:
            return unauthorized
        idempotency_key = request.headers.get("idempotency-key")
        if not idempotency_key:
            return _error(400, "IDEMPOTENCY_KEY_REQUIRED", "Header Idempotency-Key wajib diisi")
        if body.status not in FOLLOW_UP_STATUSES:
            return _error(
                422, "STATUS_INVALID", f"Status harus salah satu dari {', '.join(FOLLOW_UP_STATUSES)}"
            )
        found = store.reports.get(report_id)
        if found is None or found.agency != agency:
            return _error(404, "NOT_FOUND", "Laporan tidak ditemukan")
        stored = store.add_followup(found, idempotency_key, body.status, body.text)
        if stored is None:
            return _error(
                409, "IDEMPOTENCY_CONFLICT", "Idempotency-Key sudah dipakai untuk tindak lanjut lain"
            )
        item, created = stored
        return JSONResponse({"report_id": report_id, **item.as_dict()}, status_code=201 if created else 200)

    @app.post(
        "/api/v1/public/reports",
        status_code=201,
        responses={201: response(FiledOut, "Laporan diterima"), **BODY_UNREADABLE},
    )
    async def file_report(body: ReportIn) -> dict[str, Any]:
        stored = store.add_report(
            body.agency,
            {**body.model_dump(), "reporter": body.reporter.model_dump() if body.reporter else None},
        )
        return {"report_id": stored.report_id, "seq": stored.seq}

    # Not in the OpenAPI schema: its one purpose is to make the API above fail or stall, so a
    # fuzzer that calls it would be testing the outages it switched on (see README).
    @app.post("/sim/outage", include_in_schema=False)
    async def outage(body: Outage) -> dict[str, Any]:
        control.outage = body
        return body.model_dump()

    @app.get("/sim/state", responses={200: response(StateOut, "Gangguan yang berlaku dan penghitung")})
    async def state() -> dict[str, Any]:
        return {
            "outage": control.outage.model_dump(),
            "reports": len(store.by_seq),
            "followups": sum(len(r.followups) for r in store.by_seq),
            "stats": vars(store.stats),
        }

    @app.get(
        "/sim/reports/{report_id}",
        responses={200: response(ReportOut, "Laporan dengan tindak lanjutnya"), 404: _NOT_FOUND},
    )
    async def sim_report(report_id: str) -> JSONResponse:
        """A report as SP4N-LAPOR! holds it (with its follow-ups), without a token: for tests."""
        found = store.reports.get(report_id)
        if found is None:
            return _error(404, "NOT_FOUND", "Laporan tidak ditemukan")
        return JSONResponse(found.as_dict())

    @app.post("/sim/reset")
    async def reset() -> dict[str, str]:
        store.reset()
        control.outage = Outage()
        return {"status": "reset"}

    @app.post(
        "/sim/reports/bulk",
        responses={200: response(BulkOut, "Banyak laporan dibuat sekaligus"), **BODY_UNREADABLE},
    )
    async def bulk(body: Bulk) -> dict[str, int]:
        last = 0
        for i in range(body.count):
            last = store.add_report(
                body.agency,
                {
                    "title": f"Laporan uji {i + 1}",
                    "content": f"Isi laporan uji nomor {i + 1}.",
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "anonim": i % 5 == 0,
                    "rahasia": i % 7 == 0,
                    "reporter": {"name": f"Pelapor {i + 1}", "email": None, "phone": None},
                },
            ).seq
        return {"created": body.count, "last_seq": last}

    app.state.store = store
    app.state.control = control
    return app
