"""How a case moves, the same way whoever moves it (an official, an event, a deadline):
entering a step places the case with its holder and clock, moves its step deadlines, asks
other services what the step needs (an upload, a diagnosis), appends a history entry, tells
the applicant (`CaseStepChanged`) and tells the new holder (a notification)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bkpsdm.common.contracts import (
    CASES,
    ROUTING_NOTIFICATIONS,
    TERMINAL_REQUESTS,
    UPLOAD_REQUESTS,
    CaseStepChanged,
    NotificationRaised,
    RecapReference,
    TerminalDiagnosisRequested,
    UploadRequested,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.case import Case, HistoryEntry, moved, place
from bkpsdm.routing.domain.engine import Actor, Standing
from bkpsdm.routing.domain.sla import Clock
from bkpsdm.routing.domain.workflow import Action, OnEnter, Step, WorkflowDefinition
from bkpsdm.routing.ports import RoutingContext, RoutingUnitOfWork

log = get_logger(__name__)

STEP_WARNING = "STEP_WARNING"
STEP_BREACH = "STEP_BREACH"
STEP_ESCALATION = "STEP_ESCALATION"
CASE_WARNING = "CASE_WARNING"
CASE_BREACH = "CASE_BREACH"
DIAGNOSIS_TIMEOUT = "DIAGNOSIS_TIMEOUT"


@dataclass(frozen=True)
class Move:
    """Who moves the case and how; no actor means routing itself (an event, the clock)."""

    action: str
    actor: Actor | None = None
    standing: Standing | None = None
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def acting_for(self) -> dict[str, Any] | None:
        d = self.standing.delegation if self.standing else None
        if d is None:
            return None
        return {
            "delegation_id": d.delegation_id,
            "kind": d.kind.value,
            "role": d.role,
            "unit": d.unit,
            "for_name": d.for_name,
            "title": d.title,
        }


def case_link(case_id: str) -> str:
    return f"/api/v1/cases/{case_id}"


def local(ctx: RoutingContext, at: datetime) -> str:
    return at.astimezone(ctx.sla.calendar.zone).strftime("%d-%m-%Y %H:%M")


async def record(
    uow: RoutingUnitOfWork, case: Case, move: Move, from_step: str | None, to_step: str | None, at: datetime
) -> HistoryEntry:
    return await uow.cases.append_history(
        HistoryEntry(
            case_id=case.case_id,
            at=at,
            action=move.action,
            from_step=from_step,
            to_step=to_step,
            actor_subject=move.actor.subject if move.actor else None,
            actor_name=move.actor.name if move.actor else None,
            actor_role=move.standing.role if move.standing else None,
            acting_for=move.acting_for,
            note=move.note,
            details=move.details,
        )
    )


async def notify(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    *,
    kind: str,
    role: str,
    unit: str | None,
    title: str,
    message: str,
    at: datetime,
    correlation_id: str | None,
    due_at: datetime | None = None,
) -> None:
    """One notification for whoever holds (role, unit), and one for each acting official."""
    recipients: list[str | None] = [None]
    recipients += [
        d.delegate_subject for d in await uow.cases.delegations(active_at=at) if d.covers(role, unit)
    ]
    for subject in recipients:
        await uow.outbox.add(
            ROUTING_NOTIFICATIONS,
            NotificationRaised(
                notification_id=str(uuid.uuid4()),
                case_id=case.case_id,
                kind=kind,
                recipient_role=role,
                recipient_unit=unit,
                recipient_subject=subject,
                title=title,
                message=message,
                link=case_link(case.case_id),
                due_at=due_at,
                raised_at=at,
            ),
            correlation_id=correlation_id,
        )


async def schedule_case_clock(uow: RoutingUnitOfWork, case: Case, clock: Clock | None) -> None:
    if clock is None:
        await uow.deadlines.cancel(case.case_id, CASE_WARNING)
        await uow.deadlines.cancel(case.case_id, CASE_BREACH)
        return
    payload = {"round": case.sla_round}
    await uow.deadlines.schedule(case.case_id, CASE_WARNING, clock.warn_at, payload)
    await uow.deadlines.schedule(case.case_id, CASE_BREACH, clock.due_at, payload)


async def _schedule_step_clock(
    uow: RoutingUnitOfWork, case: Case, clock: Clock | None, previous: Case | None
) -> None:
    """`previous`: the case before it moved (None when just opened): only deadlines it may
    have left are cancelled; the new step's are scheduled (which moves any left of its kind)."""
    if previous is not None and previous.escalation_level:
        await uow.deadlines.cancel(case.case_id, STEP_ESCALATION)
    if clock is not None:
        # The visit tells a deadline of an earlier stay at the same step from this one.
        payload = {"step": case.step, "visit": case.step_visit}
        await uow.deadlines.schedule(case.case_id, STEP_WARNING, clock.warn_at, payload)
        await uow.deadlines.schedule(case.case_id, STEP_BREACH, clock.due_at, payload)
    elif previous is not None and previous.step_due_at is not None:
        await uow.deadlines.cancel(case.case_id, STEP_WARNING)
        await uow.deadlines.cancel(case.case_id, STEP_BREACH)


