"""Officials' HTTP API: the complaints officer records complaints from the desk, the letter box
and the phone, and moves complaints through their lifecycle; the Sekretaris Badan disposes them
to a unit; unit officials (Kepala Bidang, Unit Pengolah of that unit) post follow-ups."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime.
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Literal, get_args
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from bkpsdm.common.auth import (
    AUTH_UNAVAILABLE,
    FORBIDDEN_ROLE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    Principal,
    Role,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import COMMON_ERRORS, ErrorCode, error_responses
from bkpsdm.common.logs import current_correlation_id
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.complaints import service
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.attachments import MEDIA_TYPES
from bkpsdm.complaints.domain.complaint import (
    CONTENT_MAX,
    LIFECYCLE,
    NAME_MAX,
    NOTE_MAX,
    REFERENCE_MAX,
    TITLE_MAX,
    UNIT_PATTERN,
    Action,
    Channel,
    Classification,
    Status,
    check_reference,
    check_reporter,
)
from bkpsdm.complaints.entrypoints.views import ComplaintSummary, ComplaintView, complaint_view, summary
from bkpsdm.complaints.lapor_sync import LaporSync
from bkpsdm.complaints.service import Actor, ComplaintsContext, ComplaintsUnitOfWork, NewComplaint

SIGNED_IN: tuple[ErrorCode, ...] = (
    TOKEN_MISSING,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    FORBIDDEN_ROLE,
    AUTH_UNAVAILABLE,
)
# What any route with a JSON body may answer besides its own codes.
JSON_BODY: tuple[ErrorCode, ...] = (COMMON_ERRORS["BODY_NOT_JSON"], COMMON_ERRORS["PAYLOAD_TOO_LARGE"])
READERS = (Role.PENGELOLA_PENGADUAN, Role.SEKRETARIS, Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH)
# Text a person typed: not only spaces, no control characters but tab and line breaks.
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
TEXT_PATTERN = rf"^{_ALLOWED}*[^\s\x00-\x1f\x7f]{_ALLOWED}*$"
OfficerChannel = Literal["TATAP_MUKA", "KOTAK_SARAN", "SURAT", "TELEPON", "FAKSIMILE"]
ComplaintId = Annotated[str, Path(description="Id pengaduan", max_length=64)]
KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class ReporterIn(BaseModel):
    name: str | None = Field(default=None, max_length=NAME_MAX, pattern=TEXT_PATTERN)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)


class OfficerEntry(BaseModel):
    channel: OfficerChannel
    reference: str | None = Field(
        default=None,
        max_length=REFERENCE_MAX,
        pattern=TEXT_PATTERN,
        description="Nomor surat, slip kotak saran, faksimile atau catatan telepon (wajib untuk kertas)",
    )
    title: str | None = Field(default=None, max_length=TITLE_MAX, pattern=TEXT_PATTERN)
    content: str = Field(min_length=1, max_length=CONTENT_MAX, pattern=TEXT_PATTERN)
    classification: Classification = Classification.PENGADUAN
    anonim: bool = Field(default=False, strict=True)  # JSON true/false, not 0/1
    rahasia: bool = Field(default=False, strict=True)
    reporter: ReporterIn | None = None
    receipt_number: str | None = Field(default=None, min_length=1, max_length=64, pattern=TEXT_PATTERN)


OfficialAction = Literal[
    "VERIFY", "POSTPONE", "NOT_AUTHORITY", "ARCHIVE", "ASSIGN", "FOLLOW_UP", "ANSWER", "CLOSE"
]


def _what_each_action_needs() -> JsonDict:
    """The schema says which action needs a note (with more than spaces) or a unit, as the
    lifecycle does, so a client (or a fuzzer) knows before asking; the service still checks
    and answers NOTE_REQUIRED / UNIT_REQUIRED."""
    rules: list[JsonDict] = []
    for action in get_args(OfficialAction):
        step = LIFECYCLE[Action(action)]
        needed: JsonDict = {}
        if step.note_required:
            needed = {"required": ["note"], "properties": {"note": {"type": "string", "pattern": r"\S"}}}
        if step.unit_required:
            needed = {"required": ["unit"], "properties": {"unit": {"type": "string"}}}
        if needed:
            rules.append(
                {"if": {"properties": {"action": {"const": action}}, "required": ["action"]}, "then": needed}
            )
    return {"allOf": list(rules)}


class ActionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=_what_each_action_needs())

    action: OfficialAction
    note: str | None = Field(
        default=None,
        max_length=NOTE_MAX,
        pattern=TEXT_PATTERN,
        description="Alasan (tunda, bukan wewenang, arsip), tindak lanjut unit, atau jawaban kepada pelapor",
    )
    unit: str | None = Field(default=None, pattern=UNIT_PATTERN, description="Unit kerja tujuan disposisi")
    classification: Classification | None = Field(default=None, description="Klasifikasi saat verifikasi")
    client_key: str | None = Field(
        default=None, pattern=KEY_PATTERN, description="Kunci klien: klik ganda = satu tindakan"
    )


class SyncView(BaseModel):
    enabled: bool
    pulled: int
    pushed: int
    pending_pushes: int
    error: str | None


class ClockIn(BaseModel):
    working_days: float = Field(default=0, ge=0, le=60, strict=True)  # a number, not true/false
    hours: float = Field(default=0, ge=0, le=24 * 60, strict=True)


class ClockView(BaseModel):
    now: str
    fired: int


def _actor(principal: Principal) -> Actor:
    return Actor(principal.roles, principal.subject, principal.unit)


_ACTION_ERRORS = (
    errors.COMPLAINT_NOT_FOUND,
    errors.ACTION_FORBIDDEN,
    errors.ACTION_NOT_ALLOWED,
    errors.NOTE_REQUIRED,
    errors.UNIT_REQUIRED,
    errors.TEXT_EMPTY,
    errors.TEXT_TOO_LONG,
    errors.TEXT_INVALID,
    errors.CLIENT_KEY_REUSED,
    errors.CLIENT_KEY_MISMATCH,
)


def _client_key(header: str | None, body: str | None) -> str | None:
    if header is not None and body is not None and header != body:
        raise DomainError(errors.CLIENT_KEY_MISMATCH)
    return header or body


def build_router(
    runtime: ServiceRuntime,
    unit_of_work: Callable[[], ComplaintsUnitOfWork],
    ctx: ComplaintsContext,
    lapor: LaporSync | None,
) -> APIRouter:
    router = APIRouter(tags=["pengaduan (petugas)"])
    officer = runtime.require(Role.PENGELOLA_PENGADUAN)
    reader = runtime.require(*READERS)

    @router.post(
        "/api/v1/complaints",
        status_code=201,
        response_model=ComplaintView,
        responses=error_responses(
            errors.REFERENCE_REQUIRED,
            errors.CHANNEL_NOT_FOR_OFFICER,
            errors.CONTACT_INVALID,
            errors.RECEIPT_NOT_FOUND,
            errors.TEXT_EMPTY,
            errors.TEXT_TOO_LONG,
            errors.TEXT_INVALID,
            *SIGNED_IN,
            *JSON_BODY,
        ),
    )
    async def record(entry: OfficerEntry, principal: Annotated[Principal, Depends(officer)]) -> ComplaintView:
        channel = Channel(entry.channel)
        given = entry.reporter or ReporterIn()
        new = NewComplaint(
            channel=channel,
            title=entry.title,
            content=entry.content,
            classification=entry.classification,
            anonim=entry.anonim,
            rahasia=entry.rahasia,
            reporter=check_reporter(given.name, given.email, given.phone),
            receipt_number=entry.receipt_number.strip() if entry.receipt_number else None,
            reference=check_reference(channel, entry.reference),
        )
        received = await service.receive_complaint(unit_of_work(), ctx, new, current_correlation_id())
        found, history = await service.get_complaint(
            unit_of_work(), received.complaint.complaint_id, _actor(principal)
        )
        return complaint_view(found, history, principal.roles, principal.unit)

    @router.get(
        "/api/v1/complaints",
        response_model=list[ComplaintSummary],
        responses=error_responses(*SIGNED_IN),
    )
    async def search(
        principal: Annotated[Principal, Depends(reader)],
        status: Annotated[Status | None, Query()] = None,
        channel: Annotated[Channel | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[ComplaintSummary]:
        found = await service.list_complaints(
            unit_of_work(), _actor(principal), status=status, channel=channel, limit=limit, offset=offset
        )
        return [summary(c) for c in found]

    @router.get(
        "/api/v1/complaints/{complaint_id}",
        response_model=ComplaintView,
        responses=error_responses(errors.COMPLAINT_NOT_FOUND, *SIGNED_IN),
    )
    async def read(
        complaint_id: ComplaintId, principal: Annotated[Principal, Depends(reader)]
    ) -> ComplaintView:
        found, history = await service.get_complaint(unit_of_work(), complaint_id, _actor(principal))
        return complaint_view(found, history, principal.roles, principal.unit)

    @router.post(
        "/api/v1/complaints/{complaint_id}/actions",
        response_model=ComplaintView,
        responses=error_responses(*_ACTION_ERRORS, *SIGNED_IN, *JSON_BODY),
    )
    async def act(
        complaint_id: ComplaintId,
        body: ActionIn,
        principal: Annotated[Principal, Depends(reader)],
        response: Response,
        idempotency_key: Annotated[
            str | None, Header(pattern=KEY_PATTERN, description="Kunci klien (atau client_key pada isi)")
        ] = None,
    ) -> ComplaintView:
        """A retry with the same key and request answers with the complaint as it now stands and
        the header `Idempotent-Replayed: true`; nothing is done twice."""
        actor = _actor(principal)
        acted = await service.act(
            unit_of_work(),
            ctx,
            complaint_id,
            service.ActionRequest(Action(body.action), body.note, body.unit, body.classification),
            actor,
            current_correlation_id(),
            _client_key(idempotency_key, body.client_key),
        )
        if acted.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        found, history = await service.get_complaint(unit_of_work(), complaint_id, actor)
        return complaint_view(found, history, principal.roles, principal.unit)

    @router.get(
        "/api/v1/complaints/{complaint_id}/attachments/{attachment_id}",
        response_class=Response,
        responses={
            200: {
                "description": "Lampiran seperti diterima",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES.values()
                },
            },
            **error_responses(errors.COMPLAINT_NOT_FOUND, errors.ATTACHMENT_NOT_FOUND, *SIGNED_IN),
        },
    )
    async def attachment(
        complaint_id: ComplaintId,
        attachment_id: Annotated[str, Path(max_length=64)],
        principal: Annotated[Principal, Depends(reader)],
    ) -> Response:
        ref, content = await service.get_attachment(
            unit_of_work(), complaint_id, attachment_id, _actor(principal)
        )
        return Response(
            content,
            media_type=ref.media_type,
            headers={
                # Always a download, never shown inline: the content is the reporter's.
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(ref.filename, safe='')}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.post("/api/v1/lapor/sync", response_model=SyncView, responses=error_responses(*SIGNED_IN))
    async def sync(_: Annotated[Principal, Depends(officer)]) -> SyncView:
        """Run one SP4N-LAPOR! sync pass now (it also runs on its own every few seconds)."""
        if lapor is None:
            return SyncView(enabled=False, pulled=0, pushed=0, pending_pushes=0, error=None)
        report = await lapor.sync_once()
        return SyncView(enabled=True, **vars(report))

    return router


def build_clock_router(
    runtime: ServiceRuntime, ctx: ComplaintsContext, fire_due: Callable[[], Awaitable[int]]
) -> APIRouter:
    """Demo and test aid (setting CLOCK_CONTROL_ENABLED): move this service's clock forward and
    fire what became due. Never enabled in production."""
    router = APIRouter(tags=["jam layanan (demo)"])
    internal = runtime.require(Role.INTERNAL_SERVICE, Role.PENGELOLA_PENGADUAN)

    @router.post(
        "/internal/v1/clock/advance",
        response_model=ClockView,
        responses=error_responses(*SIGNED_IN, *JSON_BODY),
    )
    async def advance(body: ClockIn, _: Annotated[Principal, Depends(internal)]) -> ClockView:
        now = ctx.clock.now()
        service_time = ctx.calendar.working_days(body.working_days) + timedelta(hours=body.hours)
        target = ctx.calendar.due_after(now, service_time) if service_time else now
        ctx.clock.advance(max(target - now, timedelta(0)))
        return ClockView(now=ctx.clock.now().isoformat(), fired=await fire_due())

    return router
