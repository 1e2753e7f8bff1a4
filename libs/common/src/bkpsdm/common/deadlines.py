"""SLA deadlines: rows in the service's schema, fired by `DeadlineFirer` with FOR UPDATE SKIP LOCKED.

`schedule` and `cancel` run in the caller's transaction, with the state change they belong
to. A firer claims due rows, runs the handler for each inside a savepoint of the claiming
transaction and marks the row fired in that same transaction: the handler's writes (its state
change, its outbox rows) commit together with "fired" or not at all. A crash rolls the whole
claim back and the rows stay due; two firers never claim the same row. So a deadline fires
exactly once, also across restarts and several processes.

A handler that raises costs the row an attempt: its savepoint rolls back, the row is tried
again after a backoff, and after `max_attempts` it is parked (left open with its last error,
counted in `bkpsdm_deadlines_parked`) for an operator, who fixes the cause and clears
`parked_at`. Scheduling a parked row's (aggregate, kind) again re-arms it; cancelling drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter, Gauge

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.errors import describe
from bkpsdm.common.logs import get_logger

log = get_logger(__name__)

FIRED = Counter("bkpsdm_deadlines_fired_total", "Deadlines fired (handler committed)", ["schema", "kind"])
HANDLER_FAILURES = Counter(
    "bkpsdm_deadlines_handler_failures_total", "Deadline handler attempts that raised", ["schema", "kind"]
)
PARKED = Gauge(
    "bkpsdm_deadlines_parked", "Open deadlines parked after max_attempts failures", ["schema", "kind"]
)
OLDEST_OVERDUE = Gauge(
    "bkpsdm_deadlines_oldest_overdue_seconds",
    "How late the oldest due, unfired (not parked) deadline is after a firing pass",
    ["schema", "kind"],
)

# Backoff after the nth failed attempt: RETRY_BASE * 2**(n-1), at most RETRY_CAP.
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(hours=1)
STOP_TIMEOUT_S = 10.0
_OPEN = "fired_at IS NULL AND cancelled_at IS NULL"


@dataclass(frozen=True)
class Deadline:
    deadline_id: int
    aggregate_id: str
    kind: str
    due_at: datetime  # aware, UTC
    payload: dict[str, Any]
    attempts: int  # failed attempts so far


DeadlineHandler = Callable[[Connection, Deadline], Awaitable[None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    return value.astimezone(UTC)


def retry_delay(failed_attempts: int) -> timedelta:
    """The wait before the next try of a row that has failed `failed_attempts` times."""
    return min(RETRY_BASE * (1 << min(max(failed_attempts - 1, 0), 20)), RETRY_CAP)


async def schedule(
    conn: Connection,
    schema: str,
    *,
    aggregate_id: str,
    kind: str,
    due_at: datetime,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Add the deadline, or move the open one of (aggregate_id, kind) (re-arming it if parked)."""
    await conn.execute(
        f"INSERT INTO {quote_schema(schema)}.deadlines"
        " (aggregate_id, kind, due_at, next_attempt_at, payload) VALUES ($1, $2, $3, $3, $4::jsonb)"
        f" ON CONFLICT (aggregate_id, kind) WHERE {_OPEN} DO UPDATE SET"
        " due_at = EXCLUDED.due_at, next_attempt_at = EXCLUDED.due_at, payload = EXCLUDED.payload,"
        " attempts = 0, last_error = NULL, parked_at = NULL",
        aggregate_id,
        kind,
        _aware(due_at),
        json.dumps(dict(payload or {})),
    )


async def cancel(conn: Connection, schema: str, *, aggregate_id: str, kind: str | None = None) -> int:
    """Cancel the aggregate's open deadlines (of `kind`, or all); return how many."""
    status = await conn.execute(
        f"UPDATE {quote_schema(schema)}.deadlines SET cancelled_at = now()"
        f" WHERE aggregate_id = $1 AND ($2::text IS NULL OR kind = $2) AND {_OPEN}",
        aggregate_id,
        kind,
    )
    return int(status.split()[-1])


