"""Who a person signed in by the agency's OpenID provider is here: the roles and unit their
claims map to. Pure: the protocol (discovery, tokens, signatures) is an adapter."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bkpsdm.common.auth import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console.domain import errors
from bkpsdm.console.domain.users import HUMAN_ROLES


@dataclass(frozen=True)
class ClaimRules:
    roles_claim: str  # a dotted path for nested claims (Keycloak's "realm_access.roles")
    unit_claim: str
    role_map: Mapping[str, Role]  # the provider's group/role name -> ours; nothing else maps


@dataclass(frozen=True)
class SsoIdentity:
    issuer: str
    subject: str
    name: str
    roles: frozenset[Role]
    unit: str | None

    @property
    def username(self) -> str:
        # Never the provider's preferred_username: a local account of that name is someone else.
        digest = hashlib.sha256(f"{self.issuer}\0{self.subject}".encode()).hexdigest()
        return f"sso.{digest[:24]}"


def claim(claims: Mapping[str, Any], path: str) -> Any:
    found: Any = claims
    for part in path.split("."):
        if not isinstance(found, Mapping) or part not in found:
            return None
        found = found[part]
    return found


def _names(value: Any) -> list[str]:
    """A claim holding one name, a list of names, or a space-separated string of them."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def map_claims(claims: Mapping[str, Any], rules: ClaimRules, *, issuer: str) -> SsoIdentity:
    """The roles and unit the claims give; refused when they give no role of ours, or an
    applicant role without the unit it is scoped to."""
    roles = frozenset(
        rules.role_map[name] for name in _names(claim(claims, rules.roles_claim)) if name in rules.role_map
    )
    roles &= frozenset(HUMAN_ROLES)  # a provider never makes anyone a service
    if not roles:
        raise DomainError(errors.SSO_NO_ROLE)
    units = _names(claim(claims, rules.unit_claim))
    unit = units[0].upper() if units else None
    if Role.PERANGKAT_DAERAH in roles and unit is None:
        raise DomainError(errors.SSO_UNIT_MISSING)
    subject = str(claims.get("sub") or "")
    name = next(
        (str(claims[k]) for k in ("name", "preferred_username", "email") if isinstance(claims.get(k), str)),
        subject,
    )
    return SsoIdentity(
        issuer=issuer, subject=subject, name=name.strip()[:200] or subject, roles=roles, unit=unit
    )
