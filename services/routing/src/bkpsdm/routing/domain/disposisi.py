"""A disposisi (DOMAIN.md): preset instruction codes and a free note, one or more recipients
and copies (tembusan), its own deadline and read receipts; withdrawn only while unread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.rules import OFFICIAL_ROLES


@dataclass(frozen=True)
class Addressee:
    role: str
    unit: str | None = None

    def reaches(self, roles: frozenset[str], unit: str | None) -> bool:
        return self.role in roles and (self.unit is None or self.unit == unit)


@dataclass(frozen=True)
class Read:
    reader_subject: str
    reader_name: str
    reader_role: str
    read_at: datetime


@dataclass(frozen=True)
class Disposisi:
    disposisi_id: str
    case_id: str
    from_step: str
    to_step: str
    instructions: tuple[str, ...]
    note: str | None
    recipients: tuple[Addressee, ...]
    tembusan: tuple[Addressee, ...]
    due_at: datetime | None
    issued_by_subject: str
    issued_by_name: str
    issued_role: str
    issued_at: datetime
    withdrawn_at: datetime | None = None
    reads: tuple[Read, ...] = ()

    def addressed_to(self, roles: frozenset[str], unit: str | None) -> Addressee | None:
        return next((a for a in (*self.recipients, *self.tembusan) if a.reaches(roles, unit)), None)

    def withdrawable(self) -> None:
        if self.withdrawn_at is not None:
            raise DomainError(errors.DISPOSISI_WITHDRAWN)
        if self.reads:
            raise DomainError(errors.DISPOSISI_ALREADY_READ)


def check_disposisi(
    *,
    instructions: Sequence[str],
    known_instructions: frozenset[str],
    recipients: Sequence[Addressee],
    tembusan: Sequence[Addressee],
    next_holder: Addressee | None,
    due_at: datetime | None,
    now: datetime,
) -> None:
    unknown = sorted(set(instructions) - known_instructions)
    if unknown:
        raise DomainError(
            errors.INSTRUCTION_UNKNOWN, {"unknown": unknown, "known": sorted(known_instructions)}
        )
    if any(a.role not in OFFICIAL_ROLES for a in (*recipients, *tembusan)):
        raise DomainError(errors.RECIPIENT_INVALID)
    # The disposisi sends the case on: whoever holds the next step must be among its recipients.
    if next_holder is not None and not any(
        a.role == next_holder.role and (next_holder.unit is None or a.unit in (None, next_holder.unit))
        for a in recipients
    ):
        raise DomainError(errors.RECIPIENT_REQUIRED, {"role": next_holder.role, "unit": next_holder.unit})
    if due_at is not None and due_at <= now:
        raise DomainError(errors.DEADLINE_PAST)
