"""A unit's monthly recap: per employee, days per TL/PSW category and the total deduction.

Plain data; the XLSX export renders it. Deductions are summed as they are, without a
monthly cap (the agency's regulation may cap them; the export or payroll applies it).
A day still in progress (today before the end of its hours) is left out until it is over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from bkpsdm.attendance_gateway.domain.daily import DailyAttendance
from bkpsdm.attendance_gateway.domain.rules import AttendanceRules


class EmployeeMonthlyRecap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nip: str
    working_days: int
    on_time_days: int  # working days with neither TL nor PSW
    no_record_days: int
    counts: dict[str, int]  # every TL and PSW code of the rules, zero included, in table order
    deduction_percent: Decimal


class UnitMonthlyRecap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str
    year: int
    month: int
    rule_set_versions: tuple[str, ...]  # more than one when the rules changed within the month
    employees: tuple[EmployeeMonthlyRecap, ...]
    counts: dict[str, int]
    deduction_percent: Decimal


def _employee(nip: str, records: list[DailyAttendance], codes: tuple[str, ...]) -> EmployeeMonthlyRecap:
    working = [r for r in records if r.working_day and not r.in_progress]
    seen = Counter(c for r in working for c in (r.tl_category, r.psw_category) if c is not None)
    return EmployeeMonthlyRecap(
        nip=nip,
        working_days=len(working),
        on_time_days=sum(1 for r in working if r.tl_category is None and r.psw_category is None),
        no_record_days=sum(1 for r in working if r.no_record),
        counts={code: seen[code] for code in codes} | dict(seen),
        deduction_percent=sum((r.deduction_percent for r in working), Decimal(0)),
    )


def monthly_recap(
    unit: str, year: int, month: int, records: Iterable[DailyAttendance], rules: AttendanceRules
) -> UnitMonthlyRecap:
    """`records` are the unit's employees' days (from attendance_for_period); other months are ignored."""
    by_nip: dict[str, list[DailyAttendance]] = {}
    for record in records:
        if (record.date.year, record.date.month) == (year, month):
            by_nip.setdefault(record.nip, []).append(record)
    employees = tuple(_employee(nip, by_nip[nip], rules.category_codes) for nip in sorted(by_nip))
    totals: Counter[str] = Counter()
    for employee in employees:
        totals.update(employee.counts)
    return UnitMonthlyRecap(
        unit=unit,
        year=year,
        month=month,
        rule_set_versions=tuple(sorted({r.rule_set_version for rs in by_nip.values() for r in rs})),
        employees=employees,
        counts={code: totals[code] for code in rules.category_codes} | dict(totals),
        deduction_percent=sum((e.deduction_percent for e in employees), Decimal(0)),
    )
