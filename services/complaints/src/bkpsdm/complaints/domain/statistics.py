"""The complaints' published figures: which year may be asked for, the instants it covers, and
the received complaints counted per month and per status (counts only, never a complaint).

Decisions:
- Months and years are the service calendar's (WIB): a complaint sent at 01:00 WIB on
  1 January counts for January, though it is still December in UTC.
- Every complaint received in the year is counted, rahasia ones too: a count shows nothing
  of a report, and leaving them out would understate the agency's load.
- Status is the complaint's status now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.complaint import Status

FIRST_YEAR = 2000  # no complaint of this platform predates it; earlier years are a typo


def year_range(year: int, zone: ZoneInfo, today: date) -> tuple[datetime, datetime]:
    """The local calendar year as [start, end); refused outside 2000 .. next year."""
    if not FIRST_YEAR <= year <= today.year + 1:
        raise errors.refuse(errors.STATISTICS_PERIOD_INVALID, year=year)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


@dataclass(frozen=True)
class Volumes:
    received: int
    by_month: tuple[int, ...]  # January .. December
    by_status: tuple[tuple[Status, int], ...]  # every status, in the lifecycle's order


def volumes(counts: Iterable[tuple[int, str, int]]) -> Volumes:
    """From (month, status, count) rows: every month and every status, zero where none."""
    months = [0] * 12
    statuses = dict.fromkeys(Status, 0)
    for month, status, count in counts:
        months[month - 1] += count
        statuses[Status(status)] += count
    return Volumes(sum(months), tuple(months), tuple(statuses.items()))
