"""The versioned service-hours configuration (DOMAIN.md "Service hours and SLA clocks", seed 003).

Everything here is a default an agency may replace by its own file; a file is validated
when loaded, and its `version` travels with every SLA result computed from it.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default.json")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(_Frozen):
    """Open from `start` (inclusive) to `end` (exclusive), local wall-clock time, within one day."""

    start: time
    end: time

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("jam buka dan jam tutup ditulis tanpa zona waktu")
        if self.end <= self.start:
            raise ValueError(f"jam tutup {self.end:%H:%M} harus setelah jam buka {self.start:%H:%M}")
        return self


def _sorted_disjoint(intervals: tuple[Interval, ...]) -> tuple[Interval, ...]:
    ordered = tuple(sorted(intervals, key=lambda interval: interval.start))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise ValueError(
                f"jam layanan tumpang tindih: {before.start:%H:%M}-{before.end:%H:%M} "
                f"dan {after.start:%H:%M}-{after.end:%H:%M}"
            )
    return ordered


Intervals = Annotated[tuple[Interval, ...], AfterValidator(_sorted_disjoint)]


class WeeklySchedule(_Frozen):
    """A weekday left out is closed all day; breaks are the gaps between intervals."""

    monday: Intervals = ()
    tuesday: Intervals = ()
    wednesday: Intervals = ()
    thursday: Intervals = ()
    friday: Intervals = ()
    saturday: Intervals = ()
    sunday: Intervals = ()

    def on(self, day: date) -> tuple[Interval, ...]:
        return (
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        )[day.weekday()]

    def is_closed_all_week(self) -> bool:
        return not any(self.on(date(2024, 1, day)) for day in range(1, 8))  # 2024-01-01 is a Monday


class ScheduleOverride(_Frozen):
    """Different weekly hours for a date range, both ends inclusive (e.g. Ramadan)."""

    name: str = Field(min_length=1)
    start_date: date
    end_date: date
    weekly: WeeklySchedule

    @model_validator(mode="after")
    def _range_ordered(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError(
                f"{self.name}: tanggal akhir {self.end_date} sebelum tanggal mulai {self.start_date}"
            )
        return self

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class ClosedDate(_Frozen):
    """A day closed although the schedule says open (local holiday, office closure)."""

    day: date
    reason: str = Field(min_length=1)


class OpenDate(_Frozen):
    """A day open although it is a holiday or weekend; without `intervals` the weekday's hours apply."""

    day: date
    reason: str = Field(min_length=1)
    intervals: Intervals | None = None


class HolidaySource(_Frozen):
    """National holidays from the `holidays` package; for ID, "government" holds cuti bersama."""

    country: str = "ID"
    subdiv: str | None = None
    categories: tuple[str, ...] = ("public", "government")
    language: str = "id"

    @model_validator(mode="after")
    def _supported(self) -> Self:
        try:
            self.build()
        except (NotImplementedError, ValueError) as exc:
            raise ValueError(f"sumber hari libur tidak didukung: {exc}") from exc
        return self

    def build(self) -> holidays.HolidayBase:
        return holidays.country_holidays(
            self.country, subdiv=self.subdiv, categories=self.categories, language=self.language
        )


class CalendarConfig(_Frozen):
    version: str = Field(min_length=1)
    time_zone: str = "Asia/Jakarta"
    weekly: WeeklySchedule
    overrides: tuple[ScheduleOverride, ...] = ()
    closed_dates: tuple[ClosedDate, ...] = ()
    open_dates: tuple[OpenDate, ...] = ()
    holidays: HolidaySource | None = HolidaySource()
    # "1 Hari" in the service standards is one working day of service time.
    hours_per_working_day: float = Field(default=6.0, gt=0, le=24)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu tidak dikenal: {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.weekly.is_closed_all_week():
            raise ValueError("jadwal mingguan tidak punya jam layanan sama sekali")
        overrides = sorted(self.overrides, key=lambda override: override.start_date)
        for before, after in pairwise(overrides):
            if after.start_date <= before.end_date:
                raise ValueError(f"rentang jadwal khusus tumpang tindih: {before.name} dan {after.name}")
        closed = [entry.day for entry in self.closed_dates]
        opened = [entry.day for entry in self.open_dates]
        for label, days in (("tanggal tutup", closed), ("tanggal buka", opened)):
            if len(set(days)) != len(days):
                raise ValueError(f"{label} ganda")
        if both := sorted(set(closed) & set(opened)):
            raise ValueError(f"tanggal sekaligus tutup dan buka: {', '.join(map(str, both))}")
        for entry in self.open_dates:
            if not self.open_date_hours(entry):
                raise ValueError(f"tanggal buka {entry.day} tidak punya jam layanan; isi 'intervals'")
        return self

    @property
    def working_day(self) -> timedelta:
        return timedelta(hours=self.hours_per_working_day)

    def schedule_for(self, day: date) -> WeeklySchedule:
        for override in self.overrides:
            if override.covers(day):
                return override.weekly
        return self.weekly

    def open_date_hours(self, entry: OpenDate) -> tuple[Interval, ...]:
        if entry.intervals is not None:
            return entry.intervals
        return self.schedule_for(entry.day).on(entry.day)


def load_config(path: Path | None = None) -> CalendarConfig:
    return CalendarConfig.model_validate_json((path or DEFAULT_CONFIG_PATH).read_bytes())
