"""SLA clocks in service time (DOMAIN.md "Service hours and SLA clocks"): when a step or a case
is due and when to warn before it. The clock runs only while the office is open; work that
arrives outside hours starts at the next opening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bkpsdm.common.service_calendar import ServiceCalendar


@dataclass(frozen=True)
class Clock:
    warn_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class SlaClock:
    calendar: ServiceCalendar
    warning_fraction: float  # warn when this share of the SLA's service time is left
    scale: float = 1.0  # < 1 shortens every SLA (demos and tests only)

    def _duration(self, service_hours: float) -> timedelta:
        return timedelta(hours=service_hours * self.scale)

    def step(self, entered_at: datetime, service_hours: float | None) -> Clock | None:
        """None for a step without an SLA (a system step, a step waiting on the applicant)."""
        if not service_hours:
            return None
        return self._over(entered_at, self._duration(service_hours))

    def case(self, opened_at: datetime, working_days: float) -> Clock | None:
        """The whole service ("1 Hari" = one working day of service time); None for 0 days."""
        if not working_days:
            return None
        return self._over(opened_at, self.calendar.working_days(working_days) * self.scale)

    def until(self, entered_at: datetime, due_at: datetime) -> Clock:
        """A deadline someone set (a disposisi's own): the warning comes when the same share of
        the service time up to it is left; if the office never opens before it, of the wall time."""
        total = self.calendar.service_time_between(entered_at, due_at)
        if total > timedelta(0):
            warn_at = self.calendar.due_after(entered_at, total * (1 - self.warning_fraction))
        else:
            warn_at = entered_at + (due_at - entered_at) * (1 - self.warning_fraction)
        return Clock(min(max(warn_at, entered_at), due_at), due_at)

    def after(self, start: datetime, service_hours: float) -> datetime:
        return self.calendar.due_after(start, self._duration(service_hours))

    def _over(self, start: datetime, duration: timedelta) -> Clock:
        due = self.calendar.due_after(start, duration)
        warn = self.calendar.due_after(start, duration * (1 - self.warning_fraction))
        return Clock(warn, due)
