"""Routing's HTTP API: officials' inboxes, cases with their history and the actions their
current step allows, the actions themselves, disposisi reads and withdrawals, delegations."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime,
# and their dependencies are local values.
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bkpsdm.common.auth import (
    AUTH_UNAVAILABLE,
    FORBIDDEN_ROLE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    Principal,
    Role,
)
from bkpsdm.common.domain_errors import DomainError, ErrorSpec
from bkpsdm.common.http import COMMON_ERRORS, ErrorCode, error_responses
from bkpsdm.common.logs import current_correlation_id, new_correlation_id
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.routing import service
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.case import Case, HistoryEntry
from bkpsdm.routing.domain.delegation import Delegation, DelegationKind
from bkpsdm.routing.domain.disposisi import Addressee, Disposisi
from bkpsdm.routing.domain.engine import Actor
from bkpsdm.routing.domain.rules import OFFICIAL_ROLES
from bkpsdm.routing.domain.workflow import Action, Transition, WorkflowDefinition
from bkpsdm.routing.ports import RoutingContext, RoutingUnitOfWork

SIGNED_IN: tuple[ErrorCode, ...] = (
    TOKEN_MISSING,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    FORBIDDEN_ROLE,
    AUTH_UNAVAILABLE,
)
WITH_BODY = tuple(COMMON_ERRORS[c] for c in ("BODY_NOT_JSON", "PAYLOAD_TOO_LARGE"))
# Text a person typed: not only spaces, no control characters but tab and line breaks.
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
TEXT_PATTERN = rf"^{_ALLOWED}*[^\s\x00-\x1f\x7f]{_ALLOWED}*$"
KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
UNIT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,99}$"
STEP_PATTERN = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"

Note = Annotated[str, Field(min_length=1, max_length=2000, pattern=TEXT_PATTERN)]
ClientKey = Annotated[str, Field(pattern=KEY_PATTERN, description="Kunci klien: klik ganda = satu tindakan")]
Unit = Annotated[str, Field(pattern=UNIT_PATTERN)]
StepCode = Annotated[str, Field(pattern=STEP_PATTERN, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionBody(_Body):
    client_key: ClientKey | None = None
    note: Note | None = Field(default=None, description="Catatan pejabat")


class ForwardBody(ActionBody):
    to: StepCode | None = Field(default=None, description="Tahap tujuan, bila tahap ini punya beberapa")


class SendBackBody(_Body):
    client_key: ClientKey | None = None
    to: StepCode | None = Field(default=None, description="Tahap yang dituju kembali")
    note: Note = Field(description="Mengapa dikembalikan ke proses sebelumnya")


class ReturnBody(_Body):
    client_key: ClientKey | None = None
    reasons: list[Note] = Field(min_length=1, max_length=20, description="Alasan, dibaca pemohon")
    note: Note | None = None


class ReportBody(_Body):
    client_key: ClientKey | None = None
    summary: Annotated[str, Field(min_length=1, max_length=8000, pattern=TEXT_PATTERN)] = Field(
        description="Laporan hasil (ringkasan)"
    )
    note: Note | None = None


class AddresseeIn(_Body):
    role: Role
    unit: Unit | None = None


class DisposisiBody(_Body):
    client_key: ClientKey | None = None
    instructions: list[Annotated[str, Field(pattern=STEP_PATTERN, max_length=64)]] = Field(
        min_length=1, max_length=10, description="Kode instruksi (GET /api/v1/disposisi-instructions)"
    )
    note: Note | None = Field(default=None, description="Catatan disposisi")
    recipients: list[AddresseeIn] = Field(min_length=1, max_length=10, description="Diteruskan kepada")
    tembusan: list[AddresseeIn] = Field(default_factory=list, max_length=10, description="Tembusan")
    due_at: AwareDatetime | None = Field(
        default=None, description="Batas waktu disposisi (menggantikan SLA tahap)"
    )


class StartBody(_Body):
    service_code: Annotated[str, Field(pattern=STEP_PATTERN, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=300, pattern=TEXT_PATTERN)]
    note: Note | None = None
    client_key: ClientKey | None = None


class DelegationBody(_Body):
    role: Role
    unit: Unit | None = None
    delegate_subject: Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)]
    delegate_name: Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)]
    kind: DelegationKind = Field(description="PLT (pelaksana tugas) atau PLH (pelaksana harian)")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    for_name: Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)] | None = Field(
        default=None, description="Pejabat yang berhalangan"
    )


class ActionResult(BaseModel):
    case_id: str
    action: str
    status: str = Field(description="AKTIF, DIKEMBALIKAN atau SELESAI")
    step: str
    step_label: str
    holder_role: str | None
    holder_unit: str | None
    due_at: datetime | None
    agenda_number: str | None
    history_seq: int | None
    disposisi_id: str | None = None


class CaseSummary(BaseModel):
    case_id: str
    submission_id: str
    current_submission_id: str
    service_code: str
    perangkat_daerah: str
    title: str
    workflow_version: str
    opened_at: datetime
    status: str
    step: str
    step_label: str
    holder_role: str | None
    holder_unit: str | None
    step_entered_at: datetime
    due_at: datetime | None
    overdue: bool
    case_due_at: datetime | None
    agenda_number: str | None
    escalated_to_role: str | None
    escalation_level: int
    link: str


class InboxItem(CaseSummary):
    escalated: bool = Field(description="Di kotak masuk karena eskalasi, bukan sebagai pemegang tahap")
    acting_as: str | None = Field(description="Plt/Plh: peran yang dijalankan untuk pejabat lain")


class TransitionView(BaseModel):
    action: str
    label: str
    to: str
    to_label: str
    path: str = Field(description="POST ke alamat ini untuk bertindak")


class StepActionView(BaseModel):
    action: str
    label: str
    to: str
    by: str = Field(description="Peran pemegang tahap, atau 'system' bila routing sendiri")


class HistoryView(BaseModel):
    seq: int
    at: datetime
    action: str
    from_step: str | None
    to_step: str | None
    actor_subject: str | None
    actor_name: str | None
    actor_role: str | None
    acting_for: dict[str, Any] | None = Field(description="Plt/Plh: untuk siapa pejabat bertindak")
    note: str | None
    details: dict[str, Any]


class AddresseeView(BaseModel):
    role: str
    unit: str | None


class ReadView(BaseModel):
    reader_subject: str
    reader_name: str
    reader_role: str
    read_at: datetime


class InstructionView(BaseModel):
    code: str
    label: str


class DisposisiView(BaseModel):
    disposisi_id: str
    case_id: str
    from_step: str
    to_step: str
    instructions: list[InstructionView]
    note: str | None
    recipients: list[AddresseeView]
    tembusan: list[AddresseeView]
    due_at: datetime | None
    issued_by_subject: str
    issued_by_name: str
    issued_role: str
    issued_at: datetime
    withdrawn_at: datetime | None
    reads: list[ReadView]


class DocumentView(BaseModel):
    document_id: str
    requirement_id: str
    media_type: str
    sha256: str
    url: str = Field(description="Berkas di layanan intake (rujukan, tidak disalin)")


class CaseView(CaseSummary):
    submissions: list[str] = Field(description="Pengajuan berkas ini: yang pertama dan setiap perbaikannya")
    origin: str
    rules_version: str
    calendar_version: str
    period: str | None
    documents: list[DocumentView]
    recap: dict[str, Any] | None
    request: dict[str, str]
    upload_request_id: str | None
    upload_attempt: int
    diagnosis: dict[str, Any] | None
    escalated_to_unit: str | None
    history: list[HistoryView]
    disposisi: list[DisposisiView]
    allowed_actions: list[TransitionView] = Field(description="Yang dapat Anda lakukan sekarang")
    step_actions: list[StepActionView] = Field(description="Semua tindakan tahap ini, dan oleh siapa")
    acting_as: str | None


class DelegationView(BaseModel):
    delegation_id: str
    role: str
    unit: str | None
    delegate_subject: str
    delegate_name: str
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    for_name: str | None
    granted_by_subject: str
    granted_by_name: str
    granted_at: datetime
    revoked_at: datetime | None


class WorkflowSummary(BaseModel):
    code: str
    version: int
    key: str
    name: str
    started_by_role: str | None
    url: str


def _local(ctx: RoutingContext) -> Callable[[datetime | None], Any]:
    """Times as the agency reads them (WIB by default), with their offset."""
    zone = ctx.sla.calendar.zone
    return lambda at: None if at is None else at.astimezone(zone)


def _summary(case: Case, ctx: RoutingContext, now: datetime) -> dict[str, Any]:
    local = _local(ctx)
    definition = ctx.workflows.by_key(case.workflow_version)
    label = definition.step(case.step).label if definition else case.step
    return {
        "case_id": case.case_id,
        "submission_id": case.submission_id,
        "current_submission_id": case.current_submission_id,
        "service_code": case.service_code,
        "perangkat_daerah": case.perangkat_daerah,
        "title": case.title,
        "workflow_version": case.workflow_version,
        "opened_at": local(case.opened_at),
        "status": case.status.value,
        "step": case.step,
        "step_label": label,
        "holder_role": case.holder_role,
        "holder_unit": case.holder_unit,
        "step_entered_at": local(case.step_entered_at),
        "due_at": local(case.step_due_at),
        "overdue": bool(case.step_due_at and case.step_due_at < now and not case.closed),
        "case_due_at": local(case.case_due_at),
        "agenda_number": case.agenda_number,
        "escalated_to_role": case.escalated_to_role,
        "escalation_level": case.escalation_level,
        "link": f"/api/v1/cases/{case.case_id}",
    }


def _history(entry: HistoryEntry, ctx: RoutingContext) -> HistoryView:
    return HistoryView(
        seq=entry.seq,
        at=_local(ctx)(entry.at),
        action=entry.action,
        from_step=entry.from_step,
        to_step=entry.to_step,
        actor_subject=entry.actor_subject,
        actor_name=entry.actor_name,
        actor_role=entry.actor_role,
        acting_for=entry.acting_for,
        note=entry.note,
        details=entry.details,
    )


def _disposisi(d: Disposisi, ctx: RoutingContext) -> DisposisiView:
    labels = {i.code: i.label for i in ctx.rules.instructions}
    local = _local(ctx)
    return DisposisiView(
        disposisi_id=d.disposisi_id,
        case_id=d.case_id,
        from_step=d.from_step,
        to_step=d.to_step,
        instructions=[InstructionView(code=c, label=labels.get(c, c)) for c in d.instructions],
        note=d.note,
        recipients=[AddresseeView(role=a.role, unit=a.unit) for a in d.recipients],
        tembusan=[AddresseeView(role=a.role, unit=a.unit) for a in d.tembusan],
        due_at=local(d.due_at),
        issued_by_subject=d.issued_by_subject,
        issued_by_name=d.issued_by_name,
        issued_role=d.issued_role,
        issued_at=local(d.issued_at),
        withdrawn_at=local(d.withdrawn_at),
        reads=[
            ReadView(
                reader_subject=r.reader_subject,
                reader_name=r.reader_name,
                reader_role=r.reader_role,
                read_at=r.read_at,
            )
            for r in d.reads
        ],
    )


def _delegation(d: Delegation) -> DelegationView:
    return DelegationView(
        delegation_id=d.delegation_id,
        role=d.role,
        unit=d.unit,
        delegate_subject=d.delegate_subject,
        delegate_name=d.delegate_name,
        kind=d.kind.value,
        title=d.title,
        starts_at=d.starts_at,
        ends_at=d.ends_at,
        for_name=d.for_name,
        granted_by_subject=d.granted_by_subject,
        granted_by_name=d.granted_by_name,
        granted_at=d.granted_at,
        revoked_at=d.revoked_at,
    )


def _transition(case_id: str, t: Transition, definition: WorkflowDefinition) -> TransitionView:
    return TransitionView(
        action=t.action.value,
        label=t.label,
        to=t.to,
        to_label=definition.step(t.to).label,
        path=f"/api/v1/cases/{case_id}/{t.action.value}",
    )


def _case_view(details: service.CaseDetails, ctx: RoutingContext, now: datetime) -> CaseView:
    case, definition = details.case, details.definition
    step = definition.step(case.step)
    holder = step.holder.role if step.holder else "system"
    delegation = details.standing.delegation if details.standing else None
    return CaseView(
        **_summary(case, ctx, now),
        submissions=details.submissions,
        origin=case.origin.value,
        rules_version=case.rules_version,
        calendar_version=case.calendar_version,
        period=case.period,
        documents=[
            DocumentView(
                document_id=str(d.get("document_id")),
                requirement_id=str(d.get("requirement_id")),
                media_type=str(d.get("media_type")),
                sha256=str(d.get("sha256")),
                url=f"{ctx.intake_url}/api/v1/submissions/{case.current_submission_id}/documents/{d.get('document_id')}",
            )
            for d in case.documents
        ],
        recap=case.recap,
        request=case.request,
        upload_request_id=case.upload_request_id,
        upload_attempt=case.upload_attempt,
        diagnosis=case.diagnosis,
        escalated_to_unit=case.escalated_to_unit,
        history=[_history(e, ctx) for e in details.history],
        disposisi=[_disposisi(d, ctx) for d in details.disposisi],
        allowed_actions=[_transition(case.case_id, t, definition) for t in details.offered],
        step_actions=[
            StepActionView(
                action=t.action.value, label=t.label, to=t.to, by="system" if t.action.by_system else holder
            )
            for t in step.transitions
        ],
        acting_as=delegation.title if delegation else None,
    )


def _actor(p: Principal) -> Actor:
    return Actor(subject=p.subject, name=p.name, roles=frozenset(r.value for r in p.roles), unit=p.unit)


def _correlation() -> str:
    return current_correlation_id() or new_correlation_id()


def _key(header: str | None, body: str | None) -> str | None:
    if header is not None and body is not None and header != body:
        raise DomainError(errors.CLIENT_KEY_MISMATCH)
    return header or body


def _answer(outcome: service.Outcome, response: Response) -> ActionResult:
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ActionResult.model_validate(outcome.response)


_ACTION_ERRORS: tuple[ErrorSpec | ErrorCode, ...] = (
    errors.CASE_NOT_FOUND,
    errors.CASE_CLOSED,
    errors.NOT_STEP_HOLDER,
    errors.ACTION_NOT_ALLOWED,
    errors.TARGET_REQUIRED,
    errors.TARGET_NOT_ALLOWED,
    errors.CLIENT_KEY_REUSED,
    errors.CLIENT_KEY_MISMATCH,
    errors.WORKFLOW_UNAVAILABLE,
    *SIGNED_IN,
    *WITH_BODY,
)
_ACTION_EXTRA: dict[Action, tuple[ErrorSpec, ...]] = {
    Action.DISPOSISI: (
        errors.INSTRUCTION_UNKNOWN,
        errors.RECIPIENT_INVALID,
        errors.RECIPIENT_REQUIRED,
        errors.DEADLINE_PAST,
    ),
    Action.ACCEPT: (errors.RECAP_MISSING,),
    Action.RETRY_UPLOAD: (errors.RECAP_MISSING,),
}
_ACTION_SUMMARY = {
    Action.REGISTER: "Agendakan berkas (nomor agenda per tahun) dan teruskan ke pemilahan",
    Action.FORWARD: "Teruskan berkas ke tahap berikutnya",
    Action.PARAF: "Paraf berkas",
    Action.DISPOSISI: "Disposisi: instruksi, catatan, penerima, tembusan dan batas waktu",
    Action.RETURN: "Kembalikan kepada pemohon dengan alasan",
    Action.ACCEPT: "Dokumen sesuai: minta unggah ke BKN",
    Action.RETRY_UPLOAD: "Ulangi unggahan yang gagal",
    Action.REPORT: "Sampaikan laporan hasil",
    Action.SEND_BACK: "Kembali ke proses sebelumnya (putaran balik alur)",
    Action.COMPLETE: "Selesaikan layanan",
}
_BODY_REQUIRED = frozenset({Action.DISPOSISI, Action.RETURN, Action.REPORT, Action.SEND_BACK})
_BODIES: dict[Action, type[_Body]] = {
    Action.FORWARD: ForwardBody,
    Action.DISPOSISI: DisposisiBody,
    Action.RETURN: ReturnBody,
    Action.REPORT: ReportBody,
    Action.SEND_BACK: SendBackBody,
}


def _input(body: _Body | None) -> tuple[service.ActionInput, str | None]:
    if body is None:
        return service.ActionInput(), None
    data = body.model_dump()
    addressees = {
        k: tuple(Addressee(str(a["role"]), a.get("unit")) for a in data.get(k) or ())
        for k in ("recipients", "tembusan")
    }
    return (
        service.ActionInput(
            to=data.get("to"),
            note=data.get("note"),
            reasons=tuple(data.get("reasons") or ()),
            summary=data.get("summary"),
            instructions=tuple(data.get("instructions") or ()),
            due_at=data.get("due_at"),
            **addressees,
        ),
        data.get("client_key"),
    )


def build_router(
    runtime: ServiceRuntime, unit_of_work: Callable[[], RoutingUnitOfWork], ctx: RoutingContext
) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    anyone = runtime.require(*Role)
    acting = runtime.require(*(r for r in Role if r is not Role.INTERNAL_SERVICE))
    officials = runtime.require(*OFFICIAL_ROLES)
    CaseId = Annotated[uuid.UUID, Path(description="Id berkas (case)")]
    IdempotencyKey = Annotated[str | None, Header(pattern=KEY_PATTERN, description="Kunci klien")]

    @router.get("/workflows", response_model=list[WorkflowSummary], responses=error_responses(*SIGNED_IN))
    async def workflows(_: Annotated[Principal, Depends(anyone)]) -> list[WorkflowSummary]:
        found = [ctx.workflows.current(code) for code in ctx.workflows.codes]
        return [
            WorkflowSummary(
                code=d.code,
                version=d.version,
                key=d.key,
                name=d.name,
                started_by_role=d.started_by_role,
                url=f"/api/v1/workflows/{d.code}",
            )
            for d in found
            if d is not None
        ]

    @router.get(
        "/workflows/{code}",
        response_model=WorkflowDefinition,
        responses=error_responses(errors.WORKFLOW_UNKNOWN, *SIGNED_IN),
    )
    async def workflow(
        code: Annotated[str, Path(json_schema_extra={"enum": list(ctx.workflows.codes)})],
        _: Annotated[Principal, Depends(anyone)],
    ) -> WorkflowDefinition:
        found = ctx.workflows.current(code)
        if found is None:
            raise DomainError(errors.WORKFLOW_UNKNOWN)
        return found

    @router.get(
        "/disposisi-instructions", response_model=list[InstructionView], responses=error_responses(*SIGNED_IN)
    )
    async def instructions(_: Annotated[Principal, Depends(anyone)]) -> list[InstructionView]:
        return [InstructionView(code=i.code, label=i.label) for i in ctx.rules.instructions]

    @router.get("/inbox", response_model=list[InboxItem], responses=error_responses(*SIGNED_IN))
    async def inbox(
        principal: Annotated[Principal, Depends(acting)],
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> list[InboxItem]:
        now = ctx.clock()
        items = await service.inbox(unit_of_work(), ctx, _actor(principal), limit, offset)
        return [
            InboxItem(**_summary(case, ctx, now), escalated=escalated, acting_as=via.title if via else None)
            for case, escalated, via in items
        ]

    @router.post(
        "/cases",
        status_code=201,
        response_model=ActionResult,
        responses={
            200: {
                "description": "Ulangan dengan kunci klien yang sama: jawaban pertama",
                "model": ActionResult,
            },
            **error_responses(
                errors.WORKFLOW_UNKNOWN,
                errors.WORKFLOW_NOT_INTERNAL,
                errors.START_FORBIDDEN,
                errors.CLIENT_KEY_REUSED,
                errors.CLIENT_KEY_MISMATCH,
                *SIGNED_IN,
                *WITH_BODY,
            ),
        },
    )
    async def start(
        body: StartBody,
        response: Response,
        principal: Annotated[Principal, Depends(officials)],
        idempotency_key: IdempotencyKey = None,
    ) -> ActionResult:
        outcome = await service.start_case(
            unit_of_work(),
            ctx,
            _actor(principal),
            service_code=body.service_code,
            title=body.title,
            note=body.note,
            client_key=_key(idempotency_key, body.client_key),
            correlation_id=_correlation(),
        )
        if outcome.replayed:
            response.status_code = 200
        return _answer(outcome, response)

    @router.get(
        "/cases/by-submission/{submission_id}",
        response_model=CaseSummary,
        responses=error_responses(errors.CASE_NOT_FOUND, *SIGNED_IN),
    )
    async def case_by_submission(
        submission_id: uuid.UUID, principal: Annotated[Principal, Depends(anyone)]
    ) -> CaseSummary:
        case = await service.case_for_submission(unit_of_work(), _actor(principal), str(submission_id))
        return CaseSummary(**_summary(case, ctx, ctx.clock()))

    @router.get(
        "/cases/{case_id}",
        response_model=CaseView,
        responses=error_responses(errors.CASE_NOT_FOUND, errors.WORKFLOW_UNAVAILABLE, *SIGNED_IN),
    )
    async def case_view(case_id: CaseId, principal: Annotated[Principal, Depends(anyone)]) -> CaseView:
        details = await service.case_details(unit_of_work(), ctx, _actor(principal), str(case_id))
        return _case_view(details, ctx, ctx.clock())

    def add_action(action: Action) -> None:
        model: Any = _BODIES.get(action, ActionBody)

        async def run(
            case_id: uuid.UUID, principal: Principal, response: Response, header_key: str | None, body: Any
        ) -> ActionResult:
            data, body_key = _input(body)
            outcome = await service.act(
                unit_of_work(),
                ctx,
                _actor(principal),
                str(case_id),
                action,
                data,
                client_key=_key(header_key, body_key),
                correlation_id=_correlation(),
            )
            return _answer(outcome, response)

        # Actions that need words (reasons, a report, instructions) require a body; others take none.
        if action in _BODY_REQUIRED:

            async def take(
                case_id: CaseId,
                response: Response,
                principal: Annotated[Principal, Depends(acting)],
                body: Annotated[model, Body()],
                idempotency_key: IdempotencyKey = None,
            ) -> ActionResult:
                return await run(case_id, principal, response, idempotency_key, body)

        else:

            async def take(  # type: ignore[misc]
                case_id: CaseId,
                response: Response,
                principal: Annotated[Principal, Depends(acting)],
                body: Annotated[model | None, Body()] = None,
                idempotency_key: IdempotencyKey = None,
            ) -> ActionResult:
                return await run(case_id, principal, response, idempotency_key, body)

        router.add_api_route(
            f"/cases/{{case_id}}/{action.value}",
            take,
            methods=["POST"],
            response_model=ActionResult,
            summary=_ACTION_SUMMARY[action],
            name=f"case_{action.name.lower()}",
            responses=error_responses(*_ACTION_ERRORS, *_ACTION_EXTRA.get(action, ())),
        )

    for action in Action:
        if not action.by_system:
            add_action(action)

    @router.post(
        "/disposisi/{disposisi_id}/read",
        response_model=DisposisiView,
        responses=error_responses(errors.DISPOSISI_NOT_FOUND, errors.DISPOSISI_NOT_RECIPIENT, *SIGNED_IN),
    )
    async def read(
        disposisi_id: uuid.UUID, principal: Annotated[Principal, Depends(officials)]
    ) -> DisposisiView:
        found = await service.read_disposisi(unit_of_work(), ctx, _actor(principal), str(disposisi_id))
        return _disposisi(found, ctx)

    @router.post(
        "/disposisi/{disposisi_id}/withdraw",
        response_model=ActionResult,
        responses=error_responses(
            errors.DISPOSISI_NOT_FOUND,
            errors.DISPOSISI_NOT_ISSUER,
            errors.DISPOSISI_ALREADY_READ,
            errors.DISPOSISI_WITHDRAWN,
            errors.CLIENT_KEY_REUSED,
            errors.CLIENT_KEY_MISMATCH,
            errors.WORKFLOW_UNAVAILABLE,
            *SIGNED_IN,
            *WITH_BODY,
        ),
    )
    async def withdraw(
        disposisi_id: uuid.UUID,
        response: Response,
        principal: Annotated[Principal, Depends(officials)],
        idempotency_key: IdempotencyKey = None,
        body: Annotated[ActionBody | None, Body()] = None,
    ) -> ActionResult:
        outcome = await service.withdraw_disposisi(
            unit_of_work(),
            ctx,
            _actor(principal),
            str(disposisi_id),
            client_key=_key(idempotency_key, body.client_key if body else None),
            correlation_id=_correlation(),
        )
        return _answer(outcome, response)

    @router.post(
        "/delegations",
        status_code=201,
        response_model=DelegationView,
        responses=error_responses(
            errors.DELEGATION_FORBIDDEN,
            errors.DELEGATION_PERIOD_INVALID,
            errors.DELEGATION_ROLE_INVALID,
            *SIGNED_IN,
            *WITH_BODY,
        ),
    )
    async def grant(
        body: DelegationBody, principal: Annotated[Principal, Depends(officials)]
    ) -> DelegationView:
        delegation = await service.grant_delegation(
            unit_of_work(),
            ctx,
            _actor(principal),
            role=Role(str(body.role)),
            unit=body.unit,
            delegate_subject=body.delegate_subject,
            delegate_name=body.delegate_name,
            kind=body.kind,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            for_name=body.for_name,
        )
        return _delegation(delegation)

    @router.get("/delegations", response_model=list[DelegationView], responses=error_responses(*SIGNED_IN))
    async def list_delegations(
        _: Annotated[Principal, Depends(officials)], active: bool = True
    ) -> list[DelegationView]:
        return [_delegation(d) for d in await service.delegations(unit_of_work(), ctx, active_only=active)]

    @router.post(
        "/delegations/{delegation_id}/revoke",
        response_model=DelegationView,
        responses=error_responses(
            errors.DELEGATION_NOT_FOUND, errors.DELEGATION_REVOKED, errors.DELEGATION_FORBIDDEN, *SIGNED_IN
        ),
    )
    async def revoke(
        delegation_id: uuid.UUID, principal: Annotated[Principal, Depends(officials)]
    ) -> DelegationView:
        return _delegation(
            await service.revoke_delegation(unit_of_work(), ctx, _actor(principal), str(delegation_id))
        )

    return router
