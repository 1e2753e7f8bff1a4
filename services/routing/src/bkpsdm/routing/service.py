"""Routing's use cases for officials and for submissions: each one unit of work that changes
state, appends history and adds its events."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.contracts import CASES, SubmissionAcknowledged, SubmissionReceived, SubmissionReturned
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.agenda import agenda_number
from bkpsdm.routing.domain.case import Case, CaseStatus, HistoryEntry, Origin, open_case
from bkpsdm.routing.domain.delegation import Delegation, DelegationKind, new_delegation
from bkpsdm.routing.domain.disposisi import Addressee, Disposisi, Read, check_disposisi
from bkpsdm.routing.domain.engine import Actor, Standing, authorise, offered, resolve, standing
from bkpsdm.routing.domain.sla import Clock
from bkpsdm.routing.domain.workflow import Action, Transition, WorkflowDefinition
from bkpsdm.routing.moves import (
    CASE_BREACH,
    CASE_WARNING,
    Move,
    announcement,
    arrive,
    enter,
    notify,
    record,
    schedule_case_clock,
    skip_diagnosis,
)
from bkpsdm.routing.ports import RoutingContext, RoutingUnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class ActionInput:
    """What an official sends with an action; each action reads the fields it needs."""

    to: str | None = None
    note: str | None = None
    reasons: tuple[str, ...] = ()
    summary: str | None = None
    instructions: tuple[str, ...] = ()
    recipients: tuple[Addressee, ...] = ()
    tembusan: tuple[Addressee, ...] = ()
    due_at: datetime | None = None

    def fingerprint(self, case_id: str, action: str) -> str:
        content = {
            "case_id": case_id,
            "action": action,
            "to": self.to,
            "note": self.note,
            "reasons": list(self.reasons),
            "summary": self.summary,
            "instructions": list(self.instructions),
            "recipients": [[a.role, a.unit] for a in self.recipients],
            "tembusan": [[a.role, a.unit] for a in self.tembusan],
            "due_at": self.due_at.isoformat() if self.due_at else None,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    response: dict[str, Any]  # JSON-able: kept per client key, answered again on a retry
    replayed: bool


def _result(
    ctx: RoutingContext, case: Case, definition: WorkflowDefinition, action: str, entry: HistoryEntry | None
) -> dict[str, Any]:
    step = definition.step(case.step)
    zone = ctx.sla.calendar.zone
    return {
        "case_id": case.case_id,
        "action": action,
        "status": case.status.value,
        "step": case.step,
        "step_label": step.label,
        "holder_role": case.holder_role,
        "holder_unit": case.holder_unit,
        "due_at": case.step_due_at.astimezone(zone).isoformat() if case.step_due_at else None,
        "agenda_number": case.agenda_number,
        "history_seq": entry.seq if entry else None,
    }


async def _once(
    uow: RoutingUnitOfWork,
    actor: Actor,
    client_key: str | None,
    case_id: str,
    action: str,
    fingerprint: str,
    now: datetime,
    perform: Callable[[], Awaitable[dict[str, Any]]],
) -> Outcome:
    """Run `perform` in the open unit of work once per client key: the same key and request
    again is the first answer; the same key with another action or content is refused."""
    claimed = client_key is None or await uow.cases.claim_key(
        actor.subject, client_key, case_id, action, fingerprint, now
    )
    if not claimed:
        assert client_key is not None
        stored = await uow.cases.stored_key(actor.subject, client_key)
        if (
            stored is None
            or stored.response is None
            or (stored.case_id, stored.action, stored.fingerprint)
            != (
                case_id,
                action,
                fingerprint,
            )
        ):
            raise DomainError(errors.CLIENT_KEY_REUSED)
        log.info("action.retry_answered", case_id=case_id, action=action)
        return Outcome(stored.response, replayed=True)
    response = await perform()
    if client_key is not None:
        await uow.cases.save_key_response(actor.subject, client_key, response)
    return Outcome(response, replayed=False)


# ---- opening a case ----


def _from_submission(event: SubmissionReceived) -> dict[str, Any]:
    return {
        "period": event.period,
        "recap": event.recap.model_dump(mode="json") if event.recap else None,
        "documents": tuple(d.model_dump(mode="json") for d in event.documents or ()),
        "request": dict(event.request or {}),
    }


async def open_case_for_submission(
    uow: RoutingUnitOfWork, ctx: RoutingContext, event: SubmissionReceived, correlation_id: str | None
) -> Case | None:
    """Open a case for a submission and acknowledge it, once per submission; a resubmission
    (`replaces`) continues the case of the submission it replaces. Runs inside the
    subscription's unit of work, which has already skipped a redelivery."""
    now = ctx.clock()
    if event.replaces:
        earlier = await uow.cases.by_submission(event.replaces, for_update=True)
        if earlier is not None and not earlier.closed:
            return await _continue_with(uow, ctx, earlier, event, correlation_id, now)
    definition = ctx.workflows.current(event.service_code)
    if definition is None:
        raise DomainError(errors.WORKFLOW_UNKNOWN, {"service_code": event.service_code})
    case, placement, case_clock = open_case(
        definition,
        submission_id=event.submission_id,
        perangkat_daerah=event.perangkat_daerah,
        title=event.title,
        opened_at=now,
        opened_by=None,
        sla=ctx.sla,
        rules_version=ctx.rules.version,
        **_from_submission(event),
    )
    if not await uow.cases.add(case, correlation_id):
        log.info("case.already_open", submission_id=event.submission_id)
        return None
    opened = Move("opened", note=event.receipt_number, details={"receipt_number": event.receipt_number})
    await record(uow, case, opened, None, case.step, now)
    await schedule_case_clock(uow, case, case_clock)
    await uow.outbox.add(
        CASES,
        SubmissionAcknowledged(submission_id=case.submission_id, case_id=case.case_id, acknowledged_at=now),
        correlation_id=correlation_id,
    )
    case = await _arrive_first(uow, ctx, case, definition, placement.clock, opened, now, correlation_id)
    log.info("case.opened", submission_id=case.submission_id, case_id=case.case_id, step=case.step)
    return case