class DeadlineFirer:
    """Fires a schema's due deadlines: `fire_due` once, or `start` a loop that runs it after
    each NOTIFY (a deadline added or moved), at the next due time, or every `idle_interval`
    seconds. The loop keeps one pool connection for LISTEN while it runs."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        handler: DeadlineHandler,
        *,
        clock: Callable[[], datetime] = _utc_now,
        batch_size: int = 100,
        idle_interval: float = 1.0,
        max_attempts: int = 10,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._handler = handler
        self._clock = clock
        self._batch_size = max(1, batch_size)
        self._idle_interval = idle_interval
        self._max_attempts = max(1, max_attempts)
        q = quote_schema(schema)
        # A row failing in its backoff has due_at <= now < next_attempt_at: walked, skipped.
        self._claim_sql = (
            "SELECT deadline_id, aggregate_id, kind, due_at, payload::text AS payload, attempts"
            f" FROM {q}.deadlines WHERE {_OPEN} AND parked_at IS NULL"
            " AND due_at <= $1 AND next_attempt_at <= $1"
            " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED"
        )
        self._fired_sql = f"UPDATE {q}.deadlines SET fired_at = $2 WHERE deadline_id = $1"
        self._fail_sql = (
            f"UPDATE {q}.deadlines d SET attempts = d.attempts + 1, last_error = f.error,"
            " next_attempt_at = f.retry_at, parked_at = CASE WHEN d.attempts + 1 >= $4 THEN $5::timestamptz END"
            " FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS f(id, error, retry_at)"
            " WHERE d.deadline_id = f.id"
        )
        self._stats_sql = (
            f"SELECT kind, count(*)::int AS parked, NULL::timestamptz AS oldest_due FROM {q}.deadlines"
            f" WHERE parked_at IS NOT NULL AND {_OPEN} GROUP BY kind"
            " UNION ALL"
            f" SELECT kind, 0, min(due_at) FROM {q}.deadlines"
            f" WHERE {_OPEN} AND parked_at IS NULL AND due_at <= $1 GROUP BY kind"
        )
        self._next_due_sql = (
            f"SELECT min(due_at) FROM {q}.deadlines WHERE {_OPEN} AND parked_at IS NULL AND due_at > $1"
        )
        self._channel = f"{schema}_deadlines"
        self._kinds_seen: set[str] = set()
        self._listener: PoolConnectionProxy[asyncpg.Record] | None = None
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def fire_due(self) -> int:
        """One pass over every row due at clock(); return how many fired."""
        now = self._clock()
        fired = 0
        while True:
            claimed, done = await self._fire_batch(now)
            fired += done
            if claimed < self._batch_size:
                break
        await self._observe(now)
        return fired

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"deadline-firer-{self._schema}")

    async def stop(self) -> None:
        """Let a pass in flight finish, then cancel (a cancelled pass rolls back: its rows stay due)."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            _, pending = await asyncio.wait([self._task], timeout=STOP_TIMEOUT_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._close_listener()

    async def _fire_batch(self, now: datetime) -> tuple[int, int]:
        """Claim up to batch_size due rows and fire them in one transaction; (claimed, fired)."""
        fired: list[Deadline] = []
        failed: list[tuple[Deadline, BaseException]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self._claim_sql, now, self._batch_size)
            for row in rows:
                deadline = Deadline(
                    deadline_id=row["deadline_id"],
                    aggregate_id=row["aggregate_id"],
                    kind=row["kind"],
                    due_at=row["due_at"],
                    payload=json.loads(row["payload"]),
                    attempts=row["attempts"],
                )
                try:
                    async with conn.transaction():  # a savepoint: a failure undoes this row only
                        # Fired before the handler runs: a handler scheduling the same
                        # (aggregate, kind) again (a repeating reminder) adds a new deadline.
                        await conn.execute(self._fired_sql, deadline.deadline_id, now)
                        await self._handler(conn, deadline)
                except Exception as exc:
                    failed.append((deadline, exc))
                else:
                    fired.append(deadline)
            if failed:
                await conn.execute(
                    self._fail_sql,
                    [d.deadline_id for d, _ in failed],
                    [describe(exc) for _, exc in failed],
                    [now + retry_delay(d.attempts + 1) for d, _ in failed],
                    self._max_attempts,
                    now,
                )
        # Committed: count and tell.
        for deadline in fired:
            FIRED.labels(self._schema, deadline.kind).inc()
        for deadline, error in failed:
            HANDLER_FAILURES.labels(self._schema, deadline.kind).inc()
            attempts = deadline.attempts + 1
            parked = attempts >= self._max_attempts
            (log.error if parked else log.warning)(
                "deadline.parked" if parked else "deadline.handler_failed",
                schema=self._schema,
                deadline_id=deadline.deadline_id,
                aggregate_id=deadline.aggregate_id,
                kind=deadline.kind,
                attempts=attempts,
                error=describe(error),
                error_type=type(error).__name__,
            )
        return len(rows), len(fired)

    async def _observe(self, now: datetime) -> None:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(self._stats_sql, now)
        parked: dict[str, int] = {}
        overdue: dict[str, float] = {}
        for row in rows:
            if row["oldest_due"] is None:
                parked[row["kind"]] = row["parked"]
            else:
                overdue[row["kind"]] = max((now - row["oldest_due"]).total_seconds(), 0.0)
        self._kinds_seen.update(parked, overdue)
        for kind in self._kinds_seen:  # a kind with nothing left reads 0, not its last value
            PARKED.labels(self._schema, kind).set(parked.get(kind, 0))
            OLDEST_OVERDUE.labels(self._schema, kind).set(overdue.get(kind, 0.0))

    async def _seconds_to_next_due(self) -> float:
        now = self._clock()
        async with self._pool.acquire() as conn:
            next_due: datetime | None = await conn.fetchval(self._next_due_sql, now)
        if next_due is None:
            return self._idle_interval
        return min(max((next_due - now).total_seconds(), 0.0), self._idle_interval)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self._ensure_listener()
                self._wakeup.clear()  # before the pass: a NOTIFY during it wakes the next wait
                await self.fire_due()
                failures = 0
                delay = await self._seconds_to_next_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The rows stay due; a broken connection is dropped and taken again.
                failures += 1
                log.warning(
                    "deadline.firer_failed",
                    schema=self._schema,
                    error=describe(exc),
                    error_type=type(exc).__name__,
                    failures=failures,
                )
                await self._close_listener()
                await asyncio.sleep(min(0.2 * 2 ** min(failures, 6), 10.0) * (0.5 + random.random() / 2))
                continue
            if delay > 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), delay)

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        conn = await self._pool.acquire()
        try:
            await conn.add_listener(self._channel, self._on_notify)
        except BaseException:
            await self._pool.release(conn)
            raise
        self._listener = conn

    def _on_notify(self, *_: Any) -> None:
        self._wakeup.set()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            conn, self._listener = self._listener, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.remove_listener(self._channel, self._on_notify), 2)
            with contextlib.suppress(Exception):
                await self._pool.release(conn, timeout=2)