async def _request_upload(
    uow: RoutingUnitOfWork, case: Case, move: Move, at: datetime, correlation_id: str | None
) -> Case:
    if case.recap is None:
        raise DomainError(errors.RECAP_MISSING)
    request_id = str(uuid.uuid4())
    attempt = case.upload_attempt + 1
    await uow.outbox.add(
        UPLOAD_REQUESTS,
        UploadRequested(
            request_id=request_id,
            submission_id=case.current_submission_id,
            case_id=case.case_id,
            service_code=case.service_code,
            perangkat_daerah=case.perangkat_daerah,
            period=case.period,
            recap=RecapReference.model_validate(case.recap),
            attempt=attempt,
            requested_by=move.actor.subject if move.actor else None,
            requested_at=at,
        ),
        correlation_id=correlation_id,
    )
    log.info("case.upload_requested", case_id=case.case_id, request_id=request_id, attempt=attempt)
    return replace(case, upload_request_id=request_id, upload_attempt=attempt)


async def _request_diagnosis(
    uow: RoutingUnitOfWork, ctx: RoutingContext, case: Case, at: datetime, correlation_id: str | None
) -> Case | None:
    """None when the request names no terminal: there is nothing to diagnose."""
    terminal = (case.request.get("terminal") or "").strip()
    if not terminal:
        return None
    request_id = str(uuid.uuid4())
    await uow.outbox.add(
        TERMINAL_REQUESTS,
        TerminalDiagnosisRequested(
            request_id=request_id, terminal_id=terminal, case_id=case.case_id, requested_at=at
        ),
        correlation_id=correlation_id,
    )
    # The gateway is a machine: its answer is awaited in wall-clock time, not service hours.
    await uow.deadlines.schedule(
        case.case_id, DIAGNOSIS_TIMEOUT, at + ctx.diagnosis_timeout, {"request_id": request_id}
    )
    log.info("case.diagnosis_requested", case_id=case.case_id, request_id=request_id)
    return replace(case, diagnosis_request_id=request_id, diagnosis=None)


async def arrive(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    definition: WorkflowDefinition,
    clock: Clock | None,
    move: Move,
    at: datetime,
    correlation_id: str | None,
    *,
    previous: Case | None,
    notify_kind: str = "INBOX",
) -> tuple[Case, bool]:
    """What being at the case's step asks for: its deadlines, the other services' work, the
    holder's notification. Saves the case (`previous` None: just added, saved only if this
    changes it). True if the step needs no one (no terminal to diagnose) and the case moves
    straight on."""
    step = definition.step(case.step)
    arrived = case
    if step.final:
        await uow.deadlines.cancel(case.case_id)
    else:
        await _schedule_step_clock(uow, case, clock, previous)
    skip = False
    if step.on_enter is OnEnter.REQUEST_UPLOAD:
        case = await _request_upload(uow, case, move, at, correlation_id)
    elif step.on_enter is OnEnter.REQUEST_DIAGNOSIS:
        requested = await _request_diagnosis(uow, ctx, case, at, correlation_id)
        skip = requested is None
        case = requested or case
    if previous is not None or case is not arrived:
        await uow.cases.save(case)
    if case.holder_role is not None and not step.final:
        await notify(
            uow,
            ctx,
            case,
            kind=notify_kind,
            role=case.holder_role,
            unit=case.holder_unit,
            title=f"Berkas masuk: {case.title}",
            message=step.label
            + (f". Batas waktu {local(ctx, case.step_due_at)} WIB" if case.step_due_at else ""),
            at=at,
            correlation_id=correlation_id,
            due_at=case.step_due_at,
        )
    return case, skip


def announcement(case: Case, step: Step, move: Move, at: datetime) -> CaseStepChanged:
    acting = move.acting_for
    return CaseStepChanged(
        submission_id=case.current_submission_id,
        case_id=case.case_id,
        step=case.step,
        step_label=step.label,
        holder_role=case.holder_role,
        due_at=case.step_due_at,
        changed_at=at,
        completed=step.final,
        action=move.action,
        actor_role=move.standing.role if move.standing else None,
        acting_for=acting["title"] if acting else None,
    )


async def enter(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    definition: WorkflowDefinition,
    to_step: str,
    move: Move,
    at: datetime,
    correlation_id: str | None,
    *,
    due_at: datetime | None = None,
    announce: bool = True,
    notify_kind: str = "INBOX",
) -> tuple[Case, HistoryEntry]:
    """Move the case to `to_step` (`due_at`: a deadline someone set for it, instead of its SLA)."""
    previous, from_step = case, case.step
    placement = place(case.perangkat_daerah, definition.step(to_step), at, ctx.sla, due_at)
    case = moved(case, placement, at)
    case, skip = await arrive(
        uow,
        ctx,
        case,
        definition,
        placement.clock,
        move,
        at,
        correlation_id,
        previous=previous,
        notify_kind=notify_kind,
    )
    entry = await record(uow, case, move, from_step, to_step, at)
    if announce:
        await uow.outbox.add(
            CASES, announcement(case, placement.step, move, at), correlation_id=correlation_id
        )
    log.info("case.moved", case_id=case.case_id, action=move.action, from_step=from_step, to_step=to_step)
    if skip:
        return await skip_diagnosis(uow, ctx, case, definition, at, correlation_id)
    return case, entry


async def skip_diagnosis(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    definition: WorkflowDefinition,
    at: datetime,
    correlation_id: str | None,
) -> tuple[Case, HistoryEntry]:
    """A repair request naming no terminal has nothing to diagnose: the case goes on at once."""
    onward = next(t for t in definition.step(case.step).transitions if t.action is Action.DIAGNOSIS_TIMED_OUT)
    move = Move(onward.action.value, note="Permohonan tidak menyebut mesin absensi: diagnosis dilewati.")
    return await enter(uow, ctx, case, definition, onward.to, move, at, correlation_id)
