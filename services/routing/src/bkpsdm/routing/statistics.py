"""The published service statistics: per service, the cases opened in a year or month and how
they went (see domain/statistics.py for what each figure means)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bkpsdm.common.uow import UnitOfWork
from bkpsdm.routing.domain.statistics import (
    CaseCounts,
    Figures,
    Period,
    ServiceCohort,
    figures,
    statistics_period,
)
from bkpsdm.routing.ports import RoutingContext


class CohortReader(Protocol):
    async def cohorts(self, start: datetime, end: datetime) -> list[ServiceCohort]: ...


class StatisticsUnitOfWork(UnitOfWork, Protocol):
    @property
    def statistics(self) -> CohortReader: ...


@dataclass(frozen=True)
class ServiceFigures:
    service_code: str
    service_name: str | None  # None: a service no current workflow defines any more
    sla_target: str | None  # the standard's own words, e.g. "1 Hari"
    figures: Figures


@dataclass(frozen=True)
class ServiceStatistics:
    period: Period
    services: tuple[ServiceFigures, ...]
    totals: Figures
    calendar_version: str
    generated_at: datetime


async def service_statistics(
    uow: StatisticsUnitOfWork, ctx: RoutingContext, year: int, month: int | None
) -> ServiceStatistics:
    calendar = ctx.sla.calendar
    now = ctx.clock().astimezone(calendar.zone)
    period = statistics_period(year, month, calendar.zone, now.date())
    async with uow:
        cohorts = {c.service_code: c for c in await uow.statistics.cohorts(period.start, period.end)}
    services = []
    total = CaseCounts()
    times = []
    # Every service of the catalogue is listed, also without cases, then any retired one that has some.
    for code in sorted(set(ctx.workflows.codes) | set(cohorts)):
        cohort = cohorts.get(code, ServiceCohort(code, CaseCounts(), ()))
        durations = [calendar.service_time_between(start, end) for start, end in cohort.completed_rounds]
        definition = ctx.workflows.current(code)
        services.append(
            ServiceFigures(
                code,
                definition.name if definition else None,
                definition.completion.text if definition and definition.completion else None,
                figures(cohort.counts, durations),
            )
        )
        total += cohort.counts
        times += durations
    return ServiceStatistics(period, tuple(services), figures(total, times), calendar.version, now)
