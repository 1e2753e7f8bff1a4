"""The public dashboard's figures as the portal shows them: routing's volumes and SLA compliance
per service, and complaints' IKM per semester. Pure: the services' published answers in, rows
out; a figure a service does not give (yet) shows as "-", never as a made-up zero."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MISSING = "-"


class FiguresUnreadable(ValueError):
    """An answer without the shape the published contract gives it."""


def number(value: Any, decimals: int = 2) -> str:
    """Indonesian notation: a decimal comma and a point between thousands (1.234,5)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    text = f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return text.rstrip("0").rstrip(",") if "," in text else text


def percent(value: Any) -> str:
    shown = number(value)
    return MISSING if shown == MISSING else f"{shown}%"


@dataclass(frozen=True)
class VolumeRow:
    name: str
    sla_target: str
    received: str
    completed: str
    in_progress: str
    on_time: str  # "within of with-target"
    compliance: str
    median_hours: str


def _volume_row(name: str, sla_target: str, figures: Mapping[str, Any]) -> VolumeRow:
    within, with_sla = figures.get("completed_within_sla"), figures.get("completed_with_sla")
    return VolumeRow(
        name=name,
        sla_target=sla_target or MISSING,
        received=number(figures.get("received")),
        completed=number(figures.get("completed")),
        in_progress=number(figures.get("in_progress")),
        on_time=f"{number(within)} dari {number(with_sla)}" if isinstance(with_sla, int) else MISSING,
        compliance=percent(figures.get("sla_compliance_percent")),
        median_hours=number(figures.get("median_completion_service_hours")),
    )


@dataclass(frozen=True)
class Volumes:
    rows: list[VolumeRow]
    total: VolumeRow | None


def volumes(statistics: Any) -> Volumes:
    """Routing's `GET /api/v1/statistics` answer, one row per service and the totals."""
    services = statistics.get("services") if isinstance(statistics, Mapping) else None
    if not isinstance(services, list):
        raise FiguresUnreadable("statistics without services")
    rows = [
        _volume_row(
            str(s.get("service_name") or s.get("service_code") or MISSING), str(s.get("sla_target") or ""), s
        )
        for s in services
        if isinstance(s, Mapping)
    ]
    totals = statistics.get("totals")
    return Volumes(rows, _volume_row("Semua layanan", "", totals) if isinstance(totals, Mapping) else None)


@dataclass(frozen=True)
class IkmScore:
    name: str
    respondents: str
    ikm: str
    grade: str
    grade_label: str


@dataclass(frozen=True)
class IkmPeriod:
    period: str
    label: str
    overall: IkmScore | None
    services: list[IkmScore]


def _score(name: str, figures: Any) -> IkmScore | None:
    if not isinstance(figures, Mapping):
        return None
    return IkmScore(
        name=name,
        respondents=number(figures.get("respondents")),
        ikm=number(figures.get("ikm")),
        grade=str(figures.get("grade") or MISSING),
        grade_label=str(figures.get("grade_label") or ""),
    )


def period_label(period: str) -> str:
    year, _, half = period.partition("-S")
    return {"1": f"Semester I {year}", "2": f"Semester II {year}"}.get(half, period)


def ikm_periods(summary: Any) -> list[IkmPeriod]:
    """Complaints' `GET /api/v1/ikm/summary` answer, newest semester first."""
    periods = summary.get("periods") if isinstance(summary, Mapping) else None
    if not isinstance(periods, list):
        raise FiguresUnreadable("IKM summary without periods")
    found = []
    for p in periods:
        if not isinstance(p, Mapping):
            continue
        period = str(p.get("period") or "")
        services = [
            score
            for s in p.get("services") or []
            if isinstance(s, Mapping)
            and (score := _score(str(s.get("service_name") or s.get("service_code") or MISSING), s))
        ]
        found.append(
            IkmPeriod(period, period_label(period), _score("Semua layanan", p.get("overall")), services)
        )
    return sorted(found, key=lambda p: p.period, reverse=True)
