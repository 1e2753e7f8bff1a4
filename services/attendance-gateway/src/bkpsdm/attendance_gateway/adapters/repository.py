"""The registry, polling state, leases and punches in the gateway's schema, and its unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bkpsdm.attendance_gateway.adapters.attendance_repository import PostgresAttendanceRepository
from bkpsdm.attendance_gateway.adapters.comm_keys import CommKeySealer, CommKeyUnreadable
from bkpsdm.attendance_gateway.adapters.punch_store import PunchStore
from bkpsdm.attendance_gateway.domain.terminal import Terminal, Transport
from bkpsdm.common.db import Connection, Database, quote_schema
from bkpsdm.common.events import Event
from bkpsdm.common.outbox import enqueue_many
from bkpsdm.common.topics import TopicSpec
from bkpsdm.common.uow import PostgresUnitOfWork


@dataclass(frozen=True)
class Lease:
    terminal: Terminal
    owner: str
    token: int
    checkpoint: int
    checkpoint_key: str | None
    status: str
    reason: str | None
    failure_streak: int
    drift_alert: bool
    last_success_at: datetime | None
    records: int | None = None  # as of the previous poll
    records_capacity: int | None = None


def _terminal(row: asyncpg.Record, sealer: CommKeySealer | None) -> Terminal:
    return Terminal(
        terminal_id=str(row["terminal_id"]),
        name=row["name"],
        address=row["address"],
        port=row["port"],
        transport=Transport(row["transport"]),
        comm_key=_comm_key(row, sealer),
        time_zone=row["time_zone"],
        poll_interval_s=row["poll_interval_s"],
        unit=row["unit"],
        enabled=row["enabled"],
        clear_log_after_publish=row["clear_log_after_publish"],
        live_capture=row["live_capture"],
    )


def _comm_key(row: asyncpg.Record, sealer: CommKeySealer | None) -> int:
    sealed: str | None = row["comm_key_sealed"]
    if sealed is None:
        return int(row["comm_key"])  # no key, or stored before sealing (sealed at the next start)
    if sealer is None:
        raise CommKeyUnreadable("a comm key is sealed but no COMM_KEY_SECRET_FILE is configured")
    return sealer.open(sealed)


def _stored_comm_key(comm_key: int, sealer: CommKeySealer | None) -> tuple[int, str | None]:
    """The (comm_key, comm_key_sealed) columns: with a sealer the plaintext column holds 0."""
    if sealer is None or comm_key == 0:
        return comm_key, None
    return 0, sealer.seal(comm_key)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class PostgresTerminalRepository:
    def __init__(self, conn: Connection, schema: str, sealer: CommKeySealer | None = None) -> None:
        self._conn = conn
        self._s = quote_schema(schema)
        self._sealer = sealer

    async def add(self, t: Terminal) -> bool:
        """False when a terminal with this address and port is already registered."""
        comm_key, sealed = _stored_comm_key(t.comm_key, self._sealer)
        inserted = await self._conn.fetchval(
            f"INSERT INTO {self._s}.terminals (terminal_id, name, address, port, transport, comm_key,"
            " time_zone, poll_interval_s, unit, enabled, clear_log_after_publish, live_capture,"
            " comm_key_sealed)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
            " ON CONFLICT (address, port) DO NOTHING RETURNING true",
            uuid.UUID(t.terminal_id),
            t.name,
            t.address,
            t.port,
            t.transport.value,
            comm_key,
            t.time_zone,
            t.poll_interval_s,
            t.unit,
            t.enabled,
            t.clear_log_after_publish,
            t.live_capture,
            sealed,
        )
        if inserted:
            await self._conn.execute(
                f"INSERT INTO {self._s}.terminal_state (terminal_id) VALUES ($1)", uuid.UUID(t.terminal_id)
            )
        return bool(inserted)

    async def update(self, t: Terminal) -> None:
        comm_key, sealed = _stored_comm_key(t.comm_key, self._sealer)
        await self._conn.execute(
            f"UPDATE {self._s}.terminals SET name=$2, address=$3, port=$4, transport=$5, comm_key=$6,"
            " time_zone=$7, poll_interval_s=$8, unit=$9, enabled=$10, clear_log_after_publish=$11,"
            " live_capture=$12, comm_key_sealed=$13"
            " WHERE terminal_id=$1",
            uuid.UUID(t.terminal_id),
            t.name,
            t.address,
            t.port,
            t.transport.value,
            comm_key,
            t.time_zone,
            t.poll_interval_s,
            t.unit,
            t.enabled,
            t.clear_log_after_publish,
            t.live_capture,
            sealed,
        )

    async def seal_comm_keys(self) -> int:
        """Seal what is stored in plaintext (rows from before sealing) or with a rotated-out key,
        so that only the first configured key is needed; how many rows changed. Without a
        sealer, checks that nothing is sealed (the secret file must not go missing)."""
        rows = await self._conn.fetch(
            f"SELECT terminal_id, comm_key, comm_key_sealed FROM {self._s}.terminals"
            " WHERE comm_key <> 0 OR comm_key_sealed IS NOT NULL FOR UPDATE"
        )
        changed = []
        for row in rows:
            key = _comm_key(row, self._sealer)  # raises when a sealed key cannot be opened
            sealed: str | None = row["comm_key_sealed"]
            if self._sealer is not None and (
                sealed is None or not self._sealer.sealed_with_current_key(sealed)
            ):
                changed.append((row["terminal_id"], self._sealer.seal(key)))
        await self._conn.executemany(
            f"UPDATE {self._s}.terminals SET comm_key = 0, comm_key_sealed = $2 WHERE terminal_id = $1",
            changed,
        )
        return len(changed)

    async def address_taken(self, address: str, port: int, other_than: str) -> bool:
        return bool(
            await self._conn.fetchval(
                f"SELECT true FROM {self._s}.terminals WHERE address=$1 AND port=$2 AND terminal_id<>$3",
                address,
                port,
                uuid.UUID(other_than),
            )
        )

    async def get(self, terminal_id: str) -> Terminal | None:
        key = _uuid(terminal_id)
        if key is None:
            return None
        row = await self._conn.fetchrow(f"SELECT * FROM {self._s}.terminals WHERE terminal_id=$1", key)
        return None if row is None else _terminal(row, self._sealer)

    async def all(self) -> list[Terminal]:
        rows = await self._conn.fetch(f"SELECT * FROM {self._s}.terminals ORDER BY unit, name, terminal_id")
        return [_terminal(r, self._sealer) for r in rows]

    async def map_users(self, terminal_id: str, mappings: Sequence[tuple[str, str]]) -> None:
        await self._conn.executemany(
            f"INSERT INTO {self._s}.terminal_users (terminal_id, user_id, nip) VALUES ($1, $2, $3)"
            " ON CONFLICT (terminal_id, user_id) DO UPDATE SET nip = excluded.nip",
            [(uuid.UUID(terminal_id), user_id, nip) for user_id, nip in mappings],
        )

    async def users(self, terminal_id: str) -> dict[str, str]:
        rows = await self._conn.fetch(
            f"SELECT user_id, nip FROM {self._s}.terminal_users WHERE terminal_id=$1 ORDER BY user_id",
            uuid.UUID(terminal_id),
        )
        return {r["user_id"]: r["nip"] for r in rows}


class PostgresPollingRepository:
    def __init__(self, conn: Connection, schema: str, sealer: CommKeySealer | None = None) -> None:
        self._conn = conn
        self._s = quote_schema(schema)
        self._sealer = sealer

    async def claim(self, owner: str, limit: int, lease_s: float, busy: Sequence[str] = ()) -> list[Lease]:
        """Lease up to `limit` due terminals no live process holds (SKIP LOCKED: claimers never
        wait); `busy`: terminals this process is still working on, even if their lease lapsed."""
        rows = await self._conn.fetch(
            f"""
            WITH due AS (
                SELECT s.terminal_id FROM {self._s}.terminal_state s
                JOIN {self._s}.terminals t USING (terminal_id)
                WHERE t.enabled AND s.next_poll_at <= now()
                  AND (s.lease_expires_at IS NULL OR s.lease_expires_at < now())
                  AND NOT s.terminal_id = ANY($4::uuid[])
                ORDER BY s.next_poll_at LIMIT $2
                FOR UPDATE OF s SKIP LOCKED
            )
            UPDATE {self._s}.terminal_state s
            SET lease_owner = $1, lease_token = s.lease_token + 1,
                lease_expires_at = now() + make_interval(secs => $3)
            FROM due, {self._s}.terminals t
            WHERE s.terminal_id = due.terminal_id AND t.terminal_id = due.terminal_id
            RETURNING t.*, s.lease_token, s.checkpoint, s.checkpoint_key, s.status, s.reason,
                      s.failure_streak, s.drift_alert, s.last_success_at, s.records, s.records_capacity
            """,
            owner,
            limit,
            lease_s,
            [uuid.UUID(t) for t in busy],
        )
        return [
            Lease(
                terminal=_terminal(r, self._sealer),
                owner=owner,
                token=r["lease_token"],
                checkpoint=r["checkpoint"],
                checkpoint_key=r["checkpoint_key"],
                status=r["status"],
                reason=r["reason"],
                failure_streak=r["failure_streak"],
                drift_alert=r["drift_alert"],
                last_success_at=r["last_success_at"],
                records=r["records"],
                records_capacity=r["records_capacity"],
            )
            for r in rows
        ]

    async def lease(self, terminal_id: str, owner: str, lease_s: float) -> Lease | None:
        """Lease one terminal now (a request such as a time sync), unless a live process holds it."""
        rows = await self._conn.fetch(
            f"""
            UPDATE {self._s}.terminal_state s
            SET lease_owner = $2, lease_token = s.lease_token + 1,
                lease_expires_at = now() + make_interval(secs => $3)
            FROM {self._s}.terminals t
            WHERE s.terminal_id = $1 AND t.terminal_id = s.terminal_id
              AND (s.lease_expires_at IS NULL OR s.lease_expires_at < now())
            RETURNING t.*, s.lease_token, s.checkpoint, s.checkpoint_key, s.status, s.reason,
                      s.failure_streak, s.drift_alert, s.last_success_at
            """,
            uuid.UUID(terminal_id),
            owner,
            lease_s,
        )
        if not rows:
            return None
        r = rows[0]
        return Lease(
            _terminal(r, self._sealer),
            owner,
            r["lease_token"],
            r["checkpoint"],
            r["checkpoint_key"],
            r["status"],
            r["reason"],
            r["failure_streak"],
            r["drift_alert"],
            r["last_success_at"],
        )

    async def renew(self, owner: str, terminal_ids: Sequence[str], lease_s: float) -> int:
        """Extend this process's leases on the terminals it is working on (and no others, so a
        lease whose task died lapses)."""
        result = await self._conn.execute(
            f"UPDATE {self._s}.terminal_state SET lease_expires_at = now() + make_interval(secs => $2)"
            " WHERE lease_owner = $1 AND lease_expires_at > now() AND terminal_id = ANY($3::uuid[])",
            owner,
            lease_s,
            [uuid.UUID(t) for t in terminal_ids],
        )
        return int(result.split()[-1])

    async def release(self, lease: Lease) -> None:
        """Give the terminal back without touching its schedule (after a request's session)."""
        await self._conn.execute(
            f"UPDATE {self._s}.terminal_state SET lease_owner = NULL, lease_expires_at = NULL"
            " WHERE terminal_id = $1 AND lease_owner = $2 AND lease_token = $3",
            uuid.UUID(lease.terminal.terminal_id),
            lease.owner,
            lease.token,
        )

    async def release_all(self, owner: str) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.terminal_state SET lease_owner = NULL, lease_expires_at = NULL"
            " WHERE lease_owner = $1",
            owner,
        )

    async def lock_lease(self, lease: Lease, lease_s: float) -> bool:
        """Lock and extend the lease in this transaction if it is still ours (the fence): a poll
        that makes progress keeps its terminal even when the heartbeat is late."""
        return bool(
            await self._conn.fetchval(
                f"UPDATE {self._s}.terminal_state SET lease_expires_at = now() + make_interval(secs => $4)"
                " WHERE terminal_id=$1 AND lease_owner=$2 AND lease_token=$3 RETURNING true",
                uuid.UUID(lease.terminal.terminal_id),
                lease.owner,
                lease.token,
                lease_s,
            )
        )

    async def lock_terminal(self, terminal_id: str) -> None:
        """Hold the terminal's polling row until commit: a poll's batch (which locks it through
        its lease first) and a change of its user mapping then run one after the other."""
        await self._conn.execute(
            f"SELECT 1 FROM {self._s}.terminal_state WHERE terminal_id = $1 FOR UPDATE",
            uuid.UUID(terminal_id),
        )

    async def held_punches(self, terminal_id: str, user_ids: Sequence[str]) -> list[asyncpg.Record]:
        return await self._conn.fetch(
            f"SELECT * FROM {self._s}.punches WHERE terminal_id=$1 AND user_id = ANY($2::text[])"
            " AND published_at IS NULL ORDER BY punched_at FOR UPDATE",
            uuid.UUID(terminal_id),
            list(user_ids),
        )

    async def mark_published(self, keys: Sequence[str], nips: Sequence[str], at: datetime) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.punches p SET published_at=$3, nip=x.n"
            " FROM unnest($1::text[], $2::text[]) AS x(k, n) WHERE p.idempotency_key = x.k",
            list(keys),
            list(nips),
            at,
        )

    async def all_published(self, terminal_id: str, topic: str) -> bool:
        """No punch of this terminal waits in the outbox (every one was acknowledged by Kafka)."""
        return not await self._conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {self._s}.outbox WHERE sent_at IS NULL AND topic = $2"
            " AND payload->>'terminal_id' = $1)",
            terminal_id,
            topic,
        )

    async def log_cleared(self, lease: Lease) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.terminal_state SET checkpoint = 0, checkpoint_key = NULL, log_cleared_at = now()"
            " WHERE terminal_id = $1",
            uuid.UUID(lease.terminal.terminal_id),
        )

    async def advance(self, lease: Lease, checkpoint: int, checkpoint_key: str | None) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.terminal_state SET checkpoint=$2, checkpoint_key=$3 WHERE terminal_id=$1",
            uuid.UUID(lease.terminal.terminal_id),
            checkpoint,
            checkpoint_key,
        )

    async def finish(
        self,
        lease: Lease,
        *,
        next_poll_in_s: float,
        status: str,
        reason: str | None,
        detail: str | None,
        failure_streak: int,
        attempted_at: datetime,
        succeeded: bool,
        serial: str | None,
        firmware: str | None,
        drift_s: float | None,
        drift_alert: bool,
        records: int | None,
        records_capacity: int | None,
        users: int | None,
        started_at: datetime,
        new_punches: int,
    ) -> None:
        """Store the outcome, release the lease and schedule the next poll (caller holds the fence)."""
        await self._conn.execute(
            f"""
            UPDATE {self._s}.terminal_state SET
                next_poll_at = now() + make_interval(secs => $2), lease_owner = NULL, lease_expires_at = NULL,
                status = $3, reason = $4, detail = $5, failure_streak = $6, last_attempt_at = $7,
                last_success_at = CASE WHEN $8 THEN $7 ELSE last_success_at END,
                serial = coalesce($9, serial), firmware = coalesce($10, firmware),
                drift_s = coalesce($11, drift_s), drift_alert = $12,
                records = coalesce($13, records), records_capacity = coalesce($14, records_capacity),
                users = coalesce($15, users)
            WHERE terminal_id = $1
            """,
            uuid.UUID(lease.terminal.terminal_id),
            next_poll_in_s,
            status,
            reason,
            detail,
            failure_streak,
            attempted_at,
            succeeded,
            serial,
            firmware,
            drift_s,
            drift_alert,
            records,
            records_capacity,
            users,
        )
        await self._conn.execute(
            f"INSERT INTO {self._s}.polls (terminal_id, owner, lease_token, started_at, finished_at,"
            " outcome, new_punches) VALUES ($1, $2, $3, $4, now(), $5, $6)",
            uuid.UUID(lease.terminal.terminal_id),
            lease.owner,
            lease.token,
            started_at,
            reason or "OK",
            new_punches,
        )

    async def status_counts(self) -> dict[str, int]:
        """Enabled terminals by health status (UNKNOWN until first polled)."""
        rows = await self._conn.fetch(
            f"SELECT s.status, count(*) AS n FROM {self._s}.terminals t"
            f" JOIN {self._s}.terminal_state s USING (terminal_id) WHERE t.enabled GROUP BY s.status"
        )
        return {r["status"]: r["n"] for r in rows}

    async def board(self) -> list[asyncpg.Record]:
        return await self._conn.fetch(
            f"SELECT t.terminal_id, t.name, t.unit, t.enabled, s.* FROM {self._s}.terminals t"
            f" JOIN {self._s}.terminal_state s USING (terminal_id) ORDER BY t.unit, t.name, t.terminal_id"
        )