async def _arrive_first(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    definition: WorkflowDefinition,
    clock: Clock | None,
    move: Move,
    now: datetime,
    correlation_id: str | None,
) -> Case:
    case, skip = await arrive(uow, ctx, case, definition, clock, move, now, correlation_id, previous=None)
    if skip:
        case, _ = await skip_diagnosis(uow, ctx, case, definition, now, correlation_id)
    return case


async def _continue_with(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    event: SubmissionReceived,
    correlation_id: str | None,
    now: datetime,
) -> Case | None:
    if not await uow.cases.link_submission(event.submission_id, case.case_id, now):
        log.info("case.resubmission_already_linked", submission_id=event.submission_id)
        return None
    case = replace(
        case, current_submission_id=event.submission_id, title=event.title, **_from_submission(event)
    )
    await uow.outbox.add(
        CASES,
        SubmissionAcknowledged(submission_id=event.submission_id, case_id=case.case_id, acknowledged_at=now),
        correlation_id=correlation_id,
    )
    definition = ctx.definition(case)
    details = {
        "submission_id": event.submission_id,
        "replaces": event.replaces,
        "receipt_number": event.receipt_number,
    }
    if case.status is CaseStatus.RETURNED:
        transition = resolve(definition, case.step, Action.RESUBMITTED, None)
        clock = ctx.sla.case(now, definition.completion.working_days) if definition.completion else None
        # The applicant's time is not the agency's: the resubmission starts the service clock again.
        case = replace(
            case,
            status=CaseStatus.ACTIVE,
            sla_round=case.sla_round + 1,
            case_due_at=clock.due_at if clock else None,
        )
        await schedule_case_clock(uow, case, clock)
        move = Move(Action.RESUBMITTED.value, note=event.receipt_number, details=details)
        case, _ = await enter(uow, ctx, case, definition, transition.to, move, now, correlation_id)
    else:
        # Replaced while in progress: the case goes on where it is, under the new submission.
        await uow.cases.save(case)
        move = Move("submission-replaced", note=event.receipt_number, details=details)
        await record(uow, case, move, case.step, case.step, now)
        await uow.outbox.add(
            CASES, announcement(case, definition.step(case.step), move, now), correlation_id=correlation_id
        )
    log.info("case.resubmitted", case_id=case.case_id, submission_id=event.submission_id, step=case.step)
    return case


