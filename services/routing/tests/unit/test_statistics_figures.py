"""The published figures' rules: which instants a year or month covers, which years are refused,
how compliance and the median are worked out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.routing.domain.statistics import CaseCounts, figures, statistics_period

WIB = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("year", "month", "start", "end"),
    [
        (2026, None, datetime(2026, 1, 1, tzinfo=WIB), datetime(2027, 1, 1, tzinfo=WIB)),
        (2026, 1, datetime(2026, 1, 1, tzinfo=WIB), datetime(2026, 2, 1, tzinfo=WIB)),
        (2026, 11, datetime(2026, 11, 1, tzinfo=WIB), datetime(2026, 12, 1, tzinfo=WIB)),
        (2026, 12, datetime(2026, 12, 1, tzinfo=WIB), datetime(2027, 1, 1, tzinfo=WIB)),
        (2000, None, datetime(2000, 1, 1, tzinfo=WIB), datetime(2001, 1, 1, tzinfo=WIB)),
        (2027, 12, datetime(2027, 12, 1, tzinfo=WIB), datetime(2028, 1, 1, tzinfo=WIB)),
    ],
)
def test_a_period_is_the_local_calendar_year_or_month(
    year: int, month: int | None, start: datetime, end: datetime
) -> None:
    period = statistics_period(year, month, WIB, TODAY)
    assert (period.start, period.end) == (start, end)
    assert period.start.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("year", "month"),
    [(1999, None), (2028, None), (0, None), (-5, 1), (10**12, None), (2026, 0), (2026, 13), (2026, -1)],
)
def test_a_year_or_month_outside_the_sane_range_is_refused_with_a_stable_code(
    year: int, month: int | None
) -> None:
    with pytest.raises(DomainError) as refused:
        statistics_period(year, month, WIB, TODAY)
    assert refused.value.error.code == "STATISTICS_PERIOD_INVALID"
    assert refused.value.details["max_year"] == 2027


@pytest.mark.parametrize(
    ("within", "with_sla", "percent"),
    [(0, 0, None), (0, 3, 0.0), (1, 2, 50.0), (2, 3, 66.67), (1, 3, 33.33), (4, 4, 100.0)],
)
def test_compliance_is_within_over_completed_with_a_target(
    within: int, with_sla: int, percent: float | None
) -> None:
    counts = CaseCounts(completed=with_sla + 1, completed_with_sla=with_sla, completed_within_sla=within)
    assert figures(counts, []).sla_compliance_percent == percent


@pytest.mark.parametrize(
    ("hours", "median"),
    [([], None), ([3], 3.0), ([1, 5], 3.0), ([6, 1, 2.5], 2.5), ([0.25, 0.5, 1, 10], 0.75)],
)
def test_the_median_completion_time_is_in_service_hours(hours: list[float], median: float | None) -> None:
    assert (
        figures(CaseCounts(), [timedelta(hours=h) for h in hours]).median_completion_service_hours == median
    )


def test_counts_add_up_field_by_field() -> None:
    a = CaseCounts(3, 2, 1, 1, 2, 1)
    b = CaseCounts(1, 1, 0, 0, 0, 0)
    assert a + b == CaseCounts(4, 3, 1, 1, 2, 1)
