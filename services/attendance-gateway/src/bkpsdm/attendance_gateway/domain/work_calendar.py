"""Days closed for work, from the service calendar (libs/common `service_calendar`): national
holidays and cuti bersama (its `holidays` source) and the agency's closed dates; an open date
of the calendar re-opens a day (a replacement working day).

Only closures come from the calendar. Which weekdays are worked, and when, stays with the
attendance rules: the calendar's weekly hours are the service counter's, not the staff's (the
counter closes at 15:30, staff leave at 16:00), so a weekend is a weekday without hours there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bkpsdm.common.service_calendar import ServiceCalendar


@dataclass(frozen=True)
class ClosedDays:
    """Closed days of a period with their reason (the holiday's name in Bahasa Indonesia, or
    the closure's), and the calendar they come from, recorded with each daily record."""

    days: Mapping[date, str] = field(default_factory=dict)
    calendar_version: str | None = None


NO_CLOSED_DAYS = ClosedDays()


class WorkCalendar:
    def __init__(self, calendar: ServiceCalendar) -> None:
        config = calendar.config
        self._holidays = config.holidays.build() if config.holidays is not None else None
        self._closed = {entry.day: entry.reason for entry in config.closed_dates}
        self._opened = {entry.day for entry in config.open_dates}
        self.version = f"{calendar.version}; holidays {calendar.holidays_version}"

    def closed_reason(self, day: date) -> str | None:
        if day in self._opened:
            return None
        if day in self._closed:
            return self._closed[day]
        return self._holidays.get(day) if self._holidays is not None else None

    def closed_between(self, first: date, last: date) -> ClosedDays:
        days = (first + timedelta(days=i) for i in range((last - first).days + 1))
        closed = {day: reason for day in days if (reason := self.closed_reason(day)) is not None}
        return ClosedDays(closed, self.version)
