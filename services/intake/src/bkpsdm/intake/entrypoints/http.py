"""Intake's HTTP API: the public catalogue, applicants' submissions and status, downloads for
those who may see a submission, and the recap for other services."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime,
# and their dependencies are local values.
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bkpsdm.common.auth import (
    AUTH_UNAVAILABLE,
    FORBIDDEN_ROLE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    Principal,
    Role,
    unit_scope,
)
from bkpsdm.common.auth.fastapi import signed_in
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import COMMON_ERRORS, ErrorCode, error_responses
from bkpsdm.common.logs import current_correlation_id, new_correlation_id
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake import service
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.catalogue import RequirementKind, ServiceStandard
from bkpsdm.intake.domain.documents import MEDIA_TYPES
from bkpsdm.intake.domain.listing import (
    CURSOR_PATTERN,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ListedSubmission,
    SubmissionFilter,
    decode_cursor,
)
from bkpsdm.intake.domain.submission import (
    PERIOD,
    Submission,
    SubmissionStatus,
    TimelineEntry,
    expected_request_fields,
)
from bkpsdm.intake.entrypoints.catalogue_page import render_standard
from bkpsdm.intake.entrypoints.forms import read_submission_form
from bkpsdm.intake.service import Applicant, DocumentStore, IntakeRules, IntakeUnitOfWork

# Everyone who works a case sees every unit's submissions; an applicant unit sees its own.
OFFICIALS = tuple(r for r in Role if r not in (Role.PERANGKAT_DAERAH, Role.INTERNAL_SERVICE))
SIGNED_IN: tuple[ErrorCode, ...] = (
    TOKEN_MISSING,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    FORBIDDEN_ROLE,
    AUTH_UNAVAILABLE,
)
_UPLOAD = (COMMON_ERRORS["PAYLOAD_TOO_LARGE"], COMMON_ERRORS["UNSUPPORTED_MEDIA_TYPE"])


# Text a person typed: not only spaces, no control characters but tab and line breaks.
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
TEXT_PATTERN = rf"^{_ALLOWED}*[^\s\x00-\x1f\x7f]{_ALLOWED}*$"


class DocumentView(BaseModel):
    document_id: str
    requirement_id: str = Field(description="Persyaratan yang dipenuhi berkas ini")
    filename: str
    media_type: str = Field(description="Jenis berkas menurut isinya")
    size: int
    sha256: str
    download_url: str


class RecapView(BaseModel):
    document_id: str
    sha256: str
    rows: int
    format: str
    rules_version: str


class TimelineView(BaseModel):
    at: datetime
    step: str
    label: str
    holder_role: str | None
    due_at: datetime | None
    reasons: list[str]


class SubmissionView(BaseModel):
    submission_id: str
    receipt_number: str | None = Field(description="Nomor tanda terima")
    service_code: str
    perangkat_daerah: str
    title: str
    period: str | None
    request: dict[str, str] = Field(description="Isian khusus layanan, mis. mesin, kerusakan, kontak")
    status: str = Field(description="DITERIMA, TERCATAT, DIPROSES, DIKEMBALIKAN atau SELESAI")
    received_at: datetime
    due_at: datetime | None = Field(description="Batas waktu layanan menurut jam pelayanan")
    case_id: str | None
    acknowledged_at: datetime | None
    current_step: str | None
    holder_role: str | None = Field(description="Peran yang sedang memegang berkas")
    step_due_at: datetime | None
    return_reasons: list[str] = Field(description="Alasan pengembalian, bila dikembalikan")
    replaces: str | None = Field(description="Pengajuan yang diganti oleh pengajuan ini")
    replaced_by: str | None = Field(description="Pengajuan pengganti, bila ada")
    documents: list[DocumentView]
    recap: RecapView | None
    timeline: list[TimelineView]

    @classmethod
    def of(cls, s: Submission, timeline: list[TimelineEntry]) -> "SubmissionView":
        return cls(
            submission_id=s.submission_id,
            receipt_number=s.receipt_number,
            service_code=s.service_code,
            perangkat_daerah=s.perangkat_daerah,
            title=s.title,
            period=s.period,
            request=dict(s.request),
            status=s.status.value,
            received_at=s.received_at,
            due_at=s.due_at,
            case_id=s.case_id,
            acknowledged_at=s.acknowledged_at,
            current_step=s.current_step,
            holder_role=s.holder_role,
            step_due_at=s.step_due_at,
            return_reasons=list(s.return_reasons),
            replaces=s.replaces,
            replaced_by=s.replaced_by,
            documents=[
                DocumentView(
                    document_id=d.document_id,
                    requirement_id=d.requirement_id,
                    filename=d.filename,
                    media_type=d.media_type,
                    size=d.size,
                    sha256=d.sha256,
                    download_url=f"/api/v1/submissions/{s.submission_id}/documents/{d.document_id}",
                )
                for d in s.documents
            ],
            recap=None
            if s.recap is None
            else RecapView(
                document_id=s.recap.document_id,
                sha256=s.recap.sha256,
                rows=s.recap.rows,
                format=s.recap.format,
                rules_version=s.recap.rules_version,
            ),
            timeline=[
                TimelineView(
                    at=e.at,
                    step=e.step,
                    label=e.label,
                    holder_role=e.holder_role,
                    due_at=e.due_at,
                    reasons=list(e.reasons),
                )
                for e in timeline
            ],
        )


class SubmissionListItem(BaseModel):
    id: str = Field(description="Id pengajuan (submission_id)")
    receipt_number: str | None = Field(description="Nomor tanda terima")
    service_code: str
    unit: str = Field(description="Perangkat Daerah pemohon")
    title: str = Field(description="Perihal pengajuan")
    period: str | None
    submitted_at: datetime = Field(description="Waktu pengajuan diterima")
    status: SubmissionStatus
    current_step: str | None = Field(description="Tahap yang sedang berjalan")
    holder_role: str | None = Field(description="Peran yang sedang memegang berkas")
    due_at: datetime | None = Field(description="Batas waktu layanan menurut jam pelayanan")
    step_due_at: datetime | None = Field(description="Batas waktu tahap yang sedang berjalan")
    replaces: str | None = Field(description="Pengajuan yang diganti oleh pengajuan ini")
    replaced_by: str | None = Field(description="Pengajuan pengganti, bila ada")

    @classmethod
    def of(cls, s: ListedSubmission) -> "SubmissionListItem":
        return cls(
            id=s.submission_id,
            receipt_number=s.receipt_number,
            service_code=s.service_code,
            unit=s.perangkat_daerah,
            title=s.title,
            period=s.period,
            submitted_at=s.received_at,
            status=s.status,
            current_step=s.current_step,
            holder_role=s.holder_role,
            due_at=s.due_at,
            step_due_at=s.step_due_at,
            replaces=s.replaces,
            replaced_by=s.replaced_by,
        )


class SubmissionList(BaseModel):
    items: list[SubmissionListItem] = Field(description="Terbaru lebih dahulu")
    next_cursor: str | None = Field(
        description="Kirim sebagai `cursor` untuk halaman berikutnya; null pada halaman terakhir"
    )


class ServiceSummary(BaseModel):
    code: str
    name: str
    version: int
    url: str


def _submission_form_schema(rules: IntakeRules) -> dict[str, Any]:
    """The multipart body in OpenAPI, one variant per standard with what it asks for (the
    route reads the body itself, so that a broken one gets intake's own codes)."""
    variants = []
    for standard in sorted(rules.catalogue.services.values(), key=lambda s: s.code):
        properties: dict[str, Any] = {
            "service_code": {"type": "string", "enum": [standard.code], "description": standard.name},
            "replaces": {
                "type": "string",
                "format": "uuid",
                "description": "Pengajuan yang dikembalikan dan diganti oleh pengajuan ini",
            },
        }
        fields = expected_request_fields(standard)
        for f in fields:
            properties[f.name] = {
                "type": "string",
                "minLength": 1,
                "maxLength": f.max_length,
                "description": f.label,
            }
        if standard.recap_requirement is not None:
            properties[PERIOD.name]["pattern"] = "^20[0-9]{2}(-(0[1-9]|1[0-2]))?$"
        documents = [r for r in standard.requirements if r.kind is RequirementKind.DOCUMENT]
        for r in documents:
            properties[r.id] = {
                "type": "string",
                "format": "binary",
                "description": f"{r.text} ({', '.join(k.value for k in r.file_kinds)})",
            }
        variants.append(
            {
                "title": standard.code,
                "type": "object",
                "required": ["service_code", *(f.name for f in fields), *(r.id for r in documents)],
                "properties": properties,
                "additionalProperties": False,
            }
        )
    return {"required": True, "content": {"multipart/form-data": {"schema": {"oneOf": variants}}}}


def _file_response(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
            "X-Content-SHA256": hashlib.sha256(content).hexdigest(),
        },
    )


