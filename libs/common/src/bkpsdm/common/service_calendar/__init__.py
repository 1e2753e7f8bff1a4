"""Service hours and SLA clocks: when the office is open and how much service time has run."""

from bkpsdm.common.service_calendar.calendar import ServiceCalendar, load_calendar
from bkpsdm.common.service_calendar.config import (
    DEFAULT_CONFIG_PATH,
    CalendarConfig,
    ClosedDate,
    HolidaySource,
    Interval,
    OpenDate,
    ScheduleOverride,
    WeeklySchedule,
    load_config,
)
from bkpsdm.common.service_calendar.errors import ServiceCalendarError
from bkpsdm.common.service_calendar.phrases import parse_duration_phrase

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "CalendarConfig",
    "ClosedDate",
    "HolidaySource",
    "Interval",
    "OpenDate",
    "ScheduleOverride",
    "ServiceCalendar",
    "ServiceCalendarError",
    "WeeklySchedule",
    "load_calendar",
    "load_config",
    "parse_duration_phrase",
]
