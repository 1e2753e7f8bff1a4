"""Indeks Kepuasan Masyarakat (PermenPANRB 14/2017): per service and survey period.

Decisions:
- IKM = mean of the element means x 25, computed exactly (fractions), then rounded to two
  decimals half-up before grading, so the grade boundaries (88.30/88.31, ...) are
  compared on the number the report prints. The regulation's worked example weighs each
  element by 0.111 instead of 1/9, which would give 99.90 for all-4 answers; exact 1/9
  keeps the index in [25, 100].
- Element means are shown to two decimals half-up; the weakest element is chosen on the
  exact means (ties: every tied element, in the rules' order).
- A response must answer every element with an integer within the scale; anything else
  is refused with a stable code, never skipped or clamped.
- Periods are semesters ("2026-S1" January-June, "2026-S2" July-December): seed 003
  surveys twice a year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from importlib import resources
from math import floor

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bkpsdm.complaints.domain import errors

DEFAULT_RULES_FILE = "ikm_rules.default.json"
_PERIOD = re.compile(r"^\d{4}-S[12]$")
_CENT = Decimal("0.01")


class SurveyElement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1)
    label: str = Field(min_length=1)


class Grade(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    grade: str = Field(min_length=1)
    label: str = Field(min_length=1)
    min_score: Decimal = Field(decimal_places=2)
    max_score: Decimal = Field(decimal_places=2)


class IkmRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    source: str
    elements: tuple[SurveyElement, ...] = Field(min_length=1)
    lowest_answer: int = Field(ge=0)
    highest_answer: int
    multiplier: Decimal = Field(gt=0)
    grades: tuple[Grade, ...] = Field(min_length=1)  # best first

    @model_validator(mode="after")
    def _consistent(self) -> IkmRules:
        codes = [e.code for e in self.elements]
        if len(set(codes)) != len(codes):
            raise ValueError("element codes must be unique")
        if self.highest_answer <= self.lowest_answer:
            raise ValueError("highest_answer must be above lowest_answer")
        # Grades must tile the whole reachable range at 0.01 steps, best first, no gap or overlap.
        expected_max = self.multiplier * self.highest_answer
        for grade in self.grades:
            if grade.max_score != expected_max or grade.min_score > grade.max_score:
                raise ValueError(f"grade {grade.grade} must run from at most {expected_max} down")
            expected_max = grade.min_score - _CENT
        if self.grades[-1].min_score != self.multiplier * self.lowest_answer:
            raise ValueError(f"the last grade must start at {self.multiplier * self.lowest_answer}")
        return self

    def grade_of(self, score: Decimal) -> Grade:
        rounded = score.quantize(_CENT, rounding=ROUND_HALF_UP)
        for grade in self.grades:
            if grade.min_score <= rounded <= grade.max_score:
                return grade
        raise ValueError(f"score {score} is outside the grading table")


def load_rules(text: str | bytes) -> IkmRules:
    return IkmRules.model_validate_json(text)


def default_rules() -> IkmRules:
    return load_rules(resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_bytes())


def survey_period(day: date) -> str:
    return f"{day.year}-S{1 if day.month <= 6 else 2}"


def check_period(period: str) -> str:
    if not _PERIOD.match(period):
        raise errors.refuse(errors.IKM_PERIOD_INVALID)
    return period


def validate_answers(answers: Mapping[str, object], rules: IkmRules) -> dict[str, int]:
    """One respondent's answers keyed by element code; raises a DomainError on the first fault."""
    for code in answers:
        if code not in {e.code for e in rules.elements}:
            raise errors.refuse(errors.IKM_ELEMENT_UNKNOWN, element=code)
    checked: dict[str, int] = {}
    for element in rules.elements:
        if element.code not in answers or answers[element.code] is None:
            raise errors.refuse(errors.IKM_ELEMENT_MISSING, element=element.label)
        value = answers[element.code]
        # bool is an int in Python; True must not pass as a 1.
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not rules.lowest_answer <= value <= rules.highest_answer
        ):
            raise errors.refuse(
                errors.IKM_ANSWER_OUT_OF_RANGE,
                element=element.label,
                low=rules.lowest_answer,
                high=rules.highest_answer,
            )
        checked[element.code] = value
    return checked


@dataclass(frozen=True)
class SurveyResponse:
    service_code: str
    period: str
    answers: Mapping[str, object]


class ElementScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    label: str
    mean: Decimal  # mean answer, two decimals
    score: Decimal  # mean x multiplier, two decimals: the element's own index
    grade: str


class IkmResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service_code: str
    period: str
    respondents: int
    ikm: Decimal
    grade: str
    grade_label: str
    elements: tuple[ElementScore, ...]
    weakest: tuple[str, ...]  # element codes with the lowest mean
    rule_set_version: str


def _round_half_up(value: Fraction) -> Decimal:
    return Decimal(floor(value * 100 + Fraction(1, 2))).scaleb(-2)


def compute_ikm(
    service_code: str, period: str, responses: Iterable[Mapping[str, object]], rules: IkmRules
) -> IkmResult:
    check_period(period)
    checked = [validate_answers(r, rules) for r in responses]
    if not checked:
        raise errors.refuse(errors.IKM_NO_RESPONSES)
    multiplier = Fraction(rules.multiplier)
    means = {e.code: Fraction(sum(r[e.code] for r in checked), len(checked)) for e in rules.elements}
    ikm = _round_half_up(sum(means.values(), Fraction(0)) / len(means) * multiplier)
    grade = rules.grade_of(ikm)
    elements = []
    for element in rules.elements:
        score = _round_half_up(means[element.code] * multiplier)
        elements.append(
            ElementScore(
                code=element.code,
                label=element.label,
                mean=_round_half_up(means[element.code]),
                score=score,
                grade=rules.grade_of(score).grade,
            )
        )
    lowest = min(means.values())
    return IkmResult(
        service_code=service_code,
        period=period,
        respondents=len(checked),
        ikm=ikm,
        grade=grade.grade,
        grade_label=grade.label,
        elements=tuple(elements),
        weakest=tuple(e.code for e in rules.elements if means[e.code] == lowest),
        rule_set_version=rules.version,
    )


def ikm_by_service_and_period(responses: Iterable[SurveyResponse], rules: IkmRules) -> list[IkmResult]:
    """One result per (service, period) present, sorted by service then period."""
    groups: dict[tuple[str, str], list[Mapping[str, object]]] = {}
    for response in responses:
        groups.setdefault((response.service_code, response.period), []).append(response.answers)
    return [
        compute_ikm(service, period, groups[(service, period)], rules) for service, period in sorted(groups)
    ]
