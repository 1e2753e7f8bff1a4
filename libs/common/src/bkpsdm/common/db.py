"""PostgreSQL: one asyncpg pool per service, versioned SQL migrations per service schema.

Each service owns one schema. Migrations are `NNNN_name.sql` files applied in order, each
in its own transaction with `search_path` set to the schema, under an advisory lock so
several replicas starting together apply them once. An applied file that later changes
stops the service: history is never rewritten silently.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from bkpsdm.common.logs import get_logger

log = get_logger(__name__)

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # What use cases get: a pooled connection (a proxy) or a plain one.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str  # "<source>:<file stem>", e.g. "common:0001_outbox_inbox"
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def quote_schema(schema: str) -> str:
    """Schemas come from settings, never from users; still, refuse anything but a plain name."""
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name: {schema!r}")
    return f'"{schema}"'


def load_migrations(source: str, folder: Path) -> list[Migration]:
    files = sorted(p for p in folder.glob("*.sql") if re.match(r"^\d{4}_", p.name))
    return [Migration(f"{source}:{p.stem}", p.read_text(encoding="utf-8")) for p in files]


# A relay holds its transaction open while Kafka acknowledges (up to the producer's request
# timeout); a client that vanished without closing its socket must not hold row locks for
# the hours TCP takes to notice. Keepalives find dead peers within about a minute.
SESSION_SETTINGS = {
    "idle_in_transaction_session_timeout": "120000",
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=30, server_settings=SESSION_SETTINGS
    )
    assert pool is not None
    return pool


async def apply_migrations(pool: asyncpg.Pool, schema: str, migrations: list[Migration]) -> list[str]:
    """Apply what is missing; return the versions applied now."""
    quoted = quote_schema(schema)
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        # Session-level lock on a dedicated connection: held across the per-file transactions.
        # Another replica may hold it for as long as its migrations take; a blocking lock
        # call would hit the command timeout, so ask again until it is ours.
        while not await conn.fetchval(
            "SELECT pg_try_advisory_lock(hashtext($1))", f"bkpsdm.migrations.{schema}"
        ):
            log.info("migration.waiting_for_lock", schema=schema)
            await asyncio.sleep(0.5)
        try:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {quoted}.schema_migrations ("
                " version text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {
                r["version"]: r["checksum"]
                for r in await conn.fetch(f"SELECT version, checksum FROM {quoted}.schema_migrations")
            }
            for migration in migrations:
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version} in schema {schema} changed after it was applied"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL search_path TO {quoted}, public")
                    await conn.execute(migration.sql)
                    await conn.execute(
                        f"INSERT INTO {quoted}.schema_migrations (version, checksum) VALUES ($1, $2)",
                        migration.version,
                        migration.checksum,
                    )
                applied_now.append(migration.version)
                log.info("migration.applied", schema=schema, version=migration.version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"bkpsdm.migrations.{schema}")
    return applied_now


async def migrate_service(pool: asyncpg.Pool, schema: str, service: str, folder: Path) -> list[str]:
    """The shared outbox/inbox tables first, then the service's own migrations."""
    migrations = load_migrations("common", COMMON_MIGRATIONS) + load_migrations(service, folder)
    return await apply_migrations(pool, schema, migrations)


class Database:
    """The service's pool, created at start; use cases reach it through this handle."""

    def __init__(
        self, dsn: str, schema: str, min_size: int = 1, max_size: int = 10, acquire_timeout_s: float = 10.0
    ) -> None:
        self.dsn = dsn
        self.schema = schema
        self._min_size = min_size
        self._max_size = max_size
        # A request waits this long for a free connection, then gets a 503, never hangs.
        self.acquire_timeout_s = acquire_timeout_s
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database not connected yet")
        return self._pool

    async def connect(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(self.dsn, self._min_size, self._max_size)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def ping(self) -> bool:
        async with self.pool.acquire(timeout=2) as conn:
            return bool(await conn.fetchval("SELECT true"))
