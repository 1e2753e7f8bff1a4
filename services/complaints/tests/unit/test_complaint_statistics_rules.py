"""The complaints' published figures: which years may be asked for, and the counts per month
and status filled to every month and every status."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.domain.complaint import Status
from bkpsdm.complaints.domain.statistics import volumes, year_range

WIB = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("year", [2000, 2025, 2026, 2027])
def test_a_year_is_the_local_calendar_year(year: int) -> None:
    assert year_range(year, WIB, TODAY) == (
        datetime(year, 1, 1, tzinfo=WIB),
        datetime(year + 1, 1, 1, tzinfo=WIB),
    )


@pytest.mark.parametrize("year", [1999, 2028, 0, -1, 10**9])
def test_a_year_outside_2000_to_next_year_is_refused_with_a_stable_code(year: int) -> None:
    with pytest.raises(DomainError) as refused:
        year_range(year, WIB, TODAY)
    assert refused.value.error.code == "STATISTICS_PERIOD_INVALID"
    assert refused.value.details == {"year": year}


def test_counts_fill_every_month_and_every_status() -> None:
    found = volumes([(1, "DITERIMA", 2), (1, "SELESAI", 1), (12, "DITERIMA", 3)])
    assert found.received == 6
    assert found.by_month == (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3)
    by_status = dict(found.by_status)
    assert list(by_status) == list(Status)
    assert (by_status[Status.DITERIMA], by_status[Status.SELESAI], by_status[Status.DIJAWAB]) == (5, 1, 0)


def test_no_complaint_is_twelve_zero_months() -> None:
    found = volumes([])
    assert (found.received, found.by_month) == (0, (0,) * 12)
    assert all(n == 0 for _, n in found.by_status)