async def start_case(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    actor: Actor,
    *,
    service_code: str,
    title: str,
    note: str | None,
    client_key: str | None,
    correlation_id: str | None,
) -> Outcome:
    """An official starts a case of a workflow begun inside the agency (the portal cycle)."""
    definition = ctx.workflows.current(service_code)
    if definition is None:
        raise DomainError(errors.WORKFLOW_UNKNOWN, {"service_code": service_code})
    if definition.started_by_role is None:
        raise DomainError(errors.WORKFLOW_NOT_INTERNAL)
    if definition.started_by_role not in actor.roles:
        raise DomainError(errors.START_FORBIDDEN, {"role": definition.started_by_role})
    now = ctx.clock()
    fingerprint = ActionInput(note=note, summary=title).fingerprint(service_code, "start")

    async def perform() -> dict[str, Any]:
        case, placement, case_clock = open_case(
            definition,
            submission_id=None,
            perangkat_daerah=actor.unit or "BKPSDM",
            title=title,
            opened_at=now,
            opened_by=actor.subject,
            sla=ctx.sla,
            rules_version=ctx.rules.version,
        )
        await uow.cases.add(case, correlation_id)
        held = Standing(definition.started_by_role or "")
        move = Move("opened", actor, held, note)
        entry = await record(uow, case, move, None, case.step, now)
        await schedule_case_clock(uow, case, case_clock)
        await uow.outbox.add(
            CASES, announcement(case, placement.step, move, now), correlation_id=correlation_id
        )
        case = await _arrive_first(uow, ctx, case, definition, placement.clock, move, now, correlation_id)
        log.info("case.started", case_id=case.case_id, service_code=service_code)
        return _result(ctx, case, definition, "start", entry)

    async with uow:
        return await _once(
            uow, actor, client_key, f"start:{service_code}", "start", fingerprint, now, perform
        )


# ---- officials' actions ----


async def _read_on_acting(
    uow: RoutingUnitOfWork,
    definition: WorkflowDefinition,
    case: Case,
    actor: Actor,
    held: Standing,
    now: datetime,
) -> None:
    """Acting on a case is reading the disposisi that brought it: it can no longer be withdrawn."""
    if not any(
        t.action is Action.DISPOSISI and t.to == case.step for s in definition.steps for t in s.transitions
    ):
        return  # no disposisi leads to this step
    unit = held.delegation.unit if held.delegation else actor.unit
    for d in await uow.cases.disposisi_of(case.case_id):
        if d.withdrawn_at is None and d.to_step == case.step and d.addressed_to(frozenset({held.role}), unit):
            await uow.cases.record_read(d.disposisi_id, Read(actor.subject, actor.name, held.role, now))


def _next_holder(definition: WorkflowDefinition, transition: Transition) -> Addressee | None:
    holder = definition.step(transition.to).holder
    if holder is None or holder.is_system:
        return None
    return Addressee(holder.role, holder.unit)


async def act(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    actor: Actor,
    case_id: str,
    action: Action,
    data: ActionInput,
    *,
    client_key: str | None,
    correlation_id: str | None,
) -> Outcome:
    """An official takes an action on a case's current step: refused unless the step offers it
    (409) and the official holds the step, in person or as Plt/Plh (403)."""
    now = ctx.clock()

    async def perform() -> dict[str, Any]:
        case = await uow.cases.get(case_id, for_update=True)
        if case is None:
            raise DomainError(errors.CASE_NOT_FOUND)
        definition = ctx.definition(case)
        delegations = await uow.cases.delegations(active_at=now, subject=actor.subject)
        transition, held = authorise(definition, case, actor, delegations, action, data.to)
        await _read_on_acting(uow, definition, case, actor, held, now)
        return await _perform(
            uow, ctx, case, definition, transition, held, actor, action, data, now, correlation_id
        )

    async with uow:
        return await _once(
            uow,
            actor,
            client_key,
            case_id,
            action.value,
            data.fingerprint(case_id, action.value),
            now,
            perform,
        )


