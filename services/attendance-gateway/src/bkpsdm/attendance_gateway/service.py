"""The gateway's use cases: the terminal registry, and turning one poll into punches and health.

A poll's new punches, the events announcing them and the terminal's checkpoint commit in
one transaction per batch, fenced by the lease: a process whose lease was taken over
writes nothing. Punches are inserted ON CONFLICT on their idempotency key, so a log read
again (a restart mid-pull, a cleared checkpoint) announces nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg

from bkpsdm.attendance_gateway.adapters.repository import Lease, PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.adapters.zk_log import RawPunch, record_key
from bkpsdm.attendance_gateway.adapters.zk_session import LiveEvent, LogChunk, SessionResult
from bkpsdm.attendance_gateway.domain import errors
from bkpsdm.attendance_gateway.domain.terminal import Registration, Terminal, check_user_mapping, new_terminal
from bkpsdm.common.contracts import (
    ATTENDANCE_PUNCHES,
    TERMINAL_STATUS,
    AttendancePunched,
    TerminalClockDrifted,
    TerminalDiagnosed,
    TerminalDiagnosisRequested,
    TerminalErrorStreak,
    TerminalHealthChanged,
    TerminalLogNearlyFull,
    TerminalRecordsRejected,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.events import Event
from bkpsdm.common.logs import get_logger

log = get_logger(__name__)

UnitOfWorkFactory = Callable[[], PostgresGatewayUnitOfWork]

ONLINE, OFFLINE, FAULTY, UNKNOWN = "ONLINE", "OFFLINE", "FAULTY", "UNKNOWN"
STATUSES = (UNKNOWN, ONLINE, OFFLINE, FAULTY)  # UNKNOWN: registered, not yet polled
# Failures that say "nobody answers"; every other failure is a terminal answering wrongly.
_OFFLINE_REASONS = frozenset({"TIMEOUT", "UNREACHABLE"})


@dataclass(frozen=True)
class PollPolicy:
    drift_threshold_s: float = 60.0
    error_streak_threshold: int = 3
    batch_size: int = 5000
    log_full_ratio: float = 0.9
    # Punches a full pull finds that live capture should have delivered: past this, capture is silent.
    missed_live_threshold: int = 3
    lease_s: float = 15.0


class LeaseLost(RuntimeError):
    """Another gateway process took the terminal over: this poll's writes are discarded."""


# --- registry ---


async def register_terminal(uow: PostgresGatewayUnitOfWork, registration: Registration) -> Terminal:
    terminal = new_terminal(registration)
    async with uow:
        if not await uow.terminals.add(terminal):
            raise DomainError(errors.TERMINAL_EXISTS)
    log.info("terminal.registered", terminal_id=terminal.terminal_id, unit=terminal.unit)
    return terminal


async def update_terminal(
    uow: PostgresGatewayUnitOfWork, terminal_id: str, registration: Registration, keep_comm_key: bool
) -> Terminal:
    """`keep_comm_key`: the request left the secret out, so it stays as it was."""
    async with uow:
        current = await uow.terminals.get(terminal_id)
        if current is None:
            raise DomainError(errors.TERMINAL_NOT_FOUND)
        if keep_comm_key:
            registration = {**registration, "comm_key": current.comm_key}
        terminal = new_terminal(registration, current.terminal_id)
        if await uow.terminals.address_taken(terminal.address, terminal.port, terminal.terminal_id):
            raise DomainError(errors.TERMINAL_EXISTS)
        await uow.terminals.update(terminal)
    log.info("terminal.updated", terminal_id=terminal.terminal_id)
    return terminal


async def seal_comm_keys(uow: PostgresGatewayUnitOfWork, sealing: bool) -> None:
    """At start: seal comm keys stored in plaintext (or under a rotated-out key). Fails when a
    sealed key cannot be opened (the secret file missing or wrong): polling would fail anyway."""
    async with uow:
        sealed = await uow.terminals.seal_comm_keys()
    if sealed:
        log.info("terminal.comm_keys_sealed", terminals=sealed)
    if not sealing:
        log.warning(
            "terminal.comm_keys_in_plaintext",
            hint="set BKPSDM_ATTENDANCE_GATEWAY_COMM_KEY_SECRET_FILE to seal them at rest",
        )


