"""The console's user store on the real PostgreSQL: migrations, accounts, lockout under concurrent
attempts, sessions, the demo accounts, and the applicants' submission list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import argon2
import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.db import Database, migrate_service
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console import service
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.repository import PostgresConsoleUnitOfWork
from bkpsdm.console.bootstrap import MIGRATIONS, bootstrap
from bkpsdm.console.domain.demo import DEMO_PASSWORD, DEMO_USERS
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.service import SubmissionEntry
from bkpsdm.console.settings import IDENTITY, ConsoleSettings
from bkpsdm.console.users import seed_demo
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.services import assert_service_runs, settings_for_test

pytestmark = pytest.mark.integration

HASHER = Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
POLICY = LockoutPolicy(3, timedelta(minutes=15))
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
async def database(infra: Infra, schema: str) -> AsyncIterator[Database]:
    db = Database(infra.database_url, schema, 1, 8)
    await db.connect()
    await migrate_service(db.pool, schema, IDENTITY.name, MIGRATIONS)
    yield db
    await db.close()


def uow(db: Database) -> PostgresConsoleUnitOfWork:
    return PostgresConsoleUnitOfWork(db, IDENTITY.source)


async def test_the_console_starts_migrates_its_schema_and_reports_ready(
    infra: Infra, schema: str, pool: asyncpg.Pool
) -> None:
    settings = settings_for_test(
        ConsoleSettings, infra, schema, signing_key_file=ensure_local_auth() / "private.pem"
    )
    await assert_service_runs(bootstrap, settings, pool)
    async with pool.acquire() as conn:
        tables = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
            )
        }
    assert {"users", "sessions", "unit_submissions"} <= tables


async def test_concurrent_wrong_passwords_each_count_and_lock_the_account(database: Database) -> None:
    await service.save_user(
        uow(database),
        HASHER,
        username="kaban",
        name="Kepala",
        password="kata-sandi-kaban",
        roles=[Role.KEPALA_BADAN],
        unit=None,
    )

    async def attempt() -> str:
        try:
            await service.sign_in(uow(database), HASHER, "kaban", "salah", now=NOW, policy=POLICY)
        except DomainError as refused:
            return refused.error.code
        return "SIGNED_IN"

    codes = await asyncio.gather(*(attempt() for _ in range(6)))
    # The row lock serialises the attempts: two failures, the lock, then refusals of a locked account.
    assert sorted(codes) == ["ACCOUNT_LOCKED"] * 4 + ["SIGN_IN_FAILED"] * 2
    with pytest.raises(DomainError) as locked:
        await service.sign_in(uow(database), HASHER, "kaban", "kata-sandi-kaban", now=NOW, policy=POLICY)
    assert locked.value.error.code == "ACCOUNT_LOCKED"
    later = NOW + POLICY.lock_for
    user = await service.sign_in(uow(database), HASHER, "kaban", "kata-sandi-kaban", now=later, policy=POLICY)
    assert user.failed_attempts == 0


async def test_sessions_are_stored_hashed_expire_and_close(database: Database, schema: str) -> None:
    user = await service.save_user(
        uow(database),
        HASHER,
        username="disdik",
        name="Operator",
        password="kata-sandi-disdik",
        roles=[Role.PERANGKAT_DAERAH],
        unit="disdik",
    )
    assert user.unit == "DISDIK"
    token = await service.open_session(uow(database), user, now=NOW, ttl=timedelta(hours=9))
    found = await service.session_user(uow(database), token, now=NOW + timedelta(hours=1))
    assert found is not None
    assert found.principal().unit == "DISDIK"
    assert await service.session_user(uow(database), token, now=NOW + timedelta(hours=9)) is None
    async with database.pool.acquire() as conn:
        stored = await conn.fetchval(f'SELECT token_sha256 FROM "{schema}".sessions')
    assert token.encode() not in stored
    await service.close_session(uow(database), token)
    assert await service.session_user(uow(database), token, now=NOW) is None


async def test_seeding_the_demo_gives_every_role_an_account_and_resets_them(database: Database) -> None:
    users = await seed_demo(database, hasher=HASHER)
    humans = {r for r in Role if r is not Role.INTERNAL_SERVICE}
    assert {r for u in users for r in u.roles} == humans
    applicant = next(d for d in DEMO_USERS if d.role is Role.PERANGKAT_DAERAH)
    for _ in range(POLICY.threshold):
        with pytest.raises(DomainError):
            await service.sign_in(uow(database), HASHER, applicant.username, "salah", now=NOW, policy=POLICY)
    again = await seed_demo(database, hasher=HASHER)
    assert [u.user_id for u in again] == [u.user_id for u in users]
    signed_in = await service.sign_in(
        uow(database), HASHER, applicant.username, DEMO_PASSWORD, now=NOW, policy=POLICY
    )
    assert signed_in.unit == applicant.unit


async def test_a_unit_sees_only_its_own_submissions_newest_first(database: Database) -> None:
    def entry(unit: str, minutes: int) -> SubmissionEntry:
        return SubmissionEntry(
            submission_id=f"00000000-0000-0000-0000-{minutes:012d}",
            unit=unit,
            receipt_number=f"E-LAPKIN/2026/{minutes:05d}",
            service_code="E-LAPKIN",
            title="Rekap",
            submitted_at=NOW + timedelta(minutes=minutes),
        )

    for e in (entry("DISDIK", 1), entry("DINKES", 2), entry("DISDIK", 3), entry("DISDIK", 3)):
        await service.remember_submission(uow(database), e)
    listed = await service.unit_submissions(uow(database), "DISDIK")
    assert [e.receipt_number for e in listed] == ["E-LAPKIN/2026/00003", "E-LAPKIN/2026/00001"]
