"""The compatibility layer over pyzk 0.9's attendance parsing: layouts, bad records, checkpoints."""

from __future__ import annotations

import struct
from datetime import datetime

import pytest

from bkpsdm.attendance_gateway.adapters.zk_log import (
    RawPunch,
    Rejected,
    UnknownRecordSize,
    decode_time,
    parse_log,
    punch_key,
    record_key,
    record_size_of,
)


def encode_time(t: datetime) -> int:
    return (
        ((t.year % 100) * 12 * 31 + (t.month - 1) * 31 + t.day - 1) * 86400
        + (t.hour * 60 + t.minute) * 60
        + t.second
    )


IMPOSSIBLE = ((25 * 12 + 1) * 31 + 29) * 86400  # 30 February 2025

T1, T2, T3 = datetime(2025, 3, 3, 7, 30, 5), datetime(2025, 3, 3, 16, 1, 0), datetime(2025, 3, 4, 7, 45, 59)


def record(size: int, uid: int, user_id: str, when: int, status: int = 1, punch: int = 0) -> bytes:
    if size == 8:
        return struct.pack("<HBIB", uid, status, when, punch)
    if size == 16:
        return struct.pack("<IIBB2sI", int(user_id), when, status, punch, b"", 0)
    if size == 40:
        return struct.pack("<H24sBIB8s", uid, user_id.encode(), status, when, punch, b"")
    return struct.pack("<H24sBIB17s", uid, user_id.encode(), status, when, punch, b"")


def log_of(size: int, rows: list[tuple[int, str, int, int]]) -> bytes:
    body = b"".join(record(size, uid, user_id, when, punch=punch) for uid, user_id, when, punch in rows)
    return struct.pack("<I", len(body)) + body


ROWS = [(1, "1001", encode_time(T1), 0), (2, "1002", encode_time(T2), 1), (1, "1001", encode_time(T3), 0)]


@pytest.mark.parametrize("size", [8, 16, 40, 49])
def test_every_layout_reads_to_the_same_punches(size: int) -> None:
    parsed = parse_log(log_of(size, ROWS), 3, {1: "1001", 2: "1002"})
    assert parsed.record_size == size
    assert [(p.user_id, p.timestamp, p.punch_state) for p in parsed.punches] == [
        ("1001", T1, 0),
        ("1002", T2, 1),
        ("1001", T3, 0),
    ]
    assert parsed.rejected == []
    assert parsed.count_mismatch is False


@pytest.mark.parametrize(("reported", "mismatch"), [(0, True), (4, True), (2, True), (3, False)])
def test_a_wrong_record_count_no_longer_decides_the_layout(reported: int, mismatch: bool) -> None:
    parsed = parse_log(log_of(16, ROWS), reported, {})
    assert parsed.record_size == 16
    assert len(parsed.punches) == 3
    assert parsed.count_mismatch is mismatch


@pytest.mark.parametrize(
    ("body", "reported", "size"),
    [(0, 0, 40), (80, 2, 40), (80, 10, 8), (80, 0, 40), (98, 2, 49), (48, 3, 16), (48, 0, 16), (24, 0, 8)],
)
def test_record_size_from_the_byte_count(body: int, reported: int, size: int) -> None:
    assert record_size_of(body, reported) == size


def test_a_byte_count_no_layout_fits_is_refused() -> None:
    with pytest.raises(UnknownRecordSize):
        record_size_of(39, 1)
    with pytest.raises(UnknownRecordSize):
        parse_log(struct.pack("<I", 400) + b"\0" * 40, 1, {})


def test_a_corrupt_timestamp_rejects_only_its_own_record() -> None:
    rows = [ROWS[0], (2, "1002", IMPOSSIBLE, 1), ROWS[2]]
    parsed = parse_log(log_of(40, rows), 3, {})
    assert [p.position for p in parsed.punches] == [0, 2]
    assert parsed.rejected == [Rejected(1, "TIMESTAMP_INVALID")]
    with pytest.raises(ValueError, match="day is out of range"):
        decode_time(IMPOSSIBLE)


def test_an_empty_user_id_is_rejected() -> None:
    parsed = parse_log(log_of(40, [ROWS[0], (2, "", encode_time(T2), 1)]), 2, {})
    assert parsed.rejected == [Rejected(1, "USER_ID_INVALID")]


def test_reading_from_the_checkpoint_skips_what_was_handled() -> None:
    data = log_of(40, ROWS)
    last_handled = parse_log(data, 3, {}).punches[1]
    parsed = parse_log(data, 3, {}, start=2, start_check=lambda r: r == last_handled)
    assert [p.position for p in parsed.punches] == [2]
    assert parsed.restarted is False


def test_a_cleared_or_replaced_log_is_read_from_the_start() -> None:
    data = log_of(40, ROWS)
    replaced = parse_log(data, 3, {}, start=2, start_check=lambda _: False)
    assert [p.position for p in replaced.punches] == [0, 1, 2]
    assert replaced.restarted is True
    shorter = parse_log(log_of(40, ROWS[:1]), 1, {}, start=3, start_check=lambda _: True)
    assert [p.position for p in shorter.punches] == [0]
    assert shorter.restarted is True


def test_the_idempotency_key_is_serial_user_wall_clock_and_state() -> None:
    punch = RawPunch(0, "1001", T1, 1, 0)
    assert punch_key("ZK1", "1001", T1, 0) == "ZK1|1001|2025-03-03T07:30:05|0"
    assert record_key("ZK1", punch) == "ZK1|1001|2025-03-03T07:30:05|0"
    assert record_key("ZK1", Rejected(7, "TIMESTAMP_INVALID")) == "ZK1|rejected|7"


def test_the_last_record_is_known_even_when_it_was_rejected() -> None:
    parsed = parse_log(log_of(40, [ROWS[0], (2, "1002", IMPOSSIBLE, 1)]), 2, {})
    assert parsed.last_record == Rejected(1, "TIMESTAMP_INVALID")
    assert parse_log(log_of(40, ROWS), 3, {}).last_record == RawPunch(2, "1001", T3, 1, 0)