async def _perform(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    definition: WorkflowDefinition,
    transition: Transition,
    held: Standing,
    actor: Actor,
    action: Action,
    data: ActionInput,
    now: datetime,
    correlation_id: str | None,
) -> dict[str, Any]:
    details: dict[str, Any] = {}
    note = data.note
    due_at: datetime | None = None
    notify_kind = "INBOX"
    if action is Action.REGISTER:
        local = now.astimezone(ctx.sla.calendar.zone)
        seq = await uow.cases.next_agenda_seq(local.year)
        number = agenda_number(
            ctx.rules.agenda.pattern,
            seq=seq,
            local_time=local,
            unit=ctx.rules.agenda.unit,
            service=case.service_code,
            classification=ctx.rules.agenda.classification_of(case.service_code),
        )
        case = replace(case, agenda_number=number)
        details = {"agenda_number": number, "agenda_year": local.year, "agenda_seq": seq}
    elif action is Action.DISPOSISI:
        check_disposisi(
            instructions=data.instructions,
            known_instructions=ctx.rules.instruction_codes,
            recipients=data.recipients,
            tembusan=data.tembusan,
            next_holder=_next_holder(definition, transition),
            due_at=data.due_at,
            now=now,
        )
        disposisi = Disposisi(
            disposisi_id=str(uuid.uuid4()),
            case_id=case.case_id,
            from_step=case.step,
            to_step=transition.to,
            instructions=tuple(dict.fromkeys(data.instructions)),
            note=data.note,
            recipients=data.recipients,
            tembusan=data.tembusan,
            due_at=data.due_at,
            issued_by_subject=actor.subject,
            issued_by_name=actor.name,
            issued_role=held.role,
            issued_at=now,
        )
        await uow.cases.add_disposisi(disposisi)
        details = {"disposisi_id": disposisi.disposisi_id, "instructions": list(disposisi.instructions)}
        due_at, notify_kind = data.due_at, "DISPOSISI"
    elif action is Action.RETURN:
        if case.origin is Origin.INTERNAL:
            raise DomainError(errors.ACTION_NOT_ALLOWED, {"step": case.step, "action": action.value})
        details = {"reasons": list(data.reasons)}
        note = note or "; ".join(data.reasons)
        case = replace(case, status=CaseStatus.RETURNED)
        await uow.deadlines.cancel(case.case_id, CASE_WARNING)
        await uow.deadlines.cancel(case.case_id, CASE_BREACH)
        notify_kind = "DIKEMBALIKAN"
    elif action is Action.REPORT:
        details = {"summary": data.summary}
    move = Move(action.value, actor, held, note, details)
    case, entry = await enter(
        uow,
        ctx,
        case,
        definition,
        transition.to,
        move,
        now,
        correlation_id,
        due_at=due_at,
        announce=action is not Action.RETURN,
        notify_kind=notify_kind,
    )
    if action is Action.RETURN:
        # The applicant's timeline shows the return with its reasons (not a step change).
        await uow.outbox.add(
            CASES,
            SubmissionReturned(
                submission_id=case.current_submission_id,
                case_id=case.case_id,
                reasons=list(data.reasons),
                returned_by_role=held.role,
                returned_at=now,
            ),
            correlation_id=correlation_id,
        )
    if action is Action.DISPOSISI:
        await _tell_addressees(uow, ctx, case, data, transition, definition, now, correlation_id)
    result = _result(ctx, case, definition, action.value, entry)
    if action is Action.DISPOSISI:
        result["disposisi_id"] = details["disposisi_id"]
    return result


