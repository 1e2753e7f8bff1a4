"""The upload pipeline: takes unfinished uploads, sends their pending rows with bounded
concurrency, stores each answer, and finishes the upload (state and result event in one
transaction).

Who runs an upload: the process holding a PostgreSQL advisory lock named after it, taken on the
runner's own connection. A crashed process's connection goes and its locks with it, so a
restarted (or another) process resumes the upload at once, from the rows still pending. A row
sent but not yet recorded when the process died is sent again with the same Idempotency-Key:
BKN replays its first answer, no second record. The same connection LISTENs for new uploads.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Counter

from bkpsdm.common.contracts import UploadFinished
from bkpsdm.common.db import Database
from bkpsdm.common.errors import describe
from bkpsdm.common.logs import correlation_scope, get_logger
from bkpsdm.common.topics import TopicSpec
from bkpsdm.common.uploads.adapters import PendingRow, UploadAdapter
from bkpsdm.common.uploads.model import RowResult, RowState
from bkpsdm.common.uploads.outcome import outcome_of, reasons_of
from bkpsdm.common.uploads.repository import UploadRepository, UploadsUnitOfWork

log = get_logger(__name__)

UPLOADS = Counter(
    "bkpsdm_uploads_total", "Uploads finished (counted once committed)", ["service_code", "outcome"]
)


def report_url(request_id: str) -> str:
    return f"/api/v1/uploads/{request_id}/report"


def notify_channel(schema: str) -> str:
    return f"{schema}_uploads"


class _ResultWriter:
    """Answers are written in batches (every `every` rows or `interval_s`): a row answered but
    not yet written when the process dies is sent again, and BKN replays it."""

    def __init__(self, db: Database, request_id: str, every: int, interval_s: float) -> None:
        self._db, self._request_id = db, request_id
        self._every, self._interval_s = every, interval_s
        self._buffer: list[tuple[int, RowResult]] = []
        self._full = asyncio.Event()
        self.written = 0

    def add(self, row_no: int, result: RowResult) -> None:
        self._buffer.append((row_no, result))
        if len(self._buffer) >= self._every:
            self._full.set()

    async def flush(self) -> None:
        while self._buffer:
            batch, self._buffer = self._buffer[: self._every * 4], self._buffer[self._every * 4 :]
            try:
                async with self._db.pool.acquire(timeout=self._db.acquire_timeout_s) as conn:
                    await UploadRepository(conn, self._db.schema).record(self._request_id, batch)
            except BaseException:
                self._buffer = batch + self._buffer
                raise
            self.written += len(batch)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._interval_s)
            self._full.clear()
            await self.flush()


class UploadRunner:
    def __init__(
        self,
        db: Database,
        unit_of_work: Callable[[], UploadsUnitOfWork],
        adapter: UploadAdapter,
        results_topic: TopicSpec,
        *,
        concurrency: int = 8,
        parallel_uploads: int = 2,
        poll_interval_s: float = 2.0,
        flush_every: int = 100,
        flush_interval_s: float = 0.25,
    ) -> None:
        self._db = db
        self._uow = unit_of_work
        self.adapter = adapter
        self._topic = results_topic
        self._concurrency = concurrency
        self._parallel = parallel_uploads
        self._poll_interval_s = poll_interval_s
        self._flush_every = flush_every
        self._flush_interval_s = flush_interval_s
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._lock_conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._lock_mutex = asyncio.Lock()

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="upload-runner")

    def nudge(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        await self._close_lock_conn()

    async def _close_lock_conn(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _connect(self) -> asyncpg.Connection[asyncpg.Record]:
        if self._lock_conn is None or self._lock_conn.is_closed():
            self._lock_conn = await asyncpg.connect(self._db.dsn)
            await self._lock_conn.add_listener(notify_channel(self._db.schema), lambda *_: self._wake.set())
        return self._lock_conn

    async def _loop(self) -> None:
        while True:
            try:
                await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("upload.claim_failed", error_type=type(exc).__name__, error=describe(exc))
                await self._close_lock_conn()  # its locks are gone; take them again on a new one
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
            self._wake.clear()

    async def _claim(self) -> None:
        conn = await self._connect()
        free = self._parallel - len(self._running)
        if free <= 0:
            return
        async with self._db.pool.acquire(timeout=self._db.acquire_timeout_s) as pooled:
            candidates = await UploadRepository(pooled, self._db.schema).unfinished(self._parallel * 4)
        for request_id in candidates:
            if free <= 0:
                break
            if request_id in self._running:
                continue
            async with self._lock_mutex:
                locked = await conn.fetchval(
                    "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", self._lock_name(request_id)
                )
            if locked:
                free -= 1
                task = asyncio.create_task(self._run(request_id), name=f"upload-{request_id}")
                self._running[request_id] = task
                task.add_done_callback(functools.partial(self._done, request_id))

    def _lock_name(self, request_id: str) -> str:
        return f"{self._db.schema}.upload.{request_id}"

    def _done(self, request_id: str, _: asyncio.Task[None]) -> None:
        self._running.pop(request_id, None)
        self._wake.set()  # another upload may be waiting for the slot

    async def _unlock(self, request_id: str) -> None:
        conn = self._lock_conn
        if conn is None or conn.is_closed():
            return
        with contextlib.suppress(Exception):
            async with self._lock_mutex:
                await conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended($1, 0))", self._lock_name(request_id)
                )

    async def _run(self, request_id: str) -> None:
        try:
            await self._run_locked(request_id)
        finally:
            await self._unlock(request_id)

    async def _run_locked(self, request_id: str) -> None:
        async with self._db.pool.acquire(timeout=self._db.acquire_timeout_s) as conn:
            repo = UploadRepository(conn, self._db.schema)
            upload = await repo.get(request_id)
            rows = await repo.pending_rows(request_id) if upload is not None and not upload.finished else []
        if upload is None or upload.finished:
            return
        with correlation_scope(upload.correlation_id, request_id=request_id):
            log.info("upload.running", pending=len(rows), total=upload.rows_total, adapter=self.adapter.name)
            try:
                await self._send(request_id, rows)
                await self._finish(request_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Our database went away mid-upload: the rows not recorded stay pending; the
                # next claim resumes them (and BKN replays the ones it already stored).
                log.warning("upload.interrupted", error_type=type(exc).__name__, error=describe(exc))
                await asyncio.sleep(self._poll_interval_s)

    async def _send(self, request_id: str, rows: list[PendingRow]) -> None:
        queue: asyncio.Queue[PendingRow] = asyncio.Queue()
        for row in rows:
            queue.put_nowait(row)
        writer = _ResultWriter(self._db, request_id, self._flush_every, self._flush_interval_s)

        async def work() -> None:
            while True:
                try:
                    row = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                writer.add(row.row_no, await self.adapter.send(row))

        flusher = asyncio.create_task(writer.run())
        workers = [asyncio.create_task(work()) for _ in range(max(1, min(self._concurrency, len(rows))))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            flusher.cancel()
            await asyncio.gather(*workers, flusher, return_exceptions=True)
            # What was answered is kept, also when stopping: fewer rows to send again.
            with contextlib.suppress(Exception):
                await asyncio.shield(writer.flush())

    async def _finish(self, request_id: str) -> None:
        async with self._uow() as uow:
            counts = await uow.uploads.counts(request_id)
            if counts[RowState.PENDING]:
                return  # answers not all recorded (a flush failed): the next claim sends the rest
            upload = await uow.uploads.get(request_id)
            if upload is None or upload.finished:
                return
            outcome = outcome_of(counts)
            reasons = reasons_of(
                counts, await uow.uploads.reason_counts(request_id), upload.adapter, upload.notes
            )
            done = await uow.uploads.finish(request_id, outcome, counts, reasons)
            if done is None:
                return
            event = UploadFinished(
                request_id=done.request_id,
                submission_id=done.submission_id,
                case_id=done.case_id,
                service_code=done.service_code,
                outcome=outcome.value,
                rows_total=done.rows_total,
                rows_stored=done.rows_stored or 0,
                rows_rejected=done.rows_rejected or 0,
                rows_failed=done.rows_failed or 0,
                reasons=reasons,
                adapter=done.adapter,
                rules_version=done.rules.label,
                report_url=report_url(done.request_id),
                finished_at=done.finished_at or datetime.now(UTC),
            )
            await uow.outbox.add(self._topic, event, correlation_id=done.correlation_id)
        UPLOADS.labels(event.service_code, event.outcome).inc()  # committed: counted once
        log.info(
            "upload.finished",
            outcome=outcome.value,
            stored=event.rows_stored,
            rejected=event.rows_rejected,
            failed=event.rows_failed,
        )
