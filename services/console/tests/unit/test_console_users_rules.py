"""Who may have an account, and when repeated failures lock it (pure rules, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console.domain.users import (
    LockoutPolicy,
    User,
    after_failure,
    after_success,
    check_new_user,
    is_locked,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = LockoutPolicy(threshold=3, lock_for=timedelta(minutes=15))


def user(failed: int = 0, locked_until: datetime | None = None) -> User:
    return User("u1", "analis", "Agus", frozenset({Role.UNIT_PENGOLAH}), None, "hash", failed, locked_until)


@pytest.mark.parametrize(
    ("before", "attempts", "locked"),
    [
        (user(), 1, False),
        (user(failed=1), 2, False),
        (user(failed=2), 3, True),  # the third failure in a row locks
        (user(failed=2, locked_until=NOW - timedelta(seconds=1)), 1, False),  # a passed lock starts again
        (user(failed=7, locked_until=NOW - timedelta(hours=1)), 1, False),
    ],
)
def test_failed_sign_ins_in_a_row_lock_the_account(before: User, attempts: int, locked: bool) -> None:
    after = after_failure(before, NOW, POLICY)
    assert after.failed_attempts == attempts
    assert is_locked(after, NOW) is locked
    if locked:
        assert after.locked_until == NOW + POLICY.lock_for
        assert not is_locked(after, NOW + POLICY.lock_for)


def test_a_successful_sign_in_clears_the_failures() -> None:
    assert after_success(user(failed=2)) == user()


@pytest.mark.parametrize(
    ("username", "password", "roles", "unit", "code"),
    [
        ("ab", "panjang-sekali", {Role.SEKRETARIS}, None, "USERNAME_INVALID"),
        ("Nama Spasi", "panjang-sekali", {Role.SEKRETARIS}, None, "USERNAME_INVALID"),
        ("sekretaris", "pendek", {Role.SEKRETARIS}, None, "PASSWORD_TOO_SHORT"),
        ("sekretaris", "panjang-sekali", set(), None, "ROLE_REQUIRED"),
        ("layanan", "panjang-sekali", {Role.INTERNAL_SERVICE}, None, "ROLE_REQUIRED"),
        ("disdik", "panjang-sekali", {Role.PERANGKAT_DAERAH}, None, "UNIT_REQUIRED"),
        ("disdik", "panjang-sekali", {Role.PERANGKAT_DAERAH}, "  ", "UNIT_REQUIRED"),
    ],
)
def test_accounts_the_services_would_refuse_are_not_created(
    username: str, password: str, roles: set[Role], unit: str | None, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_new_user(username, password, frozenset(roles), unit)
    assert refused.value.error.code == code


@pytest.mark.parametrize(
    ("username", "roles", "unit"),
    [
        ("admin.desk", {Role.PETUGAS_ADMINISTRASI}, None),
        ("Disdik", {Role.PERANGKAT_DAERAH}, "DISDIK"),
        ("kabid-1", {Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH}, None),
    ],
)
def test_valid_accounts_pass(username: str, roles: set[Role], unit: str | None) -> None:
    check_new_user(username, "kata-sandi-panjang", frozenset(roles), unit)