_FILE_CONTENT = {
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES.values()}
}


def _signed_in(runtime: ServiceRuntime, *roles: Role) -> Callable[..., Awaitable[Principal]]:
    """The caller holding one of `roles`, found without a worker thread once its token was seen."""
    runtime.require(*roles)  # tells the runtime sign-in is used: no start without keys
    return signed_in(runtime.verifier, *roles)


def build_router(
    runtime: ServiceRuntime,
    unit_of_work: Callable[[], IntakeUnitOfWork],
    store: DocumentStore,
    rules: IntakeRules,
) -> APIRouter:
    router = APIRouter()
    # The codes as an enum in OpenAPI; an unknown one is still answered 404 in Indonesian.
    ServiceCode = Annotated[
        str, Path(description="Kode layanan", json_schema_extra={"enum": list(rules.catalogue.codes)})
    ]
    applicant = _signed_in(runtime, Role.PERANGKAT_DAERAH)
    reader = _signed_in(runtime, Role.PERANGKAT_DAERAH, *OFFICIALS)
    internal = _signed_in(runtime, Role.INTERNAL_SERVICE)
    document_fields = {
        r.id
        for s in rules.catalogue.services.values()
        for r in s.requirements
        if r.kind is RequirementKind.DOCUMENT
    }

    @router.get("/api/v1/catalogue", response_model=list[ServiceSummary], responses=error_responses())
    async def catalogue() -> list[ServiceSummary]:
        return [
            ServiceSummary(code=s.code, name=s.name, version=s.version, url=f"/api/v1/catalogue/{s.code}")
            for s in rules.catalogue.services.values()
        ]

    @router.get(
        "/api/v1/catalogue/{service_code}",
        response_model=ServiceStandard,
        responses=error_responses(errors.SERVICE_STANDARD_NOT_FOUND),
    )
    async def standard(service_code: ServiceCode) -> ServiceStandard:
        found = rules.catalogue.services.get(service_code)
        if found is None:
            raise DomainError(errors.SERVICE_STANDARD_NOT_FOUND)
        return found

    @router.get(
        "/layanan/{service_code}",
        response_class=Response,  # errors stay documented as JSON; the page is text/html
        responses={
            200: {
                "description": "Standar pelayanan sebagai halaman HTML",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            **error_responses(errors.SERVICE_STANDARD_NOT_FOUND),
        },
    )
    async def standard_page(service_code: ServiceCode) -> HTMLResponse:
        found = rules.catalogue.services.get(service_code)
        if found is None:
            raise DomainError(errors.SERVICE_STANDARD_NOT_FOUND)
        return HTMLResponse(render_standard(found))

    @router.post(
        "/api/v1/submissions",
        status_code=201,
        response_model=SubmissionView,
        openapi_extra={"requestBody": _submission_form_schema(rules)},
        responses={
            200: {
                "description": "A retry with the same Idempotency-Key: the first receipt",
                "model": SubmissionView,
            },
            **error_responses(
                errors.SERVICE_UNKNOWN,
                errors.REQUIREMENTS_MISSING,
                errors.FIELDS_UNEXPECTED,
                errors.FIELD_INVALID,
                errors.PERIOD_INVALID,
                errors.RECAP_INVALID,
                errors.DOCUMENT_EMPTY,
                errors.DOCUMENT_TOO_LARGE,
                errors.DOCUMENT_TYPE_NOT_ALLOWED,
                errors.MULTIPART_INVALID,
                errors.CONTENT_TYPE_UNSUPPORTED,
                errors.SUBMISSION_NOT_FOUND,
                errors.REPLACES_INVALID,
                errors.REPLACES_ALREADY_REPLACED,
                errors.IDEMPOTENCY_KEY_REUSED,
                *errors.RECAP_FILE_ISSUES.values(),
                *SIGNED_IN,
                *_UPLOAD,
            ),
        },
    )
    async def submit(
        request: Request,
        response: Response,
        principal: Annotated[Principal, Depends(applicant)],
        idempotency_key: Annotated[str | None, Header(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] = None,
    ) -> SubmissionView:
        form = await read_submission_form(request, document_fields)
        assert principal.unit is not None  # an applicant principal always has one
        receipt = await service.receive_submission(
            unit_of_work(),
            store,
            rules,
            Applicant(principal.unit, principal.subject),
            form,
            correlation_id=current_correlation_id() or new_correlation_id(),
            idempotency_key=idempotency_key,
        )
        if receipt.replayed:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return SubmissionView.of(receipt.submission, list(receipt.timeline))

    @router.get(
        "/api/v1/submissions",
        response_model=SubmissionList,
        responses=error_responses(errors.SERVICE_UNKNOWN, errors.CURSOR_INVALID, *SIGNED_IN),
    )
    async def list_submissions(
        principal: Annotated[Principal, Depends(reader)],
        service_code: Annotated[
            str | None,
            Query(
                max_length=64,
                description="Kode layanan",
                json_schema_extra={"enum": list(rules.catalogue.codes)},
            ),
        ] = None,
        status: Annotated[SubmissionStatus | None, Query(description="Status pengajuan")] = None,
        unit: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=64,
                pattern=r"^[^\x00-\x1f\x7f]+$",
                description="Perangkat Daerah (bagi petugas; pemohon selalu melihat unitnya sendiri)",
            ),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Jumlah per halaman")] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            # Published, but checked by intake itself, so that a bad one gets CURSOR_INVALID.
            Query(
                max_length=64,
                description="next_cursor dari halaman sebelumnya",
                json_schema_extra={"pattern": CURSOR_PATTERN},
            ),
        ] = None,
    ) -> SubmissionList:
        wanted = SubmissionFilter(
            unit=unit,
            service_code=service_code,
            status=status,
            after=None if cursor is None else decode_cursor(cursor),
            limit=limit,
        )
        page = await service.list_submissions(unit_of_work(), rules, wanted, unit_scope(principal))
        return SubmissionList(
            items=[SubmissionListItem.of(s) for s in page.items], next_cursor=page.next_cursor
        )

    @router.get(
        "/api/v1/submissions/{submission_id}",
        response_model=SubmissionView,
        responses=error_responses(errors.SUBMISSION_NOT_FOUND, *SIGNED_IN),
    )
    async def status(submission_id: str, principal: Annotated[Principal, Depends(reader)]) -> SubmissionView:
        found = await service.get_submission(unit_of_work(), submission_id, unit_scope(principal))
        return SubmissionView.of(*found)

    @router.get(
        "/api/v1/receipts",
        response_model=SubmissionView,
        responses=error_responses(errors.SUBMISSION_NOT_FOUND, *SIGNED_IN),
    )
    async def by_receipt(
        number: Annotated[
            str,
            Query(
                min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$", description="Nomor tanda terima"
            ),
        ],
        principal: Annotated[Principal, Depends(reader)],
    ) -> SubmissionView:
        found = await service.get_by_receipt(unit_of_work(), number, unit_scope(principal))
        return SubmissionView.of(*found)

    @router.get(
        "/api/v1/submissions/{submission_id}/documents/{document_id}",
        response_class=Response,
        responses={
            200: {"description": "The document as uploaded", **_FILE_CONTENT},
            **error_responses(errors.SUBMISSION_NOT_FOUND, errors.DOCUMENT_NOT_FOUND, *SIGNED_IN),
        },
    )
    async def download(
        submission_id: str, document_id: str, principal: Annotated[Principal, Depends(reader)]
    ) -> Response:
        document, content = await service.get_document(
            unit_of_work(), store, submission_id, document_id, unit_scope(principal)
        )
        return _file_response(content, document.media_type, document.filename)

    @router.get(
        "/internal/v1/submissions/{submission_id}/recap",
        response_class=Response,
        responses={
            200: {"description": "The recap file; its SHA-256 is in the submission event", **_FILE_CONTENT},
            **error_responses(errors.SUBMISSION_NOT_FOUND, errors.RECAP_NOT_AVAILABLE, *SIGNED_IN),
        },
    )
    async def recap(submission_id: str, _: Annotated[Principal, Depends(internal)]) -> Response:
        document, content = await service.get_recap(unit_of_work(), store, submission_id)
        return _file_response(content, document.media_type, document.filename)

    return router
