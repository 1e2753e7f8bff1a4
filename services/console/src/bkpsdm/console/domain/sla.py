"""How much service time a step has left (or is over by), said the way officials read it, and the
inbox order: overdue first, then the soonest due. Pure: the calendar is handed in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

T = TypeVar("T")


class ServiceClock(Protocol):
    def service_time_between(self, start: datetime, end: datetime) -> timedelta: ...


@dataclass(frozen=True)
class TimeLeft:
    overdue: bool
    service_time: timedelta  # left before the due time, or past it when overdue

    @property
    def text(self) -> str:
        phrase = service_hours_phrase(self.service_time)
        return f"terlambat {phrase}" if self.overdue else f"sisa {phrase}"


def time_left(clock: ServiceClock, now: datetime, due: datetime) -> TimeLeft:
    """Only service hours count: a step due Monday 08:30 seen on Friday evening has 30 minutes left."""
    if due <= now:
        return TimeLeft(True, clock.service_time_between(due, now))
    return TimeLeft(False, clock.service_time_between(now, due))


def service_hours_phrase(duration: timedelta) -> str:
    """`2 jam 15 menit waktu layanan`; under a minute is `kurang dari 1 menit`."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 1:
        return "kurang dari 1 menit waktu layanan"
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} jam"] if hours else []
    if rest:
        parts.append(f"{rest} menit")
    return " ".join(parts) + " waktu layanan"


def by_due(items: Iterable[T], due_of: Callable[[T], datetime | None], now: datetime) -> list[T]:
    """Overdue first (the longest overdue on top), then the soonest due, then those without a due time."""

    def key(item: T) -> tuple[int, float]:
        due = due_of(item)
        if due is None:
            return (2, 0.0)
        return (0 if due <= now else 1, due.timestamp())

    return sorted(items, key=key)