async def _tell_addressees(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    case: Case,
    data: ActionInput,
    transition: Transition,
    definition: WorkflowDefinition,
    now: datetime,
    correlation_id: str | None,
) -> None:
    holder = (case.holder_role, case.holder_unit)
    labels = {i.code: i.label for i in ctx.rules.instructions}
    what = ", ".join(labels[c] for c in dict.fromkeys(data.instructions)) + (
        f". {data.note}" if data.note else ""
    )
    for kind, group in (("DISPOSISI", data.recipients), ("TEMBUSAN", data.tembusan)):
        for a in group:
            if (a.role, a.unit) == holder:
                continue  # already told by the case arriving in their inbox
            await notify(
                uow,
                ctx,
                case,
                kind=kind,
                role=a.role,
                unit=a.unit,
                title=f"{'Disposisi' if kind == 'DISPOSISI' else 'Tembusan disposisi'}: {case.title}",
                message=what,
                at=now,
                correlation_id=correlation_id,
                due_at=data.due_at,
            )


# ---- disposisi: reading and withdrawing ----


def _reach(actor: Actor, delegations: list[Delegation]) -> list[tuple[frozenset[str], str | None]]:
    return [(actor.roles, actor.unit), *((frozenset({d.role}), d.unit) for d in delegations)]


async def read_disposisi(
    uow: RoutingUnitOfWork, ctx: RoutingContext, actor: Actor, disposisi_id: str
) -> Disposisi:
    """A recipient (or copy) opens the disposisi: the read is recorded once."""
    now = ctx.clock()
    async with uow:
        found = await uow.cases.disposisi(disposisi_id, for_update=True)
        if found is None:
            raise DomainError(errors.DISPOSISI_NOT_FOUND)
        delegations = await uow.cases.delegations(active_at=now, subject=actor.subject)
        reached = [
            (a, roles) for roles, unit in _reach(actor, delegations) if (a := found.addressed_to(roles, unit))
        ]
        if not reached:
            raise DomainError(errors.DISPOSISI_NOT_RECIPIENT)
        if found.withdrawn_at is None:
            addressee, _ = reached[0]
            if await uow.cases.record_read(
                disposisi_id, Read(actor.subject, actor.name, addressee.role, now)
            ):
                log.info("disposisi.read", disposisi_id=disposisi_id, case_id=found.case_id)
            found = await uow.cases.disposisi(disposisi_id) or found
        return found


async def withdraw_disposisi(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    actor: Actor,
    disposisi_id: str,
    *,
    client_key: str | None,
    correlation_id: str | None,
) -> Outcome:
    """The issuer takes back an unread disposisi: the case returns to the step it left."""
    now = ctx.clock()

    async def perform() -> dict[str, Any]:
        found = await uow.cases.disposisi(disposisi_id, for_update=True)
        if found is None:
            raise DomainError(errors.DISPOSISI_NOT_FOUND)
        if found.issued_by_subject != actor.subject:
            raise DomainError(errors.DISPOSISI_NOT_ISSUER)
        found.withdrawable()
        case = await uow.cases.get(found.case_id, for_update=True)
        assert case is not None
        if case.step != found.to_step or case.closed:
            raise DomainError(errors.DISPOSISI_ALREADY_READ)  # the case was acted on since
        definition = ctx.definition(case)
        await uow.cases.withdraw_disposisi(disposisi_id, now)
        move = Move(
            "disposisi-withdrawn", actor, Standing(found.issued_role), details={"disposisi_id": disposisi_id}
        )
        case, entry = await enter(uow, ctx, case, definition, found.from_step, move, now, correlation_id)
        for a in (*found.recipients, *found.tembusan):
            await notify(
                uow,
                ctx,
                case,
                kind="DISPOSISI_DITARIK",
                role=a.role,
                unit=a.unit,
                title=f"Disposisi ditarik kembali: {case.title}",
                message="Disposisi ini ditarik kembali oleh pemberinya sebelum dibaca.",
                at=now,
                correlation_id=correlation_id,
            )
        result = _result(ctx, case, definition, "withdraw-disposisi", entry)
        result["disposisi_id"] = disposisi_id
        return result

    async with uow:
        return await _once(
            uow, actor, client_key, disposisi_id, "withdraw-disposisi", disposisi_id, now, perform
        )


# ---- what officials read ----


@dataclass(frozen=True)
class CaseDetails:
    case: Case
    definition: WorkflowDefinition
    submissions: list[str]
    history: list[HistoryEntry]
    disposisi: list[Disposisi]
    offered: list[Transition]
    standing: Standing | None