async def get_terminal(uow: PostgresGatewayUnitOfWork, terminal_id: str) -> Terminal:
    async with uow:
        terminal = await uow.terminals.get(terminal_id)
    if terminal is None:
        raise DomainError(errors.TERMINAL_NOT_FOUND)
    return terminal


async def list_terminals(uow: PostgresGatewayUnitOfWork) -> list[Terminal]:
    async with uow:
        return await uow.terminals.all()


async def map_users(
    uow: PostgresGatewayUnitOfWork, terminal_id: str, mappings: Sequence[tuple[str, str]], correlation_id: str
) -> int:
    """Map terminal user ids to NIPs; punches held for those ids go out now. How many went out."""
    checked = [check_user_mapping(user_id, nip) for user_id, nip in mappings]
    nip_of = dict(checked)
    async with uow:
        terminal = await uow.terminals.get(terminal_id)
        if terminal is None:
            raise DomainError(errors.TERMINAL_NOT_FOUND)
        # A poll storing punches of these user ids right now would store them unmapped after
        # this looked for held ones: wait for it (its punches are then held and go out here),
        # or make it wait (it then reads the new mapping).
        await uow.polling.lock_terminal(terminal.terminal_id)
        await uow.terminals.map_users(terminal.terminal_id, checked)
        held = await uow.polling.held_punches(terminal.terminal_id, list(nip_of))
        zone = ZoneInfo(terminal.time_zone)
        events = [
            AttendancePunched(
                idempotency_key=r["idempotency_key"],
                nip=nip_of[r["user_id"]],
                terminal_id=terminal.terminal_id,
                terminal_serial=r["serial"],
                user_id=r["user_id"],
                punched_at=r["punched_at"].astimezone(zone),
                time_zone=terminal.time_zone,
                verify_type=r["verify_type"],
                punch_state=r["punch_state"],
                unit=terminal.unit,
            )
            for r in held
        ]
        await uow.batch.add_many(ATTENDANCE_PUNCHES, events, correlation_id)
        await uow.polling.mark_published(
            [e.idempotency_key for e in events], [e.nip for e in events], datetime.now(UTC)
        )
    log.info("terminal.users_mapped", terminal_id=terminal_id, users=len(checked), released=len(events))
    return len(events)


async def terminal_users(uow: PostgresGatewayUnitOfWork, terminal_id: str) -> dict[str, str]:
    async with uow:
        if await uow.terminals.get(terminal_id) is None:
            raise DomainError(errors.TERMINAL_NOT_FOUND)
        return await uow.terminals.users(terminal_id)


async def health_board(uow: PostgresGatewayUnitOfWork) -> list[asyncpg.Record]:
    async with uow:
        return await uow.polling.board()


async def terminal_counts(uow: PostgresGatewayUnitOfWork) -> dict[str, int]:
    async with uow:
        return await uow.polling.status_counts()


# --- polling ---


@dataclass(frozen=True)
class PollOutcome:
    status: str
    reason: str | None
    new_punches: int
    events: tuple[Event, ...]


