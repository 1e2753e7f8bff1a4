"""The service's clock: UTC now, which tests and the demo may move forward (SLA clocks read it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ServiceClock:
    def __init__(self, source: Callable[[], datetime] = _utc_now) -> None:
        self._source = source
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self._source() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta
        return self.now()
