"""Agenda numbers: a running number per calendar year, restarting each January, written in
the agency's pattern (DOMAIN.md "Agenda numbers and dispositions"), e.g.
`{seq:03d}/{unit}/{roman_month}/{year}` -> `007/BKPSDM/XI/2026`, or the regional style
`{classification}/{seq}/{unit}` -> `800/33/BKPSDM` (the archive classification code of the
letter's subject, configured per service)."""

from __future__ import annotations

from datetime import datetime
from string import Formatter

FIELDS = frozenset({"seq", "year", "month", "roman_month", "unit", "service", "classification"})
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def roman_month(month: int) -> str:
    return _ROMAN[month - 1]


def check_pattern(pattern: str) -> None:
    """ValueError unless the pattern uses only known fields, includes the sequence, and formats."""
    try:
        names = {name for _, name, _, _ in Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ValueError(f"agenda pattern {pattern!r}: {exc}") from exc
    unknown = names - FIELDS
    if unknown:
        raise ValueError(f"agenda pattern {pattern!r}: unknown fields {sorted(unknown)}")
    if "seq" not in names:
        raise ValueError(f"agenda pattern {pattern!r} has no {{seq}}")
    try:
        pattern.format(
            seq=1, year=2026, month=1, roman_month="I", unit="U", service="S", classification="800"
        )
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"agenda pattern {pattern!r}: {exc}") from exc


def agenda_number(
    pattern: str, *, seq: int, local_time: datetime, unit: str, service: str, classification: str = ""
) -> str:
    """`local_time` in the agency's time zone: its year is the agenda book's year."""
    return pattern.format(
        seq=seq,
        year=local_time.year,
        month=local_time.month,
        roman_month=roman_month(local_time.month),
        unit=unit,
        service=service,
        classification=classification,
    )
