"""Accounts, sessions and the applicants' submission list in the console's schema, and the unit of
work that carries them."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from bkpsdm.common.auth import Role
from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.uow import PostgresUnitOfWork
from bkpsdm.console.domain.users import User
from bkpsdm.console.service import SsoFlow, SubmissionEntry

_USER_COLUMNS = (
    "user_id, username, name, roles, unit, password_hash, failed_attempts, locked_until, disabled,"
    " sso_issuer, sso_subject"
)
_KNOWN_ROLES = {r.value: r for r in Role}


def _user(row: asyncpg.Record) -> User:
    return User(
        user_id=str(row["user_id"]),
        username=row["username"],
        name=row["name"],
        # A role a later version dropped is simply no longer granted.
        roles=frozenset(_KNOWN_ROLES[r] for r in row["roles"] if r in _KNOWN_ROLES),
        unit=row["unit"],
        password_hash=row["password_hash"],
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"],
        disabled=row["disabled"],
        sso_issuer=row["sso_issuer"],
        sso_subject=row["sso_subject"],
    )


class PostgresUserRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._table = f"{quote_schema(schema)}.users"

    async def get(self, username: str, *, for_update: bool = False) -> User | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM {self._table} WHERE username = $1{lock}", username
        )
        return _user(row) if row else None

    async def by_id(self, user_id: str) -> User | None:
        row = await self._conn.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM {self._table} WHERE user_id = $1", uuid.UUID(user_id)
        )
        return _user(row) if row else None

    async def add(self, user: User) -> bool:
        inserted = await self._conn.fetchval(
            f"INSERT INTO {self._table} (user_id, username, name, roles, unit, password_hash)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING RETURNING true",
            uuid.UUID(user.user_id),
            user.username,
            user.name,
            sorted(r.value for r in user.roles),
            user.unit,
            user.password_hash,
        )
        return bool(inserted)

    async def replace(self, user: User) -> None:
        await self._conn.execute(
            f"UPDATE {self._table} SET name = $2, roles = $3, unit = $4, password_hash = $5,"
            " failed_attempts = 0, locked_until = NULL, disabled = false, updated_at = now()"
            " WHERE user_id = $1",
            uuid.UUID(user.user_id),
            user.name,
            sorted(r.value for r in user.roles),
            user.unit,
            user.password_hash,
        )

    async def save_sign_in_state(self, user: User) -> None:
        await self._conn.execute(
            f"UPDATE {self._table} SET failed_attempts = $2, locked_until = $3, password_hash = $4,"
            " updated_at = now() WHERE user_id = $1",
            uuid.UUID(user.user_id),
            user.failed_attempts,
            user.locked_until,
            user.password_hash,
        )

    async def all(self) -> list[User]:
        rows = await self._conn.fetch(f"SELECT {_USER_COLUMNS} FROM {self._table} ORDER BY username")
        return [_user(r) for r in rows]

    async def save_sso(self, user: User) -> User:
        row = await self._conn.fetchrow(
            f"INSERT INTO {self._table} (user_id, username, name, roles, unit, password_hash,"
            " sso_issuer, sso_subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (sso_issuer, sso_subject) DO UPDATE SET name = EXCLUDED.name,"
            " roles = EXCLUDED.roles, unit = EXCLUDED.unit, updated_at = now()"
            f" RETURNING {_USER_COLUMNS}",
            uuid.UUID(user.user_id),
            user.username,
            user.name,
            sorted(r.value for r in user.roles),
            user.unit,
            user.password_hash,
            user.sso_issuer,
            user.sso_subject,
        )
        assert row is not None  # an upsert always returns its row
        return _user(row)


class PostgresSsoFlowRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._table = f"{quote_schema(schema)}.sso_flows"

    async def add(self, flow: SsoFlow) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._table} (browser_sha256, state, nonce, code_verifier, next_path,"
            " redirect_uri, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            flow.browser_sha256,
            flow.state,
            flow.nonce,
            flow.code_verifier,
            flow.next_path,
            flow.redirect_uri,
            flow.expires_at,
        )

    async def take(self, browser_sha256: bytes) -> SsoFlow | None:
        row = await self._conn.fetchrow(
            f"DELETE FROM {self._table} WHERE browser_sha256 = $1 RETURNING *", browser_sha256
        )
        return SsoFlow(**dict(row)) if row is not None else None

    async def delete_expired(self, now: datetime) -> int:
        status = await self._conn.execute(f"DELETE FROM {self._table} WHERE expires_at <= $1", now)
        return int(status.split()[-1])


class PostgresSessionRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._table = f"{quote_schema(schema)}.sessions"

    async def add(
        self, token_sha256: bytes, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._table} (token_sha256, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            token_sha256,
            uuid.UUID(user_id),
            created_at,
            expires_at,
        )

    async def user_id(self, token_sha256: bytes, now: datetime) -> str | None:
        found = await self._conn.fetchval(
            f"SELECT user_id FROM {self._table} WHERE token_sha256 = $1 AND expires_at > $2",
            token_sha256,
            now,
        )
        return str(found) if found is not None else None

    async def delete(self, token_sha256: bytes) -> None:
        await self._conn.execute(f"DELETE FROM {self._table} WHERE token_sha256 = $1", token_sha256)

    async def delete_expired(self, now: datetime) -> int:
        status = await self._conn.execute(f"DELETE FROM {self._table} WHERE expires_at <= $1", now)
        return int(status.split()[-1])


class PostgresSubmissionIndex:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._table = f"{quote_schema(schema)}.unit_submissions"

    async def add(self, entry: SubmissionEntry) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._table} (submission_id, unit, receipt_number, service_code, title,"
            " submitted_at, replaces) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (submission_id) DO NOTHING",
            uuid.UUID(entry.submission_id),
            entry.unit,
            entry.receipt_number,
            entry.service_code,
            entry.title,
            entry.submitted_at,
            uuid.UUID(entry.replaces) if entry.replaces else None,
        )

    async def of_unit(self, unit: str, limit: int) -> list[SubmissionEntry]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._table} WHERE unit = $1 ORDER BY submitted_at DESC LIMIT $2", unit, limit
        )
        return [
            SubmissionEntry(
                submission_id=str(r["submission_id"]),
                unit=r["unit"],
                receipt_number=r["receipt_number"],
                service_code=r["service_code"],
                title=r["title"],
                submitted_at=r["submitted_at"],
                replaces=str(r["replaces"]) if r["replaces"] else None,
            )
            for r in rows
        ]


class PostgresConsoleUnitOfWork(PostgresUnitOfWork):
    users: PostgresUserRepository
    sessions: PostgresSessionRepository
    submissions: PostgresSubmissionIndex
    sso_flows: PostgresSsoFlowRepository

    def bind(self, conn: Connection, schema: str) -> None:
        self.users = PostgresUserRepository(conn, schema)
        self.sessions = PostgresSessionRepository(conn, schema)
        self.submissions = PostgresSubmissionIndex(conn, schema)
        self.sso_flows = PostgresSsoFlowRepository(conn, schema)
