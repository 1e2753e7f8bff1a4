"""One pyzk session with a terminal, as run inside a worker process.

pyzk is blocking and can hang (a terminal closing TCP mid-chunk makes `read_with_buffer`
spin forever, ignoring its timeout), so sessions never run in the gateway's own process:
see `workers.py`, which kills a worker past its deadline. `enable_device` is restored in
`finally` whenever the session disabled the device.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from zk import ZK, const
from zk.exception import ZKErrorConnection, ZKErrorResponse, ZKNetworkError

from bkpsdm.attendance_gateway.adapters.zk_log import (
    ParsedLog,
    RawPunch,
    Rejected,
    UnknownRecordSize,
    parse_log,
    record_key,
)

Action = Literal["poll", "capture", "diagnose", "sync_time"]
# A live event as the worker streams it: (serial, user id, terminal wall-clock time, verify, punch).
LiveEvent = tuple[str, str, datetime, int, int]


@dataclass(frozen=True)
class LogChunk:
    """Punches of a big log handed over while the session goes on: the gateway stores one
    chunk while the next is still on its way, instead of waiting for the whole log."""

    serial: str
    punches: list[RawPunch]


# What a session streams to the gateway before its result.
SessionMessage = LiveEvent | LogChunk


@dataclass(frozen=True)
class SessionJob:
    address: str
    port: int
    udp: bool
    comm_key: int = field(repr=False)  # a secret: never logged
    timeout_s: float
    action: Action = "poll"
    start: int = 0  # log records already handled (poll)
    checkpoint_key: str | None = None  # the key of the record at start - 1, when start > 0
    time_zone: str = "UTC"
    # Clear the log if it holds exactly what was handled and durably published (`start` records).
    clear_if_published: bool = False
    capture_s: float = 0.0  # "capture": after the log, listen to live events this long
    # Hand a log's punches over in chunks of this many (all but the last chunk, which stays in
    # the result with the log's outcome); 0: the whole log comes with the result.
    chunk_size: int = 0


@dataclass
class SessionResult:
    ok: bool
    reason: str | None = None  # stable failure code when not ok
    detail: str | None = None
    serial: str | None = None
    firmware: str | None = None
    terminal_time: datetime | None = None  # naive terminal wall clock
    gateway_time: datetime | None = None  # UTC, midway through the time request
    users: int | None = None
    records: int | None = None
    records_capacity: int | None = None
    records_free: int | None = None
    log: ParsedLog | None = None
    cleared: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _failure(exc: BaseException) -> tuple[str, str]:
    text = str(exc)[:200]
    if isinstance(exc, ZKErrorResponse):
        if "Unauthenticated" in text:
            return "AUTH_FAILED", text
        if "Can't connect" in text or "Invalid response" in text:
            return "SESSION_REFUSED", text
        return "PROTOCOL_ERROR", text
    if isinstance(exc, ZKNetworkError | ZKErrorConnection):
        return ("TIMEOUT" if "timed out" in text else "UNREACHABLE"), text
    if isinstance(exc, TimeoutError | socket.timeout):
        return "TIMEOUT", text or "timed out"
    if isinstance(exc, ConnectionError | OSError):
        return "CONNECTION_LOST", f"{type(exc).__name__}: {text}"
    if isinstance(exc, UnknownRecordSize):
        return "UNKNOWN_RECORD_SIZE", text
    return "PROTOCOL_ERROR", f"{type(exc).__name__}: {text}"


def run_session(job: SessionJob, emit: Callable[[SessionMessage], None] | None = None) -> SessionResult:
    result = SessionResult(ok=False)
    zk = ZK(
        job.address,
        port=job.port,
        timeout=max(1, round(job.timeout_s)),
        password=job.comm_key,
        force_udp=job.udp,
        ommit_ping=True,
    )
    try:
        conn = zk.connect()
    except Exception as exc:
        result.reason, result.detail = _failure(exc)
        return result
    try:
        result.serial = conn.get_serialnumber()
        result.firmware = conn.get_firmware_version()
        before = time.time()
        if job.action == "sync_time":
            conn.set_time(datetime.now(ZoneInfo(job.time_zone)).replace(tzinfo=None, microsecond=0))
        result.terminal_time = conn.get_time()
        result.gateway_time = datetime.fromtimestamp((before + time.time()) / 2, UTC)
        conn.read_sizes()
        result.users, result.records = conn.users, conn.records
        result.records_capacity, result.records_free = conn.rec_cap, conn.rec_av
        if job.action in ("poll", "capture"):
            conn.disable_device()
            try:
                result.log = _read_log(conn, job, result.serial or "")
                # The device is disabled: no punch can arrive between this read and the clear.
                log = result.log
                if job.clear_if_published and job.start > 0 and not log.restarted and log.count == job.start:
                    result.cleared = bool(conn.clear_attendance())
            finally:
                conn.enable_device()
            if emit is not None and job.chunk_size > 0 and result.log is not None:
                result.log = _hand_over(result.log, result.serial or "", job.chunk_size, emit)
        if job.action == "capture" and emit is not None:
            result.extra["live_events"] = _capture(conn, job, result.serial or "", emit)
        result.ok = True
    except Exception as exc:
        result.ok = False
        result.reason, result.detail = _failure(exc)
    finally:
        with contextlib.suppress(Exception):  # the terminal may be gone; the session ends with it
            conn.disconnect()
    return result


def _hand_over(log: ParsedLog, serial: str, size: int, emit: Callable[[SessionMessage], None]) -> ParsedLog:
    """Emit every full chunk of the log's punches but the last; the log with that last chunk."""
    last = (len(log.punches) - 1) // size * size if log.punches else 0
    for start in range(0, last, size):
        emit(LogChunk(serial, log.punches[start : start + size]))
    return replace(log, punches=log.punches[last:])


def _capture(conn: Any, job: SessionJob, serial: str, emit: Callable[[SessionMessage], None]) -> int:
    """Stream live attendance events for `job.capture_s` seconds; how many arrived."""
    until = time.monotonic() + job.capture_s
    received = 0
    for event in conn.live_capture(new_timeout=1):
        if event is not None:
            received += 1
            emit((serial, str(event.user_id), event.timestamp, int(event.status), int(event.punch)))
        if time.monotonic() >= until:
            conn.end_live_capture = True
    return received


def _read_log(conn: Any, job: SessionJob, serial: str) -> ParsedLog:
    # Always read the buffer: a terminal reporting 0 records may still hold a log.
    data, _size = conn.read_with_buffer(const.CMD_ATTLOG_RRQ)
    conn.free_data()

    def same_as_checkpoint(last: RawPunch | Rejected) -> bool:
        return record_key(serial, last) == job.checkpoint_key

    parsed = parse_log(data, conn.records, {}, job.start, same_as_checkpoint)
    if parsed.record_size != 8:
        return parsed
    # Only the oldest layout stores the internal uid instead of the user id: read the users too.
    uid_map = {u.uid: u.user_id for u in conn.get_users()}
    return parse_log(data, conn.records, uid_map, job.start, same_as_checkpoint)
