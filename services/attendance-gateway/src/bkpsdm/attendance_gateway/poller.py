"""The polling loop: lease due terminals, run each session in a worker process, store the outcome.

Several gateway processes may run it against one database: leases (`terminal_state`) keep a
terminal with one process at a time; a heartbeat renews this process's leases, and a dead
process's terminals are taken over once its leases expire (`lease_s`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from datetime import UTC, datetime

from prometheus_client import Gauge

from bkpsdm.attendance_gateway import service
from bkpsdm.attendance_gateway.adapters.repository import Lease
from bkpsdm.attendance_gateway.adapters.workers import SessionWorkers
from bkpsdm.attendance_gateway.adapters.zk_session import (
    Action,
    LogChunk,
    SessionJob,
    SessionMessage,
    SessionResult,
)
from bkpsdm.attendance_gateway.domain import errors
from bkpsdm.attendance_gateway.domain.terminal import Transport
from bkpsdm.attendance_gateway.service import LeaseLost, PollPolicy, UnitOfWorkFactory
from bkpsdm.common.contracts import ATTENDANCE_PUNCHES
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.errors import describe
from bkpsdm.common.logs import correlation_scope, get_logger, new_correlation_id

log = get_logger(__name__)

# Counted from the database on each heartbeat: every gateway process reports all enabled
# terminals, not only those it leases.
TERMINALS = Gauge("bkpsdm_attendance_terminals", "Enabled terminals by health status", ["status"])
for _status in service.STATUSES:  # every series on /metrics from the start, at 0
    TERMINALS.labels(_status)


class Poller:
    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        *,
        workers: int,
        session_timeout_s: float,
        session_deadline_s: float,
        lease_s: float,
        tick_s: float,
        policy: PollPolicy,
    ) -> None:
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._uow = unit_of_work
        self.workers = SessionWorkers(workers)
        self._timeout_s = session_timeout_s
        self._deadline_s = session_deadline_s
        self._lease_s = lease_s
        self._tick_s = tick_s
        self.policy = policy
        self._in_flight: set[asyncio.Task[None]] = set()
        self._working: set[str] = set()  # terminal ids whose leases this process renews
        self._tasks: list[asyncio.Task[None]] = []
        # A finished poll frees a worker, and a terminal enabled here is due: claim again at
        # once rather than at the next tick (with only the tick, a process could never poll
        # more than `workers` terminals a tick, and a new terminal would wait up to a tick).
        self._claim_now = asyncio.Event()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name="poller-claim"),
            asyncio.create_task(self._heartbeat(), name="poller-heartbeat"),
        ]
        log.info("poller.started", owner=self.owner, workers=self.workers.size)

    async def stop(self) -> None:
        for task in [*self._tasks, *self._in_flight]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._in_flight, return_exceptions=True)
        await self.workers.close()
        with contextlib.suppress(Exception):
            async with self._uow() as uow:
                await uow.polling.release_all(self.owner)
        log.info("poller.stopped", owner=self.owner)

    def _job(self, lease: Lease, action: Action, clear_if_published: bool = False) -> SessionJob:
        capture_s = float(lease.terminal.poll_interval_s) if action == "capture" else 0.0
        t = lease.terminal
        return SessionJob(
            address=t.address,
            port=t.port,
            udp=t.transport is Transport.UDP,
            comm_key=t.comm_key,
            timeout_s=self._timeout_s,
            action=action,
            start=lease.checkpoint,
            checkpoint_key=lease.checkpoint_key,
            time_zone=t.time_zone,
            clear_if_published=clear_if_published,
            capture_s=capture_s,
            # A big log is stored chunk by chunk while the session still hands the rest over.
            chunk_size=self.policy.batch_size if action in ("poll", "capture") else 0,
        )

    async def exclusive_session(
        self, terminal_id: str, action: Action, wait_s: float
    ) -> tuple[Lease, SessionResult] | None:
        """Run one session on request (diagnosis, time sync) under the terminal's lease, waiting
        up to `wait_s` for a poll in progress; None when the terminal stayed busy. Raises
        TERMINAL_NOT_FOUND for an unknown terminal."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            async with self._uow() as uow:
                if await uow.terminals.get(terminal_id) is None:
                    raise DomainError(errors.TERMINAL_NOT_FOUND)
                lease = await uow.polling.lease(terminal_id, self.owner, self._lease_s)
            if lease is not None:
                break
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.5)
        self._working.add(lease.terminal.terminal_id)
        try:
            result = await self.workers.run(self._job(lease, action), self._deadline_s)
        finally:
            self._working.discard(lease.terminal.terminal_id)
            async with self._uow() as uow:
                await uow.polling.release(lease)
        log.info("terminal.session_on_request", terminal_id=terminal_id, action=action, ok=result.ok)
        return lease, result

    async def _claim_loop(self) -> None:
        while True:
            free = self.workers.size - len(self._in_flight)
            try:
                if free > 0:
                    async with self._uow() as uow:
                        leases = await uow.polling.claim(self.owner, free, self._lease_s, list(self._working))
                    for lease in leases:
                        self._working.add(lease.terminal.terminal_id)
                        action: Action = "capture" if lease.terminal.live_capture else "poll"
                        task = asyncio.create_task(self._poll(lease, action))
                        self._in_flight.add(task)
                        task.add_done_callback(self._poll_done)
            except Exception as exc:
                log.warning("poller.claim_failed", error=describe(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._claim_now.wait(), self._tick_s)
            self._claim_now.clear()

    def _poll_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._claim_now.set()

    def wake(self) -> None:
        """Claim due terminals now (one was registered or enabled through this process)."""
        self._claim_now.set()

    async def _heartbeat(self) -> None:
        while True:
            await self._count_terminals()
            await asyncio.sleep(self._lease_s / 3)
            try:
                if self._working:
                    async with self._uow() as uow:
                        await uow.polling.renew(self.owner, list(self._working), self._lease_s)
            except Exception as exc:
                log.warning("poller.renew_failed", error=describe(exc))

    async def _count_terminals(self) -> None:
        try:
            counts = await service.terminal_counts(self._uow())
        except Exception as exc:  # the gauge keeps its last values; the next heartbeat retries
            log.warning("poller.count_failed", error=describe(exc))
            return
        for status in service.STATUSES:
            TERMINALS.labels(status).set(counts.get(status, 0))

    async def _poll(self, lease: Lease, action: Action) -> None:
        t = lease.terminal
        self._working.add(t.terminal_id)
        try:
            with correlation_scope(new_correlation_id(), terminal_id=t.terminal_id) as correlation_id:
                started = datetime.now(UTC)
                clear = False
                if t.clear_log_after_publish and lease.checkpoint > 0:
                    async with self._uow() as uow:
                        clear = await uow.polling.all_published(t.terminal_id, ATTENDANCE_PUNCHES.name)
                job = self._job(lease, action, clear)
                streamed: asyncio.Queue[SessionMessage | None] = asyncio.Queue()
                loop = asyncio.get_running_loop()

                def hand_over(message: SessionMessage) -> None:  # called on a session thread
                    loop.call_soon_threadsafe(streamed.put_nowait, message)

                storing = asyncio.create_task(self._store_streamed(lease, streamed, correlation_id))
                try:
                    result = await self.workers.run(
                        job,
                        self._deadline_s + job.capture_s,
                        hand_over,
                    )
                except Exception as exc:  # no worker could be started: a failed poll like any other
                    result = SessionResult(ok=False, reason="WORKER_FAILED", detail=describe(exc))
                finally:
                    streamed.put_nowait(None)
                    streamed_new = await storing
                if streamed_new is None:
                    return  # the lease lapses and the terminal is polled again from the checkpoint
                # A live-capture terminal's sessions follow each other: the window is the interval.
                await self._store(
                    lease, result, started, correlation_id, 0.0 if job.capture_s else None, streamed_new
                )
        finally:
            self._working.discard(t.terminal_id)

    async def _store_streamed(
        self, lease: Lease, messages: asyncio.Queue[SessionMessage | None], correlation_id: str
    ) -> int | None:
        """Store what the session hands over before its result: a big log's chunks, in order,
        and live events. The punches the chunks added; None once a chunk could not be stored
        (the checkpoint must not skip it: the rest of this read is dropped)."""
        added: int | None = 0
        t = lease.terminal
        while (message := await messages.get()) is not None:
            if isinstance(message, LogChunk):
                if added is None:
                    continue
                try:
                    added += await service.store_log_chunk(
                        self._uow, lease, message, self.policy, correlation_id
                    )
                except LeaseLost:
                    log.warning("terminal.lease_lost", terminal_id=t.terminal_id)
                    added = None
                except Exception as exc:
                    log.error("terminal.poll_store_failed", terminal_id=t.terminal_id, error=describe(exc))
                    added = None
                continue
            try:
                await service.store_live_punch(self._uow, lease, message, self.policy, correlation_id)
            except Exception as exc:  # the next full pull reads it from the log
                log.warning(
                    "terminal.live_punch_not_stored",
                    terminal_id=t.terminal_id,
                    error=describe(exc),
                )
        return added

    async def _store(
        self,
        lease: Lease,
        result: SessionResult,
        started: datetime,
        correlation_id: str,
        next_poll_in_s: float | None = None,
        streamed_new: int = 0,
    ) -> None:
        t = lease.terminal
        try:
            outcome = await service.apply_poll(
                self._uow, lease, result, self.policy, started, correlation_id, next_poll_in_s, streamed_new
            )
        except LeaseLost:
            log.warning("terminal.lease_lost", terminal_id=t.terminal_id)
            return
        except Exception as exc:
            # The lease lapses and the terminal is polled again; the checkpoint kept what was stored.
            log.error("terminal.poll_store_failed", terminal_id=t.terminal_id, error=describe(exc))
            return
        log.info(
            "terminal.polled",
            terminal_id=t.terminal_id,
            status=outcome.status,
            reason=outcome.reason,
            new_punches=outcome.new_punches,
            seconds=round((datetime.now(UTC) - started).total_seconds(), 3),
        )
