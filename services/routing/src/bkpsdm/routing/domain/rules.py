"""Routing's versioned rule set (DOMAIN.md "Agenda numbers and dispositions", "Service hours
and SLA clocks"): the agenda-number pattern, the disposisi instruction codes, who a late
step escalates to, when a warning comes. The agency replaces the file; it is validated when
loaded and its version is recorded with every case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.domain_errors import validation_problems
from bkpsdm.routing.domain.agenda import check_pattern

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "rules" / "default.json"

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OFFICIAL_ROLES = frozenset(r for r in Role if r not in (Role.PERANGKAT_DAERAH, Role.INTERNAL_SERVICE))


class RulesError(Exception):
    pass


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgendaRule(_Model):
    pattern: Text = Field(
        description="str.format fields: seq, year, month, roman_month, unit, service, classification"
    )
    unit: Text = Field(description="The agency's code in the agenda number")
    # The archive classification code (kode klasifikasi) of a service's letters; 800 is
    # kepegawaian in the regional archive classification.
    classification: Text = Field(default="800", description="Classification code when a service has none")
    classification_by_service: dict[str, Text] = Field(default_factory=dict)

    def classification_of(self, service: str) -> str:
        return self.classification_by_service.get(service, self.classification)

    @model_validator(mode="after")
    def _formats(self) -> Self:
        check_pattern(self.pattern)
        return self


class Instruction(_Model):
    code: Code
    label: Text


class Escalation(_Model):
    role: Role
    to: Role
    same_unit: bool = Field(default=False, description="The supervisor is of the late holder's unit")
    unit: str | None = Field(default=None, description="The supervisor's unit, when fixed")


class RoutingRules(_Model):
    version: Text
    agenda: AgendaRule
    instructions: tuple[Instruction, ...] = Field(min_length=1)
    escalation: tuple[Escalation, ...]
    warning_fraction: float = Field(gt=0, lt=1, description="Warn when this share of the SLA is left")
    delegation_max_days: int = Field(ge=1, le=366)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [i.code for i in self.instructions]
        if len(set(codes)) != len(codes):
            raise ValueError("instruction codes repeated")
        chain = {e.role: e.to for e in self.escalation}
        if len(chain) != len(self.escalation):
            raise ValueError("a role escalates to two supervisors")
        for role in chain:
            seen = {role}
            nxt = chain.get(role)
            while nxt is not None:
                if nxt in seen:
                    raise ValueError(f"escalation from {role} goes round in a circle")
                seen.add(nxt)
                nxt = chain.get(nxt)
        for e in self.escalation:
            if e.same_unit and e.unit is not None:
                raise ValueError(f"escalation of {e.role}: same_unit and unit exclude each other")
            if e.role not in OFFICIAL_ROLES or e.to not in OFFICIAL_ROLES:
                raise ValueError(f"escalation of {e.role}: only officials escalate")
        return self

    @property
    def instruction_codes(self) -> frozenset[str]:
        return frozenset(i.code for i in self.instructions)

    def supervisor(self, role: str, unit: str | None) -> tuple[Role, str | None] | None:
        """Who a late step held by (`role`, `unit`) escalates to; None at the top."""
        for e in self.escalation:
            if e.role == role:
                return e.to, unit if e.same_unit else e.unit
        return None


def load_rules(path: Path | None = None) -> RoutingRules:
    path = path or DEFAULT_RULES_PATH
    try:
        return RoutingRules.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise RulesError(f"{path.name}: {problems}") from exc