class BatchOutbox:
    """The outbox for many events at once (`enqueue_many`: one COPY, not a round trip each)."""

    def __init__(self, conn: Connection, schema: str, source: str) -> None:
        self._conn, self._schema, self._source = conn, schema, source

    async def add_many(self, topic: TopicSpec, events: Iterable[Event], correlation_id: str | None) -> int:
        ids = await enqueue_many(
            self._conn, self._schema, topic, events, source=self._source, correlation_id=correlation_id
        )
        return len(ids)


class PostgresGatewayUnitOfWork(PostgresUnitOfWork):
    attendance: PostgresAttendanceRepository
    terminals: PostgresTerminalRepository
    polling: PostgresPollingRepository
    punches: PunchStore
    batch: BatchOutbox

    def __init__(self, db: Database, source: str, sealer: CommKeySealer | None = None) -> None:
        super().__init__(db, source)
        self._sealer = sealer

    def bind(self, conn: Connection, schema: str) -> None:
        self.attendance = PostgresAttendanceRepository(conn, schema)
        self.terminals = PostgresTerminalRepository(conn, schema, self._sealer)
        self.polling = PostgresPollingRepository(conn, schema, self._sealer)
        self.punches = PunchStore(conn, schema, self._source)
        self.batch = BatchOutbox(conn, schema, self._source)
