"""A case: routing's record of one request going through its workflow. Pure: no I/O.

The case keeps the workflow version, rule set and calendar it runs under, so it can be
explained later, and the step it is at: who holds it, since when, by when. Every change is
also an append-only history entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bkpsdm.routing.domain.sla import Clock, SlaClock
from bkpsdm.routing.domain.workflow import APPLICANT_UNIT, SYSTEM, Step, WorkflowDefinition


class CaseStatus(StrEnum):
    ACTIVE = "AKTIF"
    RETURNED = "DIKEMBALIKAN"  # waiting on the applicant's resubmission
    DONE = "SELESAI"


class Origin(StrEnum):
    SUBMISSION = "SUBMISSION"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class Case:
    case_id: str
    submission_id: str  # the submission that opened it; an internal case's own id
    current_submission_id: str  # the latest (a resubmission replaces it)
    service_code: str
    perangkat_daerah: str
    title: str
    workflow_version: str  # "E-LAPKIN/1"
    rules_version: str
    calendar_version: str
    origin: Origin
    opened_at: datetime
    opened_by: str | None
    status: CaseStatus
    step: str
    holder_role: str | None  # None on a system step
    holder_unit: str | None
    step_entered_at: datetime
    step_due_at: datetime | None
    step_visit: int  # counts step entries: a deadline of an earlier visit is stale
    case_due_at: datetime | None
    sla_round: int = 1  # a resubmission restarts the case's clock
    agenda_number: str | None = None
    period: str | None = None
    recap: dict[str, Any] | None = None
    documents: tuple[dict[str, Any], ...] = ()
    request: dict[str, str] = field(default_factory=dict)
    upload_request_id: str | None = None
    upload_attempt: int = 0
    diagnosis_request_id: str | None = None
    diagnosis: dict[str, Any] | None = None
    escalated_to_role: str | None = None
    escalated_to_unit: str | None = None
    escalation_level: int = 0
    correlation_id: str | None = None  # of the request that opened it: the clock's events carry it

    @property
    def closed(self) -> bool:
        return self.status is CaseStatus.DONE


@dataclass(frozen=True)
class HistoryEntry:
    case_id: str
    at: datetime
    action: str  # an Action, or what routing noted: opened, sla-warning, escalated, ...
    from_step: str | None
    to_step: str | None
    actor_subject: str | None  # None: routing itself
    actor_name: str | None
    actor_role: str | None
    acting_for: dict[str, Any] | None = None  # Plt/Plh: whose role the actor held
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # given by the repository


@dataclass(frozen=True)
class Placement:
    """Where entering a step puts a case: who holds it and its clock."""

    step: Step
    holder_role: str | None
    holder_unit: str | None
    clock: Clock | None


def place(
    case_unit: str, step: Step, entered_at: datetime, sla: SlaClock, due_at: datetime | None = None
) -> Placement:
    """`due_at`: a deadline someone set for this step (a disposisi's own), instead of its SLA."""
    holder = step.holder
    if holder is None or holder.role == SYSTEM:
        role, unit = None, None
    else:
        role, unit = holder.role, case_unit if holder.unit == APPLICANT_UNIT else holder.unit
    clock = sla.until(entered_at, due_at) if due_at is not None else sla.step(entered_at, step.service_hours)
    return Placement(step, role, unit, clock)


def moved(case: Case, placement: Placement, at: datetime) -> Case:
    status = CaseStatus.DONE if placement.step.final else case.status
    return replace(
        case,
        status=status,
        step=placement.step.code,
        holder_role=placement.holder_role,
        holder_unit=placement.holder_unit,
        step_entered_at=at,
        step_due_at=placement.clock.due_at if placement.clock else None,
        step_visit=case.step_visit + 1,
        escalated_to_role=None,
        escalated_to_unit=None,
        escalation_level=0,
    )


def open_case(
    definition: WorkflowDefinition,
    *,
    case_id: str | None = None,
    submission_id: str | None,
    perangkat_daerah: str,
    title: str,
    opened_at: datetime,
    opened_by: str | None,
    sla: SlaClock,
    rules_version: str,
    period: str | None = None,
    recap: dict[str, Any] | None = None,
    documents: tuple[dict[str, Any], ...] = (),
    request: dict[str, str] | None = None,
) -> tuple[Case, Placement, Clock | None]:
    """A new case at its workflow's first step; also that step's placement and the case clock."""
    case_id = case_id or str(uuid.uuid4())
    first = definition.step(definition.initial_step)
    placement = place(perangkat_daerah, first, opened_at, sla)
    case_clock = sla.case(opened_at, definition.completion.working_days) if definition.completion else None
    case = Case(
        case_id=case_id,
        submission_id=submission_id or case_id,
        current_submission_id=submission_id or case_id,
        service_code=definition.code,
        perangkat_daerah=perangkat_daerah,
        title=title,
        workflow_version=definition.key,
        rules_version=rules_version,
        calendar_version=sla.calendar.version,
        origin=Origin.SUBMISSION if submission_id else Origin.INTERNAL,
        opened_at=opened_at,
        opened_by=opened_by,
        status=CaseStatus.ACTIVE,
        step=first.code,
        holder_role=placement.holder_role,
        holder_unit=placement.holder_unit,
        step_entered_at=opened_at,
        step_due_at=placement.clock.due_at if placement.clock else None,
        step_visit=1,
        case_due_at=case_clock.due_at if case_clock else None,
        period=period,
        recap=recap,
        documents=documents,
        request=dict(request or {}),
    )
    return case, placement, case_clock
