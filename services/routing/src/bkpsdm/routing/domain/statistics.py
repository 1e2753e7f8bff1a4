"""Published service figures (the portal informasi's statistics): per service, the cases opened
in a year or month, how many are done, how many within the service's SLA, and how long they took.

Decisions:
- The cohort is the cases *opened* in the period, counted by their state now: a case opened in
  December and finished in January counts for December.
- A case is done within its SLA when it reached its final step no later than its service due
  time. A resubmission after a return restarts that clock (the applicant's time is not the
  agency's), so the round that completed is the one judged.
- Compliance is over the completed cases whose service has a completion target; a service
  without one (0 days in its standard) has no compliance figure, not 100 %.
- Completion time is service time (office hours only), from the start of the completing round.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.routing.domain import errors

FIRST_YEAR = 2000  # no case of this platform predates it; earlier years are a typo


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None
    start: datetime
    end: datetime  # exclusive


def statistics_period(year: int, month: int | None, zone: ZoneInfo, today: date) -> Period:
    """The local calendar year (or month) as an instant range; refused outside the years the
    platform can hold figures for (a year ahead is allowed: planning pages ask for it)."""
    last_year = today.year + 1
    if not FIRST_YEAR <= year <= last_year or (month is not None and not 1 <= month <= 12):
        raise DomainError(
            errors.STATISTICS_PERIOD_INVALID,
            {"year": year, "month": month, "min_year": FIRST_YEAR, "max_year": last_year},
        )
    if month is None:
        start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    else:
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return Period(year, month, start, end)


@dataclass(frozen=True)
class CaseCounts:
    """What the database counts for one service's cohort."""

    received: int = 0
    completed: int = 0
    in_progress: int = 0
    returned_at_least_once: int = 0
    completed_with_sla: int = 0
    completed_within_sla: int = 0

    def __add__(self, other: CaseCounts) -> CaseCounts:
        return CaseCounts(
            self.received + other.received,
            self.completed + other.completed,
            self.in_progress + other.in_progress,
            self.returned_at_least_once + other.returned_at_least_once,
            self.completed_with_sla + other.completed_with_sla,
            self.completed_within_sla + other.completed_within_sla,
        )


@dataclass(frozen=True)
class Figures:
    counts: CaseCounts
    sla_compliance_percent: float | None
    median_completion_service_hours: float | None


def figures(counts: CaseCounts, completion_times: Iterable[timedelta]) -> Figures:
    hours = [t.total_seconds() / 3600 for t in completion_times]
    return Figures(
        counts,
        round(counts.completed_within_sla * 100 / counts.completed_with_sla, 2)
        if counts.completed_with_sla
        else None,
        round(statistics.median(hours), 2) if hours else None,
    )


@dataclass(frozen=True)
class ServiceCohort:
    """One service's cases opened in the period, as stored: counts, and for each completed case
    the start of its completing SLA round and its completion."""

    service_code: str
    counts: CaseCounts
    completed_rounds: tuple[tuple[datetime, datetime], ...]
