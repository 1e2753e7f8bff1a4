"""SLA clocks of a complaint, in service time (DOMAIN.md: SP4N-LAPOR!, Perpres 76/2013).

Decisions:
- Two clocks: VERIFIKASI runs from receipt until the complaint is disposed to a unit (verify
  *and forward* within 3 working days) or closed out (not our authority, archived);
  TINDAK_LANJUT runs from the first disposition until the unit posts its first follow-up (5
  working days). A redirected disposition keeps the running clock: moving a complaint between
  units must not restart it.
- A postponed complaint stops the verification clock; resumed, the clock gets the service time
  it had left (a postponement waits for the reporter, not for the officer).
- A warning fires a configured service time before each clock is due; the automatic closing
  fires 10 working days after the answer unless the reporter replies.
- Days are working days of the service calendar (1 day = its configured service hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bkpsdm.common.service_calendar import ServiceCalendar

DEFAULT_RULES_FILE = "complaint_rules.default.json"
AUTO_CLOSE = "AUTO_CLOSE"


class SlaClock(StrEnum):
    VERIFIKASI = "VERIFIKASI"
    TINDAK_LANJUT = "TINDAK_LANJUT"

    @property
    def warning_kind(self) -> str:
        return f"{self.value}:WARNING"

    @property
    def breach_kind(self) -> str:
        return f"{self.value}:BREACH"


class ComplaintRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    source: str
    verify_working_days: float = Field(gt=0)
    follow_up_working_days: float = Field(gt=0)
    auto_close_working_days: float = Field(gt=0)
    warning_before_working_days: float = Field(ge=0)

    @model_validator(mode="after")
    def _warning_inside_each_clock(self) -> ComplaintRules:
        if self.warning_before_working_days >= min(self.verify_working_days, self.follow_up_working_days):
            raise ValueError("warning_before_working_days must be shorter than each clock")
        return self

    def days_of(self, clock: SlaClock) -> float:
        return self.verify_working_days if clock is SlaClock.VERIFIKASI else self.follow_up_working_days


def load_rules(text: str | bytes) -> ComplaintRules:
    return ComplaintRules.model_validate_json(text)


def default_rules() -> ComplaintRules:
    return load_rules(resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_bytes())


@dataclass(frozen=True)
class ClockPlan:
    clock: SlaClock
    warning_at: datetime
    due_at: datetime


def plan_clock(
    calendar: ServiceCalendar,
    rules: ComplaintRules,
    clock: SlaClock,
    start: datetime,
    remaining: timedelta | None = None,
) -> ClockPlan:
    """When `clock`, started at `start` (with `remaining` service time, default all of it), warns
    and is due. Work that starts outside hours starts its clock at the next opening."""
    total = calendar.working_days(rules.days_of(clock)) if remaining is None else remaining
    warning = calendar.working_days(rules.warning_before_working_days)
    return ClockPlan(
        clock,
        warning_at=calendar.due_after(start, max(total - warning, timedelta(0))),
        due_at=calendar.due_after(start, total),
    )


def auto_close_at(calendar: ServiceCalendar, rules: ComplaintRules, answered_at: datetime) -> datetime:
    return calendar.due_after(answered_at, calendar.working_days(rules.auto_close_working_days))
