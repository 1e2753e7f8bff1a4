"""The public channels over HTTP, no sign-in: the website's complaint form (one-time token,
rate and size limits), following a complaint by ticket code and replying to it, the public list
(nothing rahasia, never an identity), and the SMS gateway's webhook (HMAC signature)."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime.
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import COMMON_ERRORS, JsonInteger, error_responses
from bkpsdm.common.logs import current_correlation_id
from bkpsdm.complaints import channels, service
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.complaint import (
    CONTENT_MAX,
    NAME_MAX,
    NOTE_MAX,
    TITLE_MAX,
    Channel,
    Classification,
    check_reporter,
)
from bkpsdm.complaints.domain.form_tokens import FormTokens
from bkpsdm.complaints.domain.sms import MAX_PARTS, SmsPart
from bkpsdm.complaints.entrypoints.http import JSON_BODY, TEXT_PATTERN
from bkpsdm.complaints.entrypoints.limits import RATE_LIMITED, ClientRateLimiter
from bkpsdm.complaints.entrypoints.views import (
    PublicComplaintView,
    ReceiptView,
    TrackingView,
    public_view,
    receipt_view,
    tracking_view,
)
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork, NewComplaint

TicketCode = Annotated[
    str, Path(min_length=1, max_length=40, description="Kode tiket, mis. PGD-7K3M-9QXZ-2B4D")
]
_TEXT_ERRORS = (errors.TEXT_EMPTY, errors.TEXT_TOO_LONG, errors.TEXT_INVALID)


class FormTokenView(BaseModel):
    form_token: str = Field(description="Sertakan pada kiriman formulir; berlaku satu kali")
    expires_at: str


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=NOTE_MAX, pattern=TEXT_PATTERN)


class SmsIn(BaseModel):
    message_id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    sender: str = Field(min_length=3, max_length=32, description="Nomor pengirim, mis. +6281234567890")
    text: str = Field(min_length=1, max_length=1600)
    reference: str | None = Field(default=None, max_length=32, pattern=r"^[\x21-\x7e]*$")
    part: JsonInteger = Field(default=1, ge=1, le=MAX_PARTS)
    total: JsonInteger = Field(default=1, ge=1, le=MAX_PARTS)


class SmsAnswer(BaseModel):
    state: str = Field(description="WAITING_FOR_PARTS, RECEIVED or REPLY_RECORDED")
    parts_received: int
    total: int
    reply: str | None = Field(description="SMS balasan untuk pengirim, bila ada")


def sms_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def build_public_router(
    unit_of_work: Callable[[], ComplaintsUnitOfWork],
    ctx: ComplaintsContext,
    limiter: ClientRateLimiter,
    tokens: FormTokens,
    sms_secret: str,
    sms_max_age_s: float,
) -> APIRouter:
    router = APIRouter(tags=["pengaduan (publik)"])
    limited = Depends(limiter.dependency())

    @router.get(
        "/api/v1/public/form-token",
        response_model=FormTokenView,
        dependencies=[limited],
        responses=error_responses(RATE_LIMITED),
    )
    async def form_token() -> FormTokenView:
        token, expires_at = tokens.issue(ctx.clock.now())
        return FormTokenView(form_token=token, expires_at=expires_at.isoformat())

    @router.post(
        "/api/v1/public/complaints",
        status_code=201,
        response_model=ReceiptView,
        dependencies=[limited],
        responses=error_responses(
            errors.FORM_TOKEN_INVALID,
            errors.FORM_TOKEN_EXPIRED,
            errors.FORM_REPLAYED,
            errors.CONTACT_INVALID,
            errors.RECEIPT_NOT_FOUND,
            errors.ATTACHMENT_EMPTY,
            errors.ATTACHMENT_TOO_LARGE,
            errors.ATTACHMENT_TYPE_NOT_ALLOWED,
            errors.TOO_MANY_ATTACHMENTS,
            *_TEXT_ERRORS,
            RATE_LIMITED,
            COMMON_ERRORS["BODY_NOT_JSON"],  # also a body that is not readable multipart
            COMMON_ERRORS["PAYLOAD_TOO_LARGE"],
            COMMON_ERRORS["UNSUPPORTED_MEDIA_TYPE"],
        ),
    )
    async def submit(
        form_token: Annotated[str, Form(min_length=1, max_length=200, description="Dari GET form-token")],
        content: Annotated[str, Form(min_length=1, max_length=CONTENT_MAX, pattern=TEXT_PATTERN)],
        # Not nullable: a multipart form has no null, only a part or none.
        attachments: Annotated[
            list[UploadFile],
            File(
                default_factory=list,
                description="PDF, PNG atau JPEG",
                # Published; counted by the domain, which answers TOO_MANY_ATTACHMENTS.
                json_schema_extra={"maxItems": ctx.attachment_limits.max_count},
            ),
        ],
        title: Annotated[str | None, Form(max_length=TITLE_MAX, pattern=TEXT_PATTERN)] = None,
        classification: Annotated[Classification, Form()] = Classification.PENGADUAN,
        anonim: Annotated[bool, Form(description="Identitas disembunyikan dari publik dan terlapor")] = False,
        rahasia: Annotated[bool, Form(description="Seluruh laporan disembunyikan dari publik")] = False,
        reporter_name: Annotated[str | None, Form(max_length=NAME_MAX, pattern=TEXT_PATTERN)] = None,
        reporter_email: Annotated[str | None, Form(max_length=254)] = None,
        reporter_phone: Annotated[str | None, Form(max_length=32)] = None,
        receipt_number: Annotated[str | None, Form(max_length=64, pattern=TEXT_PATTERN)] = None,
    ) -> ReceiptView:
        nonce = tokens.check(form_token, ctx.clock.now())
        files = []
        for upload in attachments:
            # Read at most one byte past the limit: the limit decides, not the declared size.
            files.append((upload.filename, await upload.read(ctx.attachment_limits.max_bytes + 1)))
        new = NewComplaint(
            channel=Channel.WEBSITE,
            title=title,
            content=content,
            classification=classification,
            anonim=anonim,
            rahasia=rahasia,
            reporter=check_reporter(reporter_name, reporter_email, reporter_phone),
            receipt_number=receipt_number.strip() if receipt_number else None,
            attachments=service.attachments_of(files, ctx),
        )
        received = await channels.receive_web_form(unit_of_work(), ctx, nonce, new, current_correlation_id())
        return receipt_view(received.complaint)

    @router.get(
        "/api/v1/public/complaints/{ticket_code}",
        response_model=TrackingView,
        dependencies=[limited],
        responses=error_responses(errors.TICKET_NOT_FOUND, RATE_LIMITED),
    )
    async def track(ticket_code: TicketCode) -> TrackingView:
        found, history = await service.track(unit_of_work(), ticket_code.strip().upper())
        return tracking_view(found, history)

    @router.post(
        "/api/v1/public/complaints/{ticket_code}/replies",
        status_code=201,
        response_model=TrackingView,
        dependencies=[limited],
        responses=error_responses(
            errors.TICKET_NOT_FOUND, errors.COMPLAINT_CLOSED, *_TEXT_ERRORS, RATE_LIMITED, *JSON_BODY
        ),
    )
    async def reply(ticket_code: TicketCode, body: ReplyIn) -> TrackingView:
        ticket = ticket_code.strip().upper()
        await service.reply_by_ticket(
            unit_of_work(), ctx, ticket, body.text, Channel.WEBSITE, current_correlation_id()
        )
        found, history = await service.track(unit_of_work(), ticket)
        return tracking_view(found, history)

    @router.get(
        "/api/v1/public/complaints",
        response_model=list[PublicComplaintView],
        dependencies=[limited],
        responses=error_responses(RATE_LIMITED),
    )
    async def public_list(
        limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0, le=100_000)] = 0
    ) -> list[PublicComplaintView]:
        """Complaints the public may read: none marked rahasia, no reporter, no ticket code."""
        found = await service.list_public(unit_of_work(), limit=limit, offset=offset)
        return [public_view(c, history) for c, history in found]

    async def signed(
        request: Request,
        x_sms_timestamp: Annotated[str, Header(max_length=20, description="Detik Unix saat dikirim")],
        x_sms_signature: Annotated[
            str, Header(max_length=100, description='"sha256=" + hex HMAC-SHA256 atas "<timestamp>.<body>"')
        ],
    ) -> None:
        body = await request.body()
        expected = "sha256=" + sms_signature(sms_secret, x_sms_timestamp, body)
        try:
            age = abs(time.time() - float(x_sms_timestamp))
        except ValueError:
            age = float("inf")
        # One code for every failure: a forger learns nothing about which check failed.
        if not hmac.compare_digest(expected, x_sms_signature) or age > sms_max_age_s:
            raise DomainError(errors.SMS_SIGNATURE_INVALID)

    @router.post(
        "/api/v1/channels/sms",
        response_model=SmsAnswer,
        dependencies=[Depends(signed)],
        responses=error_responses(
            errors.SMS_SIGNATURE_INVALID,
            errors.SMS_PART_INVALID,
            errors.SMS_PART_CONFLICT,
            errors.CONTACT_INVALID,
            errors.COMPLAINT_CLOSED,
            *_TEXT_ERRORS,
            *JSON_BODY,
        ),
    )
    async def sms(message: SmsIn) -> SmsAnswer:
        """The SMS gateway's webhook: one SMS, or one part of a long one (`reference`, `part` of
        `total`). Signed with the shared secret; a redelivered part gets the same answer."""
        part = SmsPart(
            message.message_id,
            message.sender,
            message.reference or "",
            message.part,
            message.total,
            message.text,
        )
        outcome = await channels.receive_sms_part(unit_of_work(), ctx, part, current_correlation_id())
        reply = None
        if outcome.state is channels.SmsState.RECEIVED:
            reply = (
                f"BKPSDM: pengaduan Anda diterima, kode tiket {outcome.ticket_code}. Balas dengan diawali"
                " kode tiket untuk menambahkan tanggapan."
            )
        elif outcome.state is channels.SmsState.REPLY_RECORDED:
            reply = f"BKPSDM: tanggapan Anda untuk tiket {outcome.ticket_code} sudah kami terima."
        return SmsAnswer(
            state=outcome.state.value, parts_received=outcome.parts_received, total=outcome.total, reply=reply
        )

    return router


def signed_sms_request(
    secret: str, payload: Mapping[str, object], timestamp: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers a gateway sends (for the demo and tests)."""
    body = json.dumps(payload).encode()
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return body, {
        "content-type": "application/json",
        "X-Sms-Timestamp": stamp,
        "X-Sms-Signature": "sha256=" + sms_signature(secret, stamp, body),
    }
