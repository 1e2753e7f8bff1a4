"""Delegation (DOMAIN.md): an absent official's role is held by an acting official for a
period, as Plt (pelaksana tugas) or Plh (pelaksana harian); what the delegate does is
recorded as done for that role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.rules import OFFICIAL_ROLES


class DelegationKind(StrEnum):
    PLT = "PLT"
    PLH = "PLH"


@dataclass(frozen=True)
class Delegation:
    delegation_id: str
    role: str
    unit: str | None
    delegate_subject: str
    delegate_name: str
    kind: DelegationKind
    starts_at: datetime
    ends_at: datetime
    for_name: str | None  # the absent official, as the history names them
    granted_by_subject: str
    granted_by_name: str
    granted_at: datetime
    revoked_at: datetime | None = None

    def active(self, at: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= at < self.ends_at

    def covers(self, role: str, unit: str | None) -> bool:
        """Stands in for a step held by (`role`, `unit`); a step of any unit takes any unit's Plt."""
        return self.role == role and (unit is None or self.unit == unit)

    @property
    def title(self) -> str:
        label = Role(self.role).label
        return f"{self.kind.value.capitalize()}. {label}" + (f" ({self.unit})" if self.unit else "")


def may_grant(roles: frozenset[Role], unit: str | None, role: Role, role_unit: str | None) -> bool:
    """The Kepala Badan delegates any role; the Sekretaris any but the Kepala Badan's; an
    official their own role (of their own unit)."""
    if Role.KEPALA_BADAN in roles:
        return True
    if Role.SEKRETARIS in roles and role is not Role.KEPALA_BADAN:
        return True
    return role in roles and (role_unit is None or role_unit == unit)


def new_delegation(
    *,
    role: Role,
    unit: str | None,
    delegate_subject: str,
    delegate_name: str,
    kind: DelegationKind,
    starts_at: datetime,
    ends_at: datetime,
    for_name: str | None,
    granted_by_subject: str,
    granted_by_name: str,
    granted_by_roles: frozenset[Role],
    granted_by_unit: str | None,
    now: datetime,
    max_days: int,
) -> Delegation:
    if role not in OFFICIAL_ROLES:
        raise DomainError(errors.DELEGATION_ROLE_INVALID)
    if not may_grant(granted_by_roles, granted_by_unit, role, unit):
        raise DomainError(errors.DELEGATION_FORBIDDEN)
    if ends_at <= starts_at or ends_at <= now or ends_at - starts_at > timedelta(days=max_days):
        raise DomainError(errors.DELEGATION_PERIOD_INVALID, {"max_days": max_days})
    return Delegation(
        delegation_id=str(uuid.uuid4()),
        role=role.value,
        unit=unit,
        delegate_subject=delegate_subject,
        delegate_name=delegate_name,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        for_name=for_name,
        granted_by_subject=granted_by_subject,
        granted_by_name=granted_by_name,
        granted_at=now,
    )
