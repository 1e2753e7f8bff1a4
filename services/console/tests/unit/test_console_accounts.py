"""The console's account use cases on the in-memory store: accounts, sign-in with lockout, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import argon2
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console import service
from bkpsdm.console.adapters.memory import InMemoryConsoleUnitOfWork
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.domain.users import LockoutPolicy

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
POLICY = LockoutPolicy(3, timedelta(minutes=15))
# Cheap parameters: the tests prove the rules, not the cost of argon2.
HASHER = Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "kata-sandi-analis"


@pytest.fixture
async def uow() -> InMemoryConsoleUnitOfWork:
    store = InMemoryConsoleUnitOfWork()
    await service.save_user(
        store,
        HASHER,
        username="Analis",
        name="Agus",
        password=PASSWORD,
        roles=[Role.UNIT_PENGOLAH],
        unit=None,
    )
    return store


async def refused_code(uow: InMemoryConsoleUnitOfWork, password: str, now: datetime = NOW) -> str:
    with pytest.raises(DomainError) as refused:
        await service.sign_in(uow, HASHER, "analis", password, now=now, policy=POLICY)
    return refused.value.error.code


async def test_the_right_password_signs_in_and_the_password_is_stored_hashed(
    uow: InMemoryConsoleUnitOfWork,
) -> None:
    user = await service.sign_in(uow, HASHER, " ANALIS ", PASSWORD, now=NOW, policy=POLICY)
    assert (user.username, user.roles, user.subject) == (
        "analis",
        frozenset({Role.UNIT_PENGOLAH}),
        f"console:{user.user_id}",
    )
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


async def test_an_unknown_name_and_a_wrong_password_get_the_same_answer(
    uow: InMemoryConsoleUnitOfWork,
) -> None:
    assert await refused_code(uow, "salah") == "SIGN_IN_FAILED"
    with pytest.raises(DomainError) as unknown:
        await service.sign_in(uow, HASHER, "tidak-ada", PASSWORD, now=NOW, policy=POLICY)
    assert unknown.value.error.code == "SIGN_IN_FAILED"


async def test_repeated_failures_lock_the_account_even_against_the_right_password(
    uow: InMemoryConsoleUnitOfWork,
) -> None:
    assert [await refused_code(uow, "salah") for _ in range(3)] == [
        "SIGN_IN_FAILED",
        "SIGN_IN_FAILED",
        "ACCOUNT_LOCKED",
    ]
    assert await refused_code(uow, PASSWORD, NOW + timedelta(minutes=14)) == "ACCOUNT_LOCKED"
    # Once the lock has passed the right password works and the count starts again.
    user = await service.sign_in(
        uow, HASHER, "analis", PASSWORD, now=NOW + timedelta(minutes=15), policy=POLICY
    )
    assert (user.failed_attempts, user.locked_until) == (0, None)


async def test_a_name_is_taken_once_unless_overwritten(uow: InMemoryConsoleUnitOfWork) -> None:
    with pytest.raises(DomainError) as taken:
        await service.save_user(
            uow, HASHER, username="analis", name="Lain", password=PASSWORD, roles=[Role.SEKRETARIS], unit=None
        )
    assert taken.value.error.code == "USER_EXISTS"
    await refused_code(uow, "salah")
    replaced = await service.save_user(
        uow,
        HASHER,
        username="analis",
        name="Lain",
        password="kata-sandi-baru",
        roles=[Role.SEKRETARIS],
        unit=None,
        overwrite=True,
    )
    user = await service.sign_in(uow, HASHER, "analis", "kata-sandi-baru", now=NOW, policy=POLICY)
    assert (user.user_id, user.roles, user.name) == (replaced.user_id, frozenset({Role.SEKRETARIS}), "Lain")


async def test_a_session_lasts_until_it_expires_or_is_closed(uow: InMemoryConsoleUnitOfWork) -> None:
    user = await service.sign_in(uow, HASHER, "analis", PASSWORD, now=NOW, policy=POLICY)
    token = await service.open_session(uow, user, now=NOW, ttl=timedelta(hours=9))
    assert await service.session_user(uow, token, now=NOW + timedelta(hours=8)) == user
    assert await service.session_user(uow, token, now=NOW + timedelta(hours=9)) is None
    assert await service.session_user(uow, token + "x", now=NOW) is None
    await service.close_session(uow, token)
    assert await service.session_user(uow, token, now=NOW) is None
    assert token.encode() not in b"".join(uow.sessions.sessions)  # only its hash is kept
