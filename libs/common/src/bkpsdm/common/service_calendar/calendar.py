"""Service time: a clock that runs only while the office is open (DOMAIN.md "Service hours and SLA clocks").

The open intervals of whole calendar years are laid end to end as integer microseconds
(UTC) with a running total of service time before each one, so a due time or an elapsed
service time is two binary searches, not a walk over days. Years are added when a
question reaches beyond those already laid out.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from bkpsdm.common.service_calendar.config import CalendarConfig, Interval, load_config
from bkpsdm.common.service_calendar.errors import naive_datetime, negative_duration, no_opening
from bkpsdm.common.service_calendar.phrases import parse_duration_phrase

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# A config closing the office for decades is a mistake, not a schedule; stop instead of looping.
_HORIZON_YEARS = 50
_NO_HOURS = "Tidak ada jam layanan pada hari ini"


def _micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise naive_datetime(at)
    return (at - _EPOCH) // _MICROSECOND


class ServiceCalendar:
    def __init__(self, config: CalendarConfig) -> None:
        self.config = config
        self.zone = ZoneInfo(config.time_zone)
        self._holidays: holidays.HolidayBase | None = config.holidays.build() if config.holidays else None
        self._closed = {entry.day: entry.reason for entry in config.closed_dates}
        self._opened = {entry.day: entry for entry in config.open_dates}
        self._days: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        self._first_year = 0
        self._last_year = -1
        self._low = 0  # the laid-out span [_low, _high) in microseconds
        self._high = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []  # service time before each interval, from _low
        self._through: list[int] = []  # service time up to each interval's end

    @property
    def version(self) -> str:
        return self.config.version

    @property
    def holidays_version(self) -> str:
        return metadata.version("holidays")

    def opening_hours(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        hours = self._days.get(day)
        if hours is None:
            hours = tuple(
                (
                    datetime.combine(day, interval.start, self.zone),
                    datetime.combine(day, interval.end, self.zone),
                )
                for interval in self._intervals(day)
            )
            self._days[day] = hours
        return hours

    def closed_reason(self, day: date) -> str | None:
        if self.opening_hours(day):
            return None
        return self._closed.get(day) or self._holiday(day) or _NO_HOURS

    def is_open(self, at: datetime) -> bool:
        moment = _micros(at)
        self._cover(moment)
        index = bisect_right(self._starts, moment) - 1
        return index >= 0 and moment < self._ends[index]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself while open, else the next moment the office opens: where an SLA clock starts."""
        moment = _micros(at)
        self._cover(moment)
        index = bisect_right(self._starts, moment) - 1
        if index >= 0 and moment < self._ends[index]:
            return at.astimezone(self.zone)
        self._extend_until(lambda: index + 1 < len(self._starts))
        return self._local(self._starts[index + 1])

    def due_after(self, start: datetime, duration: timedelta) -> datetime:
        if duration < timedelta(0):
            raise negative_duration(duration)
        if not duration:
            return self.next_opening(start)
        target = self._position(_micros(start)) + duration // _MICROSECOND
        self._extend_until(lambda: bool(self._through) and target <= self._through[-1])
        # bisect_left: a due time that uses up an interval exactly is that interval's closing.
        index = bisect_left(self._through, target)
        return self._local(self._starts[index] + target - self._before[index])

    def service_time_between(self, start: datetime, end: datetime) -> timedelta:
        first, last = _micros(start), _micros(end)
        if last <= first:
            return timedelta(0)
        self._cover(first)
        self._cover(last)  # may only add later years, which leaves positions of earlier ones as they are
        return (self._position(last) - self._position(first)) * _MICROSECOND

    def working_days(self, count: float) -> timedelta:
        if count < 0:
            raise negative_duration(count)
        return count * self.config.working_day

    def parse_duration(self, phrase: str) -> timedelta:
        return parse_duration_phrase(phrase, self.config.working_day)

    def _intervals(self, day: date) -> tuple[Interval, ...]:
        if day in self._closed:
            return ()
        if (opened := self._opened.get(day)) is not None:
            return self.config.open_date_hours(opened)
        if self._holiday(day):
            return ()
        return self.config.schedule_for(day).on(day)

    def _holiday(self, day: date) -> str | None:
        return self._holidays.get(day) if self._holidays is not None else None

    def _position(self, moment: int) -> int:
        self._cover(moment)
        index = bisect_right(self._starts, moment) - 1
        if index < 0:
            return 0
        return self._before[index] + min(moment, self._ends[index]) - self._starts[index]

    def _cover(self, moment: int) -> None:
        if self._low <= moment < self._high:
            return
        year = self._local(moment).year
        if self._last_year < self._first_year:
            self._lay_out(year, year)
        else:
            self._lay_out(min(year, self._first_year), max(year, self._last_year))

    def _extend_until(self, reached: Callable[[], bool]) -> None:
        for _ in range(_HORIZON_YEARS):
            if reached():
                return
            self._lay_out(self._first_year, self._last_year + 1)
        if not reached():
            raise no_opening(_HORIZON_YEARS)

    def _lay_out(self, first_year: int, last_year: int) -> None:
        starts: list[int] = []
        ends: list[int] = []
        day = date(first_year, 1, 1)
        while day.year <= last_year:
            for opens, closes in self.opening_hours(day):
                starts.append(_micros(opens))
                ends.append(_micros(closes))
            day += timedelta(days=1)
        before: list[int] = []
        through: list[int] = []
        total = 0
        for opening, closing in zip(starts, ends, strict=True):
            before.append(total)
            total += closing - opening
            through.append(total)
        self._first_year, self._last_year = first_year, last_year
        self._low = _micros(datetime(first_year, 1, 1, tzinfo=self.zone))
        self._high = _micros(datetime(last_year + 1, 1, 1, tzinfo=self.zone))
        self._starts, self._ends, self._before, self._through = starts, ends, before, through

    def _local(self, moment: int) -> datetime:
        return (_EPOCH + moment * _MICROSECOND).astimezone(self.zone)


def load_calendar(path: Path | None = None) -> ServiceCalendar:
    return ServiceCalendar(load_config(path))
