"""The workflow engine: which actions a step offers to whom, and where each one leads. Pure.

Order of refusals: an action the current step does not offer is a wrong state (409), for
anyone; an action it offers, asked by someone who does not hold the step, is forbidden (403).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.case import Case
from bkpsdm.routing.domain.delegation import Delegation
from bkpsdm.routing.domain.workflow import Action, Transition, WorkflowDefinition


@dataclass(frozen=True)
class Actor:
    subject: str
    name: str
    roles: frozenset[str]
    unit: str | None


@dataclass(frozen=True)
class Standing:
    """How an actor holds a step: with their own role, or for an absent official."""

    role: str
    delegation: Delegation | None = None


def holds(holder_role: str | None, holder_unit: str | None, roles: Iterable[str], unit: str | None) -> bool:
    return holder_role is not None and holder_role in roles and (holder_unit is None or holder_unit == unit)


def standing(case: Case, actor: Actor, delegations: Sequence[Delegation]) -> Standing | None:
    """None when the actor may not act on the case's current step. `delegations` are the
    actor's active ones."""
    if case.closed or case.holder_role is None:
        return None
    if holds(case.holder_role, case.holder_unit, actor.roles, actor.unit):
        return Standing(case.holder_role)
    for d in delegations:
        if d.delegate_subject == actor.subject and d.covers(case.holder_role, case.holder_unit):
            return Standing(case.holder_role, d)
    return None


def resolve(definition: WorkflowDefinition, step_code: str, action: Action, to: str | None) -> Transition:
    """The transition `action` takes from the step; `to` chooses when the step offers several."""
    options = [t for t in definition.step(step_code).transitions if t.action is action]
    if not options:
        raise DomainError(errors.ACTION_NOT_ALLOWED, {"step": step_code, "action": action.value})
    if to is not None:
        chosen = next((t for t in options if t.to == to), None)
        if chosen is None:
            raise DomainError(errors.TARGET_NOT_ALLOWED, {"allowed": [t.to for t in options]})
        return chosen
    if len(options) > 1:
        raise DomainError(errors.TARGET_REQUIRED, {"allowed": [t.to for t in options]})
    return options[0]


def authorise(
    definition: WorkflowDefinition,
    case: Case,
    actor: Actor,
    delegations: Sequence[Delegation],
    action: Action,
    to: str | None,
) -> tuple[Transition, Standing]:
    """The transition an official's action takes and how they hold the step, or the refusal."""
    if case.closed:
        raise DomainError(errors.CASE_CLOSED)
    if action.by_system:
        raise DomainError(errors.ACTION_NOT_ALLOWED, {"step": case.step, "action": action.value})
    transition = resolve(definition, case.step, action, to)
    held = standing(case, actor, delegations)
    if held is None:
        raise DomainError(
            errors.NOT_STEP_HOLDER, {"holder_role": case.holder_role, "holder_unit": case.holder_unit}
        )
    return transition, held


def offered(
    definition: WorkflowDefinition, case: Case, actor: Actor, delegations: Sequence[Delegation]
) -> list[Transition]:
    """What the actor can do on the case now (nothing unless they hold its step)."""
    if standing(case, actor, delegations) is None:
        return []
    return [t for t in definition.step(case.step).transitions if not t.action.by_system]
