"""The console's users: who may sign in, with which roles and unit, and when an account is locked.
Pure: no I/O; password hashing is an adapter."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bkpsdm.common.auth import Principal, Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console.domain import errors

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10
# Tokens for people only: a service's own identity is not a console account.
HUMAN_ROLES = tuple(r for r in Role if r is not Role.INTERNAL_SERVICE)


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int  # failed sign-ins in a row that lock the account
    lock_for: timedelta


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    name: str
    roles: frozenset[Role]
    unit: str | None
    password_hash: str
    failed_attempts: int = 0
    locked_until: datetime | None = None
    disabled: bool = False
    # Set for a person the agency's OpenID provider signs in: no console password, and the
    # roles and unit are the provider's claims as of the last sign-in.
    sso_issuer: str | None = None
    sso_subject: str | None = None

    def principal(self) -> Principal:
        return Principal(subject=self.subject, name=self.name, roles=self.roles, unit=self.unit)

    @property
    def subject(self) -> str:
        # Stable across renames of the person: the account's id, namespaced by its issuer.
        return f"console:{self.user_id}"


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_new_user(username: str, password: str, roles: frozenset[Role], unit: str | None) -> None:
    """Refuse an account that could not sign in or whose tokens the services would refuse."""
    if not _USERNAME.match(normalise_username(username)):
        raise DomainError(errors.USERNAME_INVALID)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(errors.PASSWORD_TOO_SHORT)
    if not roles or not roles <= set(HUMAN_ROLES):
        raise DomainError(errors.ROLE_REQUIRED)
    if Role.PERANGKAT_DAERAH in roles and not (unit or "").strip():
        raise DomainError(errors.UNIT_REQUIRED)


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def after_failure(user: User, now: datetime, policy: LockoutPolicy) -> User:
    """One more failed sign-in of an account that is not locked: the threshold-th in a row
    locks it for a while, and the count starts again once a lock has passed."""
    lock_passed = user.locked_until is not None and now >= user.locked_until
    attempts = (0 if lock_passed else user.failed_attempts) + 1
    if attempts >= policy.threshold:
        return replace(user, failed_attempts=attempts, locked_until=now + policy.lock_for)
    return replace(user, failed_attempts=attempts, locked_until=None)


def after_success(user: User) -> User:
    return replace(user, failed_attempts=0, locked_until=None)
