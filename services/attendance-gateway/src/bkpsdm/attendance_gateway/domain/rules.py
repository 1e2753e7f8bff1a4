"""The attendance rule set: working hours, date-range overrides, tolerance and the TL/PSW table.

Defaults (attendance_rules.default.json) follow Perpres 21/2023 (37.5 h over 5 days, start
07:30; Ramadan 32.5 h from 08:00) and the common national TL/PSW table. The agency's own
regulation (Singkawang: Perwako 62/2019) sets exact hours and tolerance, so every value is
data: a versioned file, validated when loaded, whose version is stamped on every result.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from datetime import date, time
from decimal import Decimal
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_RULES_FILE = "attendance_rules.default.json"

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


class WorkingHours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time
    # Perpres 21/2023 counts working hours without the break, so the break is part of the data.
    break_minutes: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _end_after_start(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.break_minutes >= _minutes(self.end) - _minutes(self.start):
            raise ValueError("break_minutes must be shorter than the working day")
        return self

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _minutes(self.end)

    @property
    def net_minutes(self) -> int:
        return self.end_minute - self.start_minute - self.break_minutes

    @property
    def midpoint_minute(self) -> int:
        return (self.start_minute + self.end_minute) // 2


class WeekSchedule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Declared beside the days so a typo in one day's hours fails loading instead of docking pay.
    weekly_hours: Decimal = Field(gt=0)
    days: dict[Weekday, WorkingHours]

    @model_validator(mode="after")
    def _days_add_up(self) -> WeekSchedule:
        total = Decimal(sum(h.net_minutes for h in self.days.values())) / 60
        if total != self.weekly_hours:
            raise ValueError(f"working days add up to {total} h, not the declared {self.weekly_hours} h")
        return self

    def hours_on(self, day: date) -> WorkingHours | None:
        return self.days.get(WEEKDAYS[day.weekday()])


class ScheduleOverride(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    first_day: date
    last_day: date
    schedule: str

    @model_validator(mode="after")
    def _ordered(self) -> ScheduleOverride:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        return self

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


class DeductionBand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tl: str = Field(min_length=1)
    psw: str = Field(min_length=1)
    from_minute: int = Field(ge=1)
    to_minute: int | None  # None: open-ended (the last band, also used for "no record")
    percent: Decimal = Field(ge=0, le=100)

    def contains(self, minutes: int) -> bool:
        return minutes >= self.from_minute and (self.to_minute is None or minutes <= self.to_minute)


class AttendanceRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    source: str
    time_zone: str
    late_tolerance_minutes: int = Field(default=0, ge=0)
    early_leave_tolerance_minutes: int = Field(default=0, ge=0)
    default_schedule: str
    schedules: dict[str, WeekSchedule]
    overrides: tuple[ScheduleOverride, ...] = ()
    bands: tuple[DeductionBand, ...] = Field(min_length=1)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AttendanceRules:
        names = {self.default_schedule, *(o.schedule for o in self.overrides)}
        if unknown := names - self.schedules.keys():
            raise ValueError(f"unknown schedules {sorted(unknown)}")
        ordered = sorted(self.overrides, key=lambda o: o.first_day)
        for before, after in itertools.pairwise(ordered):
            if after.first_day <= before.last_day:
                raise ValueError(f"overrides {before.name!r} and {after.name!r} overlap")
        expected_from = 1
        for band in self.bands:
            if band.from_minute != expected_from:
                raise ValueError(f"band {band.tl} must start at minute {expected_from}")
            if band is not self.bands[-1]:
                if band.to_minute is None or band.to_minute < band.from_minute:
                    raise ValueError(f"band {band.tl} needs to_minute >= from_minute")
                expected_from = band.to_minute + 1
        if self.bands[-1].to_minute is not None:
            raise ValueError("the last band must be open-ended (to_minute null)")
        codes = [b.tl for b in self.bands] + [b.psw for b in self.bands]
        if len(set(codes)) != len(codes):
            raise ValueError("TL and PSW codes must be unique")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def schedule_name_on(self, day: date) -> str:
        return next((o.schedule for o in self.overrides if o.covers(day)), self.default_schedule)

    def hours_on(self, day: date, closed_dates: Collection[date]) -> WorkingHours | None:
        """None when the day is not a working day: a weekday without hours, or closed by the caller."""
        if day in closed_dates:
            return None
        return self.schedules[self.schedule_name_on(day)].hours_on(day)

    def band_for(self, minutes_after_tolerance: int) -> DeductionBand | None:
        return next((b for b in self.bands if b.contains(minutes_after_tolerance)), None)

    @property
    def no_record_band(self) -> DeductionBand:
        return self.bands[-1]

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(b.tl for b in self.bands) + tuple(b.psw for b in self.bands)


def load_rules(text: str | bytes) -> AttendanceRules:
    """Parse and validate a rules file; a bad file raises pydantic.ValidationError naming the field."""
    return AttendanceRules.model_validate_json(text)


def default_rules() -> AttendanceRules:
    return load_rules(resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_bytes())