def poll_health(
    lease: Lease, result: SessionResult, policy: PollPolicy, now: datetime, missed_live: int = 0
) -> tuple[str, str | None, str | None, int, float | None, bool, list[Event]]:
    """`missed_live`: punches this session's log read stored that live capture (running since
    the previous session) had not delivered."""
    t = lease.terminal
    serial = result.serial
    rejected = result.log.rejected if result.ok and result.log is not None else []
    if result.ok and missed_live >= policy.missed_live_threshold:
        # Still online, and nothing is lost (the full pull reconciled them); capture needs a look.
        status, reason = ONLINE, "CAPTURE_SILENT"
        detail = f"{missed_live} punches reached the log but not live capture"
    elif result.ok and rejected:
        reasons = Counter(r.reason for r in rejected)
        status, reason = FAULTY, "BAD_RECORDS"
        detail = f"{len(rejected)} unreadable records: " + ", ".join(f"{k} x{v}" for k, v in reasons.items())
    elif result.ok:
        status, reason, detail = ONLINE, None, None
    else:
        status = OFFLINE if result.reason in _OFFLINE_REASONS else FAULTY
        reason, detail = result.reason or "UNKNOWN", result.detail
    streak = 0 if status == ONLINE else lease.failure_streak + 1
    if reason == "CAPTURE_SILENT":
        streak = lease.failure_streak
    events: list[Event] = []
    if (status, reason) != (lease.status, lease.reason):
        events.append(
            TerminalHealthChanged(
                terminal_id=t.terminal_id,
                terminal_serial=serial,
                unit=t.unit,
                status=status,
                previous_status=lease.status,
                reason=reason,
                detail=detail,
                failure_streak=streak,
                observed_at=now,
            )
        )
    if streak == policy.error_streak_threshold:
        events.append(
            TerminalErrorStreak(
                terminal_id=t.terminal_id,
                terminal_serial=serial,
                unit=t.unit,
                failure_streak=streak,
                reason=reason or "UNKNOWN",
                last_success_at=lease.last_success_at,
                observed_at=now,
            )
        )
    if rejected:
        events.append(
            TerminalRecordsRejected(
                terminal_id=t.terminal_id,
                terminal_serial=serial,
                unit=t.unit,
                rejected=len(rejected),
                reason=Counter(r.reason for r in rejected).most_common(1)[0][0],
                positions=[r.position for r in rejected[:100]],
                observed_at=now,
            )
        )
    if result.ok and result.records is not None and result.records_capacity:
        limit = policy.log_full_ratio * result.records_capacity
        was_full = lease.records is not None and lease.records >= limit
        if result.records >= limit and not was_full:
            events.append(
                TerminalLogNearlyFull(
                    terminal_id=t.terminal_id,
                    terminal_serial=serial,
                    unit=t.unit,
                    records=result.records,
                    records_capacity=result.records_capacity,
                    observed_at=now,
                )
            )
    drift: float | None = None
    drift_alert = lease.drift_alert
    if result.ok and result.terminal_time is not None and result.gateway_time is not None:
        terminal_time = result.terminal_time.replace(tzinfo=ZoneInfo(t.time_zone))
        drift = round((terminal_time - result.gateway_time).total_seconds(), 1)
        drift_alert = abs(drift) > policy.drift_threshold_s
        if drift_alert and not lease.drift_alert:
            events.append(
                TerminalClockDrifted(
                    terminal_id=t.terminal_id,
                    terminal_serial=serial,
                    unit=t.unit,
                    drift_seconds=drift,
                    threshold_seconds=policy.drift_threshold_s,
                    terminal_time=terminal_time,
                    observed_at=now,
                )
            )
    return status, reason, detail, streak, drift, drift_alert, events


async def store_log_chunk(
    new_uow: UnitOfWorkFactory,
    lease: Lease,
    chunk: LogChunk,
    policy: PollPolicy,
    correlation_id: str,
    read_at: datetime | None = None,
) -> int:
    """A part of a log read (not its end): its new punches, their events and the checkpoint
    past it in one transaction fenced by the lease; how many punches were new."""
    t = lease.terminal
    last = chunk.punches[-1]
    async with new_uow() as uow:
        if not await uow.polling.lock_lease(lease, policy.lease_s):
            raise LeaseLost(t.terminal_id)
        stored, _ = await uow.punches.store(
            t, chunk.serial, chunk.punches, read_at or datetime.now(UTC), correlation_id
        )
        await uow.polling.advance(lease, last.position + 1, record_key(chunk.serial, last))
    return stored