def _visible(case: Case | None, actor: Actor) -> Case:
    # An applicant unit sees its own cases only; another unit's is "not found".
    if case is None or (Role.PERANGKAT_DAERAH in actor.roles and case.perangkat_daerah != actor.unit):
        raise DomainError(errors.CASE_NOT_FOUND)
    return case


async def case_details(
    uow: RoutingUnitOfWork, ctx: RoutingContext, actor: Actor, case_id: str
) -> CaseDetails:
    now = ctx.clock()
    async with uow:
        case = _visible(await uow.cases.get(case_id), actor)
        delegations = await uow.cases.delegations(active_at=now, subject=actor.subject)
        definition = ctx.definition(case)
        return CaseDetails(
            case=case,
            definition=definition,
            submissions=await uow.cases.submissions_of(case.case_id),
            history=await uow.cases.history(case.case_id),
            disposisi=await uow.cases.disposisi_of(case.case_id),
            offered=offered(definition, case, actor, delegations),
            standing=standing(case, actor, delegations),
        )


async def case_for_submission(uow: RoutingUnitOfWork, actor: Actor, submission_id: str) -> Case:
    async with uow:
        return _visible(await uow.cases.by_submission(submission_id), actor)


async def inbox(
    uow: RoutingUnitOfWork, ctx: RoutingContext, actor: Actor, limit: int, offset: int
) -> list[tuple[Case, bool, Delegation | None]]:
    """The open cases the actor holds (their roles in their unit, and the roles they act for),
    and those escalated to them, soonest due (so overdue) first."""
    now = ctx.clock()
    async with uow:
        delegations = await uow.cases.delegations(active_at=now, subject=actor.subject)
        holders = [(r, actor.unit) for r in sorted(actor.roles)] + [(d.role, d.unit) for d in delegations]
        found = await uow.cases.inbox(holders, limit, offset)
    items = []
    for case, escalated in found:
        via = None
        if not escalated and standing(case, actor, []) is None:
            via = next((d for d in delegations if d.covers(case.holder_role or "", case.holder_unit)), None)
        items.append((case, escalated, via))
    return items


# ---- delegation (Plt/Plh) ----


async def grant_delegation(
    uow: RoutingUnitOfWork,
    ctx: RoutingContext,
    actor: Actor,
    *,
    role: Role,
    unit: str | None,
    delegate_subject: str,
    delegate_name: str,
    kind: DelegationKind,
    starts_at: datetime,
    ends_at: datetime,
    for_name: str | None,
) -> Delegation:
    now = ctx.clock()
    delegation = new_delegation(
        role=role,
        unit=unit,
        delegate_subject=delegate_subject,
        delegate_name=delegate_name,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        for_name=for_name,
        granted_by_subject=actor.subject,
        granted_by_name=actor.name,
        granted_by_roles=frozenset(Role(r) for r in actor.roles),
        granted_by_unit=actor.unit,
        now=now,
        max_days=ctx.rules.delegation_max_days,
    )
    async with uow:
        await uow.cases.add_delegation(delegation)
    log.info("delegation.granted", delegation_id=delegation.delegation_id, role=role.value, kind=kind.value)
    return delegation


async def revoke_delegation(
    uow: RoutingUnitOfWork, ctx: RoutingContext, actor: Actor, delegation_id: str
) -> Delegation:
    now = ctx.clock()
    async with uow:
        found = await uow.cases.delegation(delegation_id, for_update=True)
        if found is None:
            raise DomainError(errors.DELEGATION_NOT_FOUND)
        if found.revoked_at is not None:
            raise DomainError(errors.DELEGATION_REVOKED)
        if found.granted_by_subject != actor.subject and Role.KEPALA_BADAN not in actor.roles:
            raise DomainError(errors.DELEGATION_FORBIDDEN)
        await uow.cases.revoke_delegation(delegation_id, now)
    log.info("delegation.revoked", delegation_id=delegation_id)
    return replace(found, revoked_at=now)


async def delegations(uow: RoutingUnitOfWork, ctx: RoutingContext, *, active_only: bool) -> list[Delegation]:
    async with uow:
        return await uow.cases.delegations(active_at=ctx.clock() if active_only else None)
