"""Workflow definitions: one versioned JSON file per service standard (seeds 000-004).

A definition names its steps, who holds each one, how long it may take in service hours,
and the transitions each action takes. Files are validated when loaded (unknown roles,
unreachable steps and dead ends are refused), so a broken definition stops routing at
start-up instead of stranding a case later. Several versions of one standard may sit side
by side: a case keeps the version it was opened under, new cases take the newest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.domain_errors import validation_problems

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "workflows"

SYSTEM = "system"  # a step routing itself moves on an event (an upload result, a diagnosis)
APPLICANT_UNIT = "@pemohon"  # a step held by the applicant unit of the case

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StepCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)*$")]


class WorkflowError(Exception):
    """The definition files are unusable; the message names the file and the problem."""


class Action(StrEnum):
    """What moves a case. Officials take the first group over HTTP; routing takes the second
    when an event arrives."""

    REGISTER = "register"  # the admin desk gives the agenda number
    FORWARD = "forward"
    PARAF = "paraf"
    DISPOSISI = "disposisi"
    RETURN = "return"  # back to the applicant unit with reasons
    ACCEPT = "accept"  # documents in order: the upload is requested
    RETRY_UPLOAD = "retry-upload"
    REPORT = "report"
    SEND_BACK = "send-back"  # a loop back to an earlier step ("kembali pada proses nomor ...")
    COMPLETE = "complete"
    RESUBMITTED = "resubmitted"
    UPLOAD_COMPLETED = "upload-completed"
    UPLOAD_PARTIALLY_COMPLETED = "upload-partially-completed"
    UPLOAD_FAILED = "upload-failed"
    DIAGNOSED = "diagnosed"
    DIAGNOSIS_TIMED_OUT = "diagnosis-timed-out"

    @property
    def by_system(self) -> bool:
        return self in _SYSTEM_ACTIONS


_SYSTEM_ACTIONS = frozenset(
    {
        Action.RESUBMITTED,
        Action.UPLOAD_COMPLETED,
        Action.UPLOAD_PARTIALLY_COMPLETED,
        Action.UPLOAD_FAILED,
        Action.DIAGNOSED,
        Action.DIAGNOSIS_TIMED_OUT,
    }
)


class OnEnter(StrEnum):
    """What routing asks of another service when a case enters the step."""

    REQUEST_UPLOAD = "REQUEST_UPLOAD"
    REQUEST_DIAGNOSIS = "REQUEST_DIAGNOSIS"


# The answers a step that asks must be ready to take, or the case would wait forever.
_ANSWERS: dict[OnEnter, frozenset[Action]] = {
    OnEnter.REQUEST_UPLOAD: frozenset({Action.UPLOAD_COMPLETED, Action.UPLOAD_FAILED}),
    OnEnter.REQUEST_DIAGNOSIS: frozenset({Action.DIAGNOSED, Action.DIAGNOSIS_TIMED_OUT}),
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Holder(_Model):
    role: str = Field(description="A role of bkpsdm.common.auth.Role, or 'system'")
    unit: str | None = Field(
        default=None, description="Only officials of this unit; '@pemohon' is the case's applicant unit"
    )

    @property
    def is_system(self) -> bool:
        return self.role == SYSTEM


class Transition(_Model):
    action: Action
    to: StepCode
    label: Text


class Step(_Model):
    code: StepCode
    label: Text = Field(description="The step as applicants and officials read it")
    seed_step: int | None = Field(default=None, ge=1, description="The procedure's own step number")
    holder: Holder | None = None
    service_hours: float | None = Field(default=None, gt=0, description="Step SLA in service hours")
    on_enter: OnEnter | None = None
    final: bool = False
    transitions: tuple[Transition, ...] = ()

    def actions(self) -> Iterator[Transition]:
        return iter(self.transitions)


class Completion(_Model):
    text: Text = Field(description="As the standard says it, e.g. '1 Hari'")
    working_days: float = Field(ge=0)


class WorkflowDefinition(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)*$")]
    version: int = Field(ge=1)
    name: Text
    sources: tuple[Text, ...] = Field(min_length=1)
    notes: Text | None = None
    started_by_role: str | None = Field(
        default=None, description="None: opened by a submission; else the role that starts a case"
    )
    completion: Completion | None = None
    initial_step: StepCode
    steps: tuple[Step, ...] = Field(min_length=2)

    @property
    def key(self) -> str:
        return f"{self.code}/{self.version}"

    @property
    def by_submission(self) -> bool:
        return self.started_by_role is None

    def step(self, code: str) -> Step:
        for step in self.steps:
            if step.code == code:
                return step
        raise KeyError(code)

    @model_validator(mode="after")
    def _sound(self) -> Self:
        problems = workflow_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _holder_problems(step: Step, by_submission: bool) -> list[str]:
    if step.final:
        return [f"final step {step.code} has a holder"] if step.holder else []
    if step.holder is None:
        return [f"step {step.code} has no holder"]
    role, unit = step.holder.role, step.holder.unit
    problems = []
    if role != SYSTEM and role not in {r.value for r in Role}:
        problems.append(f"step {step.code}: unknown role {role!r}")
    if role == SYSTEM and unit is not None:
        problems.append(f"step {step.code}: a system step has no unit")
    if unit == APPLICANT_UNIT and (role != Role.PERANGKAT_DAERAH or not by_submission):
        problems.append(f"step {step.code}: '@pemohon' needs a submitted case held by perangkat-daerah")
    return problems


def _transition_problems(step: Step, codes: set[str]) -> list[str]:
    problems = []
    if step.final and step.transitions:
        problems.append(f"final step {step.code} has transitions")
    if not step.final and not step.transitions:
        problems.append(f"dead end: step {step.code} has no transitions and is not final")
    seen: set[tuple[Action, str]] = set()
    system_step = step.holder is not None and step.holder.is_system
    for t in step.transitions:
        if t.to not in codes:
            problems.append(f"step {step.code}: transition to unknown step {t.to}")
        if (t.action, t.to) in seen:
            problems.append(f"step {step.code}: {t.action} to {t.to} declared twice")
        seen.add((t.action, t.to))
        if system_step and not t.action.by_system:
            problems.append(f"step {step.code}: nobody can take {t.action} on a system step")
    if step.on_enter is not None:
        missing = _ANSWERS[step.on_enter] - {t.action for t in step.transitions}
        if not system_step:
            problems.append(f"step {step.code}: {step.on_enter} needs a system step")
        if missing:
            problems.append(
                f"step {step.code}: {step.on_enter} cannot take {sorted(a.value for a in missing)}"
            )
    return problems


def _reachable(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), set()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def workflow_problems(d: WorkflowDefinition) -> list[str]:
    """Everything wrong with a definition, one line each; empty when it is sound."""
    codes = [s.code for s in d.steps]
    problems = [f"step {c} declared twice" for c in sorted({c for c in codes if codes.count(c) > 1})]
    known = set(codes)
    if d.started_by_role is not None and d.started_by_role not in {r.value for r in Role}:
        problems.append(f"unknown role {d.started_by_role!r} in started_by_role")
    if d.initial_step not in known:
        return [*problems, f"initial step {d.initial_step} is not a step"]
    by_code = {s.code: s for s in d.steps}
    if by_code[d.initial_step].final:
        problems.append("the initial step is final")
    for step in d.steps:
        problems += _holder_problems(step, d.by_submission)
        problems += _transition_problems(step, known)
        for t in step.transitions:
            if t.action is Action.RETURN and not d.by_submission:
                problems.append(f"step {step.code}: nobody to return an internal case to")
            if t.action is Action.RETURN and t.to in by_code:
                target = by_code[t.to]
                if Action.RESUBMITTED not in {x.action for x in target.transitions}:
                    problems.append(f"step {step.code}: {t.to} cannot take a resubmission")
    edges = {s.code: {t.to for t in s.transitions if t.to in known} for s in d.steps}
    unreachable = known - _reachable(d.initial_step, edges)
    if unreachable:
        problems.append(f"unreachable steps: {', '.join(sorted(unreachable))}")
    finals = {s.code for s in d.steps if s.final}
    if not finals:
        problems.append("no final step")
    stuck = sorted(c for c in known - finals if not _reachable(c, edges) & finals)
    if finals and stuck:
        problems.append(f"dead end: no way to a final step from {', '.join(stuck)}")
    return problems


@dataclass(frozen=True)
class Workflows:
    """Every loaded definition, by code and version."""

    definitions: Mapping[str, Mapping[int, WorkflowDefinition]]

    def current(self, code: str) -> WorkflowDefinition | None:
        versions = self.definitions.get(code)
        return versions[max(versions)] if versions else None

    def by_key(self, key: str) -> WorkflowDefinition | None:
        code, _, version = key.rpartition("/")
        if not version.isdigit():
            return None
        return self.definitions.get(code, {}).get(int(version))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted(self.definitions))


def _brief(exc: ValidationError) -> str:
    return "; ".join(validation_problems(exc))


def load_workflows(folder: Path | None = None) -> Workflows:
    """Every `*.json` in `folder` (default: the packaged definitions); raises WorkflowError."""
    folder = folder or WORKFLOWS_DIR
    files = sorted(folder.glob("*.json"))
    if not files:
        raise WorkflowError(f"no workflow definitions in {folder}")
    found: dict[str, dict[int, WorkflowDefinition]] = {}
    for path in files:
        try:
            definition = WorkflowDefinition.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise WorkflowError(f"{path.name}: {_brief(exc)}") from exc
        versions = found.setdefault(definition.code, {})
        if definition.version in versions:
            raise WorkflowError(f"{path.name}: {definition.key} appears twice")
        versions[definition.version] = definition
    return Workflows(found)
