"""Reading a terminal's raw attendance log: the small compatibility layer over pyzk 0.9.

pyzk's `get_attendance` picks the record layout from `total bytes / reported records`, fails
the whole log on one impossible timestamp, and misreads the 49-byte records of newer
firmware. We fetch the raw buffer through pyzk (`read_with_buffer`) and parse it here: the
layout comes from the byte count (the reported count only breaks ties), and each record is
decoded on its own, so one bad record is reported by position while the good ones go on.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

# Record size -> struct; fields picked out below. 49: newer firmware (ZK8 plus 9 reserved bytes).
LAYOUTS: dict[int, struct.Struct] = {
    8: struct.Struct("<HB4sB"),
    16: struct.Struct("<I4sBB2sI"),
    40: struct.Struct("<H24sB4sB8s"),
    49: struct.Struct("<H24sB4sB17s"),
}
# When the byte count fits several layouts and the reported count does not settle it.
_PREFERENCE = (40, 16, 49, 8)


class UnknownRecordSize(ValueError):
    """The log's byte count fits no known record layout."""


@dataclass(frozen=True)
class RawPunch:
    position: int  # index in the terminal's log
    user_id: str
    timestamp: datetime  # naive: the terminal's wall clock
    verify_type: int
    punch_state: int


def punch_key(serial: str, user_id: str, timestamp: datetime, punch_state: int) -> str:
    """The idempotency key: the terminal's wall-clock time as recorded, so the key never
    depends on the time zone configured in the registry."""
    return f"{serial}|{user_id}|{timestamp.isoformat()}|{punch_state}"


@dataclass(frozen=True)
class Rejected:
    position: int
    reason: str  # a stable code, e.g. TIMESTAMP_INVALID


def record_key(serial: str, record: RawPunch | Rejected) -> str:
    """What the checkpoint remembers of the last record handled, to notice a replaced log."""
    if isinstance(record, Rejected):
        return f"{serial}|rejected|{record.position}"
    return punch_key(serial, record.user_id, record.timestamp, record.punch_state)


@dataclass(frozen=True)
class ParsedLog:
    record_size: int
    punches: list[RawPunch]
    rejected: list[Rejected]
    count_mismatch: bool  # the terminal's reported record count disagrees with its log
    count: int = 0  # records in the log
    restarted: bool = False  # the checkpoint did not match the log (cleared or replaced): read from 0

    @property
    def last_record(self) -> RawPunch | Rejected | None:
        """The log's last record, if it was read (i.e. the log is not empty)."""
        candidates: list[RawPunch | Rejected] = [*self.punches[-1:], *self.rejected[-1:]]
        last = max(candidates, key=lambda r: r.position, default=None)
        return last if last is not None and last.position == self.count - 1 else None


def decode_time(raw: int) -> datetime:
    """The ZK 4-byte time (zkemsdk DecodeTime); ValueError for an impossible date."""
    second, raw = raw % 60, raw // 60
    minute, raw = raw % 60, raw // 60
    hour, raw = raw % 24, raw // 24
    day, raw = raw % 31 + 1, raw // 31
    month, raw = raw % 12 + 1, raw // 12
    return datetime(raw + 2000, month, day, hour, minute, second)


def record_size_of(body_bytes: int, reported_records: int) -> int:
    if body_bytes == 0:
        return 40
    if reported_records > 0 and body_bytes % reported_records == 0:
        size = body_bytes // reported_records
        if size in LAYOUTS:
            return size
    for size in _PREFERENCE:
        if body_bytes % size == 0:
            return size
    raise UnknownRecordSize(f"{body_bytes} bytes fit no known record size")


_SAMPLE = 200


def _likely_size(body: bytes, reported_records: int, user_id_of_uid: Mapping[int, str]) -> int:
    """The reported count decides when it fits; otherwise, of the layouts the byte count fits,
    the one whose first records read best (a 16-byte log is also a whole number of 8- and
    40-byte records, read as garbage)."""
    size = record_size_of(len(body), reported_records)
    if reported_records > 0 and len(body) == size * reported_records:
        return size
    candidates = [s for s in _PREFERENCE if len(body) % s == 0]
    if len(candidates) < 2:
        return size

    def bad(s: int) -> int:
        sample = range(min(len(body) // s, _SAMPLE))
        return sum(1 for i in sample if isinstance(_record(LAYOUTS[s], s, body, i, user_id_of_uid), Rejected))

    return min(candidates, key=bad)  # ties keep the preference order


def parse_log(
    data: bytes,
    reported_records: int,
    user_id_of_uid: Mapping[int, str],
    start: int = 0,
    start_check: Callable[[RawPunch | Rejected], bool] | None = None,
) -> ParsedLog:
    """Parse the buffer pyzk's `read_with_buffer(CMD_ATTLOG_RRQ)` returned (u32 total, then records).

    Records before `start` (already handled) are skipped without decoding, if `start_check`
    accepts the record just before `start` (the last one handled); otherwise the log was
    cleared or replaced since, and all of it is read.
    """
    if len(data) < 4:
        return ParsedLog(40, [], [], reported_records != 0, 0, start > 0)
    total = struct.unpack_from("<I", data)[0]
    body = data[4 : 4 + total]
    if total != len(body):
        raise UnknownRecordSize(f"log announces {total} bytes but carries {len(body)}")
    size = _likely_size(body, reported_records, user_id_of_uid)
    layout = LAYOUTS[size]
    count = len(body) // size
    restarted = False
    if start > 0:
        last = _record(layout, size, body, start - 1, user_id_of_uid) if start <= count else None
        if last is None or (start_check is not None and not start_check(last)):
            start, restarted = 0, True
    punches: list[RawPunch] = []
    rejected: list[Rejected] = []
    for position in range(start, count):
        record = _record(layout, size, body, position, user_id_of_uid)
        if isinstance(record, RawPunch):
            punches.append(record)
        else:
            rejected.append(record)
    return ParsedLog(size, punches, rejected, reported_records != count, count, restarted)


def _record(
    layout: struct.Struct, size: int, body: bytes, position: int, user_id_of_uid: Mapping[int, str]
) -> RawPunch | Rejected:
    fields = layout.unpack_from(body, position * size)
    if size == 8:
        uid, verify, when, state = fields
        user_id = user_id_of_uid.get(uid, str(uid))
    elif size == 16:
        number, when, verify, state, _, _ = fields
        user_id = str(number)
    else:
        _, raw_user, verify, when, state, _ = fields
        user_id = raw_user.split(b"\x00")[0].decode("ascii", errors="replace")
    if not user_id or not user_id.isalnum():
        return Rejected(position, "USER_ID_INVALID")
    try:
        timestamp = decode_time(struct.unpack("<I", when)[0])
    except ValueError:
        return Rejected(position, "TIMESTAMP_INVALID")
    return RawPunch(position, user_id, timestamp, verify, state)
