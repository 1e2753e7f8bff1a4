"""What a fired deadline does: a warning before a step or case is due, a breach after it with
escalation one level up (and one more level each further step-length while it stays late),
and the diagnosis timeout that lets a repair case go on without the gateway's answer.

Runs inside the firing transaction (bkpsdm.common.deadlines): the case change and its events
commit with "fired", or not at all. A deadline of an earlier stay at a step, or of an earlier
round of the case clock, is stale and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bkpsdm.common.contracts import ROUTING_SLA, CaseDeadlineApproaching, CaseDeadlineBreached, CaseEscalated
from bkpsdm.common.logs import get_logger
from bkpsdm.routing.domain.case import Case, CaseStatus, Origin
from bkpsdm.routing.domain.workflow import Action, Step, WorkflowDefinition
from bkpsdm.routing.moves import (
    CASE_BREACH,
    CASE_WARNING,
    DIAGNOSIS_TIMEOUT,
    STEP_BREACH,
    STEP_ESCALATION,
    STEP_WARNING,
    Move,
    enter,
    local,
    notify,
    record,
)
from bkpsdm.routing.ports import RoutingContext, RoutingUnitOfWork

log = get_logger(__name__)

_STEP_KINDS = (STEP_WARNING, STEP_BREACH, STEP_ESCALATION)
_CASE_KINDS = (CASE_WARNING, CASE_BREACH)


def _stale(case: Case, kind: str, payload: dict[str, Any]) -> bool:
    if kind in _STEP_KINDS:
        return bool(payload.get("visit") != case.step_visit or payload.get("step") != case.step)
    if kind in _CASE_KINDS:
        return bool(payload.get("round") != case.sla_round or case.status is not CaseStatus.ACTIVE)
    if kind == DIAGNOSIS_TIMEOUT:
        return bool(payload.get("request_id") != case.diagnosis_request_id)
    return True


async def on_deadline(
    uow: RoutingUnitOfWork, ctx: RoutingContext, *, aggregate_id: str, kind: str, payload: dict[str, Any]
) -> None:
    case = await uow.cases.get(aggregate_id, for_update=True)
    if case is None or case.closed or _stale(case, kind, payload):
        log.info("deadline.stale", case_id=aggregate_id, kind=kind)
        return
    definition = ctx.definition(case)
    step = definition.step(case.step)
    now = ctx.clock()
    if kind == DIAGNOSIS_TIMEOUT:
        await _diagnosis_timed_out(uow, ctx, case, definition, step, now)
        return
    scope = "STEP" if kind in _STEP_KINDS else "CASE"
    due_at = case.step_due_at if scope == "STEP" else case.case_due_at
    assert due_at is not None
    if kind in (STEP_WARNING, CASE_WARNING):
        await _signal(uow, ctx, case, step, scope, due_at, now, breached=False)
        return
    if kind in (STEP_BREACH, CASE_BREACH):
        await _signal(uow, ctx, case, step, scope, due_at, now, breached=True)
        if scope == "CASE" and case.escalation_level:
            return  # the step's own breach already went up the line
    escalated = await _escalate(uow, ctx, case, step, due_at, now)
    if escalated is not None and scope == "STEP" and step.service_hours:
        base = (escalated.escalated_to_role or "", escalated.escalated_to_unit)
        if ctx.rules.supervisor(*base) is not None:
            # Still late a step-length later: one more level up.
            payload = {"step": case.step, "visit": case.step_visit}
            await uow.deadlines.schedule(
                case.case_id, STEP_ESCALATION, ctx.sla.after(now, step.service_hours), payload
            )


def _submission(case: Case) -> str | None:
    return case.current_submission_id if case.origin is Origin.SUBMISSION else None


async def _signal(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    step: Step,
    scope: str,
    due_at: datetime,
    now: datetime,
    *,
    breached: bool,
) -> None:
    """A warning before the due time or a breach after it: history row, SLA event, notice to the holder."""
    what = "Tahap" if scope == "STEP" else "Layanan"
    await record(
        uow,
        case,
        Move(
            "sla-breach" if breached else "sla-warning",
            details={"scope": scope, "due_at": due_at.astimezone(ctx.sla.calendar.zone).isoformat()},
        ),
        case.step,
        case.step,
        now,
    )
    facts = {
        "case_id": case.case_id,
        "submission_id": _submission(case),
        "service_code": case.service_code,
        "scope": scope,
        "step": case.step,
        "step_label": step.label,
        "holder_role": case.holder_role,
        "holder_unit": case.holder_unit,
        "due_at": due_at,
    }
    event = (
        CaseDeadlineBreached(**facts, breached_at=now)
        if breached
        else CaseDeadlineApproaching(**facts, observed_at=now)
    )
    await uow.outbox.add(ROUTING_SLA, event, correlation_id=case.correlation_id)
    if case.holder_role is not None:
        due = local(ctx, due_at)
        await notify(
            uow,
            ctx,
            case,
            kind="SLA_BREACH" if breached else "SLA_WARNING",
            role=case.holder_role,
            unit=case.holder_unit,
            title=f"Batas waktu terlampaui: {case.title}"
            if breached
            else f"Batas waktu segera tiba: {case.title}",
            message=f"{what} '{step.label}' melewati batas waktu {due} WIB."
            if breached
            else f"{what} '{step.label}' jatuh tempo {due} WIB.",
            at=now,
            correlation_id=case.correlation_id,
            due_at=due_at,
        )
    log.info(
        "case.sla_breached" if breached else "case.sla_warning",
        case_id=case.case_id,
        scope=scope,
        step=case.step,
    )


async def _escalate(
    uow: RoutingUnitOfWork, ctx: RoutingContext, case: Case, step: Step, due_at: datetime, now: datetime
) -> Case | None:
    """One level above whoever the case is escalated to (at first: its holder); None at the top."""
    if case.escalation_level:
        base_role, base_unit = case.escalated_to_role, case.escalated_to_unit
    else:
        base_role, base_unit = case.holder_role, case.holder_unit
    supervisor = ctx.rules.supervisor(base_role, base_unit) if base_role else None
    if supervisor is None:
        return None
    role, unit = supervisor
    level = case.escalation_level + 1
    case = replace(case, escalated_to_role=role.value, escalated_to_unit=unit, escalation_level=level)
    await uow.cases.save(case)
    details = {"to_role": role.value, "to_unit": unit, "level": level}
    await record(uow, case, Move("escalated", details=details), case.step, case.step, now)
    await uow.outbox.add(
        ROUTING_SLA,
        CaseEscalated(
            case_id=case.case_id,
            submission_id=_submission(case),
            service_code=case.service_code,
            step=case.step,
            holder_role=case.holder_role,
            holder_unit=case.holder_unit,
            escalated_to_role=role.value,
            escalated_to_unit=unit,
            level=level,
            due_at=due_at,
            escalated_at=now,
        ),
        correlation_id=case.correlation_id,
    )
    await notify(
        uow,
        ctx,
        case,
        kind="ESKALASI",
        role=role.value,
        unit=unit,
        title=f"Eskalasi: {case.title}",
        message=f"Tahap '{step.label}' terlambat sejak {local(ctx, due_at)} WIB (eskalasi tingkat {level}).",
        at=now,
        correlation_id=case.correlation_id,
        due_at=due_at,
    )
    log.info("case.escalated", case_id=case.case_id, to_role=role.value, level=level)
    return case


async def _diagnosis_timed_out(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    definition: WorkflowDefinition,
    step: Step,
    now: datetime,
) -> None:
    onward = next((t for t in step.transitions if t.action is Action.DIAGNOSIS_TIMED_OUT), None)
    if onward is None:
        return
    case = replace(case, diagnosis_request_id=None)  # a late answer is ignored
    seconds = int(ctx.diagnosis_timeout.total_seconds())
    move = Move(
        onward.action.value,
        note=f"Gateway absensi tidak menjawab dalam {seconds} detik; pemeriksaan berlanjut tanpa diagnosis.",
    )
    await enter(uow, ctx, case, definition, onward.to, move, now, case.correlation_id)
