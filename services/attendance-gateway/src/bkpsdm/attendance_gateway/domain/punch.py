"""A fingerprint punch as the terminal records it, and how duplicate reads collapse."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from enum import IntEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class PunchState(IntEnum):
    """The terminal's in/out key (ZK `punch` field). Recorded, but not used to pick arrival or leave."""

    CHECK_IN = 0
    CHECK_OUT = 1
    BREAK_OUT = 2
    BREAK_IN = 3
    OVERTIME_IN = 4
    OVERTIME_OUT = 5
    UNDEFINED = 255


class Punch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nip: str = Field(min_length=1)
    timestamp: AwareDatetime
    # Any byte: firmware outside the documented states must not lose an employee's punch.
    state: int = Field(ge=0, le=255)
    terminal_serial: str = Field(min_length=1)
    user_id: str = Field(min_length=1)

    @property
    def idempotency_key(self) -> tuple[str, str, str, int]:
        # UTC text so the same instant read with two different offsets is still one punch.
        return (self.terminal_serial, self.user_id, self.timestamp.astimezone(UTC).isoformat(), self.state)


def unique_punches(punches: Iterable[Punch]) -> list[Punch]:
    """The same punch read twice (live capture plus a full pull) counts once; first read wins."""
    seen: dict[tuple[str, str, str, int], Punch] = {}
    for punch in punches:
        seen.setdefault(punch.idempotency_key, punch)
    return list(seen.values())