async def apply_poll(
    new_uow: UnitOfWorkFactory,
    lease: Lease,
    result: SessionResult,
    policy: PollPolicy,
    started_at: datetime,
    correlation_id: str,
    next_poll_in_s: float | None = None,
    streamed_new: int = 0,
) -> PollOutcome:
    """Store what one session read: new punches and checkpoint batch by batch, then the health.
    `streamed_new`: new punches of the chunks the session handed over (and were stored) before
    its result, which holds the rest of the log."""
    t = lease.terminal
    now = datetime.now(UTC)
    parsed = result.log if result.ok else None
    serial = result.serial or ""
    punches = parsed.punches if parsed is not None else []
    size = policy.batch_size
    batches = [punches[i : i + size] for i in range(0, len(punches), size)] or [[]]
    new_total = streamed_new
    live = lease.terminal.live_capture and lease.checkpoint > 0  # live capture ran since the last read
    for batch in batches[:-1]:
        new_total += await store_log_chunk(
            new_uow, lease, LogChunk(serial, batch), policy, correlation_id, now
        )
    async with new_uow() as uow:
        if not await uow.polling.lock_lease(lease, policy.lease_s):
            raise LeaseLost(t.terminal_id)
        if batches[-1]:
            stored, _ = await uow.punches.store(t, serial, batches[-1], now, correlation_id)
            new_total += stored
        status, reason, detail, streak, drift, drift_alert, events = poll_health(
            lease, result, policy, now, new_total if live else 0
        )
        if parsed is not None and result.cleared:
            await uow.polling.log_cleared(lease)
            log.info("terminal.log_cleared", terminal_id=t.terminal_id, records=parsed.count)
        elif parsed is not None:
            last = parsed.last_record
            await uow.polling.advance(lease, parsed.count, None if last is None else record_key(serial, last))
        await uow.batch.add_many(TERMINAL_STATUS, events, correlation_id)
        await uow.polling.finish(
            lease,
            next_poll_in_s=t.poll_interval_s if next_poll_in_s is None else next_poll_in_s,
            status=status,
            reason=reason,
            detail=detail,
            failure_streak=streak,
            attempted_at=now,
            succeeded=result.ok,
            serial=result.serial,
            firmware=result.firmware,
            drift_s=drift,
            drift_alert=drift_alert,
            records=result.records,
            records_capacity=result.records_capacity,
            users=result.users,
            started_at=started_at,
            new_punches=new_total,
        )
    return PollOutcome(status, reason, new_total, tuple(events))


async def store_live_punch(
    new_uow: UnitOfWorkFactory, lease: Lease, event: LiveEvent, policy: PollPolicy, correlation_id: str
) -> bool:
    """One live event: stored and announced at once (fenced by the lease); False if known."""
    serial, user_id, timestamp, verify_type, punch_state = event
    t = lease.terminal
    raw = RawPunch(-1, user_id, timestamp, verify_type, punch_state)
    async with new_uow() as uow:
        if not await uow.polling.lock_lease(lease, policy.lease_s):
            raise LeaseLost(t.terminal_id)
        stored, _ = await uow.punches.store(t, serial, [raw], datetime.now(UTC), correlation_id)
    return stored > 0


# --- requests: diagnosis (from routing's repair workflow) and time sync ---


def drift_of(lease: Lease, result: SessionResult) -> float | None:
    if not result.ok or result.terminal_time is None or result.gateway_time is None:
        return None
    local = result.terminal_time.replace(tzinfo=ZoneInfo(lease.terminal.time_zone))
    return round((local - result.gateway_time).total_seconds(), 1)


async def answer_diagnosis(
    uow: PostgresGatewayUnitOfWork,
    request: TerminalDiagnosisRequested,
    correlation_id: str | None,
    session: tuple[Lease, SessionResult] | None,
    reason_if_none: str,
) -> TerminalDiagnosed:
    """Announce what a diagnosis session found; runs in the subscription's unit of work."""
    now = datetime.now(UTC)
    if session is None:
        answer = TerminalDiagnosed(
            request_id=request.request_id,
            terminal_id=request.terminal_id,
            case_id=request.case_id,
            reachable=False,
            reason=reason_if_none,
            diagnosed_at=now,
        )
    else:
        lease, result = session
        zone = ZoneInfo(lease.terminal.time_zone)
        answer = TerminalDiagnosed(
            request_id=request.request_id,
            terminal_id=request.terminal_id,
            case_id=request.case_id,
            reachable=result.ok,
            reason=result.reason,
            terminal_serial=result.serial,
            firmware=result.firmware,
            terminal_time=None if result.terminal_time is None else result.terminal_time.replace(tzinfo=zone),
            drift_seconds=drift_of(lease, result),
            records=result.records,
            records_capacity=result.records_capacity,
            records_free=result.records_free,
            users=result.users,
            last_successful_poll_at=lease.last_success_at,
            diagnosed_at=now,
        )
    await uow.outbox.add(TERMINAL_STATUS, answer, correlation_id=correlation_id)
    log.info(
        "terminal.diagnosed",
        terminal_id=request.terminal_id,
        reachable=answer.reachable,
        reason=answer.reason,
    )
    return answer
