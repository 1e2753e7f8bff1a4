"""The wire codec, the record layouts and the punch generator, checked against pyzk's own parsing."""

from __future__ import annotations

import struct
from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zk.base import make_commkey as pyzk_make_commkey

from bkpsdm.simulators.zk_terminal.codec import (
    HEADER,
    Cmd,
    checksum,
    commkey_matches,
    decode_packet,
    decode_time,
    encode_packet,
    encode_time,
    impossible_time,
    make_commkey,
    tcp_frame,
    tcp_length,
)
from bkpsdm.simulators.zk_terminal.generator import generate_punches, generate_users
from bkpsdm.simulators.zk_terminal.records import (
    EVENT_SIZES,
    Punch,
    RecordLayout,
    User,
    UserLayout,
    encode_attendance,
    encode_event,
    encode_users,
)

device_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))


def _ones_complement_sum(data: bytes) -> int:
    padded = data + b"\x00" * (len(data) % 2)
    total: int = sum(struct.unpack(f"<{len(padded) // 2}H", padded))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


@given(command=st.integers(0, 0xFFFF), session=st.integers(0, 0xFFFF), payload=st.binary(max_size=64))
def test_packet_checksum_makes_the_ones_complement_sum_all_ones(
    command: int, session: int, payload: bytes
) -> None:
    packet = encode_packet(command, session, 7, payload)
    assert _ones_complement_sum(packet) in (0xFFFF, 0)  # 0 and 0xFFFF are both "minus zero"
    assert checksum(packet) in (0, 0xFFFF)


def test_decode_packet_ignores_a_wrong_checksum_and_keeps_ids() -> None:
    raw = struct.pack("<4H", Cmd.GET_TIME, 0xBEEF, 321, 65535) + b"xy"
    p = decode_packet(raw)
    assert (p.command, p.session_id, p.reply_id, p.payload) == (Cmd.GET_TIME, 321, 65535, b"xy")


def test_decode_packet_rejects_less_than_a_header() -> None:
    with pytest.raises(ValueError, match="shorter than its header"):
        decode_packet(b"\x00" * (HEADER.size - 1))


def test_tcp_frame_carries_magic_and_length() -> None:
    frame = tcp_frame(b"\x01" * 10)
    assert frame[:4] == b"\x50\x50\x82\x7d"
    assert tcp_length(frame[:8]) == 10
    with pytest.raises(ValueError, match="not a ZK TCP frame"):
        tcp_length(b"\x00" * 8)


@given(key=st.integers(0, 999_999), session=st.integers(1, 0xFFFE), ticks=st.integers(0, 255))
def test_commkey_matches_pyzk_make_commkey(key: int, session: int, ticks: int) -> None:
    theirs = pyzk_make_commkey(key, session, ticks)
    assert make_commkey(key, session, ticks) == theirs
    assert commkey_matches(theirs, key, session)


@pytest.mark.parametrize(("sent", "device"), [(1234, 4321), (0, 4321), (4321, 0), (4322, 4321)])
def test_commkey_of_another_key_does_not_match(sent: int, device: int) -> None:
    assert not commkey_matches(pyzk_make_commkey(sent, 77), device, 77)


@given(device_times)
def test_time_round_trips_to_the_second(t: datetime) -> None:
    assert decode_time(encode_time(t)) == t.replace(microsecond=0)


def test_time_encoding_matches_the_formula_in_the_spec() -> None:
    t = datetime(2024, 3, 15, 7, 42, 5)
    assert encode_time(t) == ((24 * 12 * 31 + 2 * 31 + 14) * 86400) + (7 * 60 + 42) * 60 + 5


@given(device_times)
def test_impossible_time_is_30_february(t: datetime) -> None:
    with pytest.raises(ValueError, match="day is out of range"):
        decode_time(impossible_time(t))


USERS = [User(1, "1001", "Siti Rahmawati", privilege=14), User(2, "1002", "José da Costa")]
PUNCHES = [
    Punch("1001", datetime(2025, 3, 3, 7, 31, 2), 1, 0),
    Punch("1002", datetime(2025, 3, 3, 16, 1), 15, 1),
]


@pytest.mark.parametrize("layout", list(UserLayout))
def test_user_blob_is_a_total_then_fixed_size_records(layout: UserLayout) -> None:
    blob = encode_users(USERS, layout)
    assert struct.unpack_from("<I", blob)[0] == len(blob) - 4 == layout.value * len(USERS)


def test_zk6_user_record_parses_with_pyzk_struct() -> None:
    blob = encode_users(USERS, UserLayout.ZK6)
    uid, privilege, _pw, name, _card, group, _tz, user_id = struct.unpack("<HB5s8sIxBhI", blob[4:32])
    assert (uid, privilege, name, group, user_id) == (1, 14, b"Siti Rah", 1, 1001)


def test_zk8_user_record_parses_with_pyzk_struct() -> None:
    blob = encode_users(USERS, UserLayout.ZK8, name_encoding="cp1252")
    fields = struct.unpack("<HB8s24sIx7sx24s", blob[4 + 72 : 4 + 144])
    assert fields[3].rstrip(b"\x00") == "José da Costa".encode("cp1252")
    assert fields[6].rstrip(b"\x00") == b"1002"


@pytest.mark.parametrize(
    ("layout", "fmt", "fields"),
    [
        (RecordLayout.OLD, "<HB4sB", lambda f: (f[0], f[1], f[3])),
        (RecordLayout.ZK6, "<I4sBB2sI", lambda f: (f[0], f[2], f[3])),
        (RecordLayout.ZK8, "<H24sB4sB8s", lambda f: (f[1].rstrip(b"\x00"), f[2], f[4])),
        (RecordLayout.NEWER, "<H24sB4sB17s", lambda f: (f[1].rstrip(b"\x00"), f[2], f[4])),
    ],
)
def test_attendance_records_parse_with_pyzk_structs(layout: RecordLayout, fmt: str, fields: object) -> None:
    blob = encode_attendance(PUNCHES, layout, {"1001": 1, "1002": 2})
    assert struct.unpack_from("<I", blob)[0] == len(blob) - 4 == layout.value * 2
    second = struct.unpack(fmt, blob[4 + layout.value : 4 + 2 * layout.value])
    expected_id: object = {RecordLayout.OLD: 2, RecordLayout.ZK6: 1002}.get(layout, b"1002")
    assert fields(second) == (expected_id, 15, 1)  # type: ignore[operator]
    time_at = {RecordLayout.OLD: 3, RecordLayout.ZK6: 4}.get(layout, 27)
    packed = struct.unpack_from("<I", blob, 4 + layout.value + time_at)[0]
    assert decode_time(packed) == PUNCHES[1].timestamp


def test_corrupt_every_spoils_exactly_every_nth_record() -> None:
    punches = PUNCHES * 3
    blob = encode_attendance(punches, RecordLayout.ZK6, {}, corrupt_every=2)
    bad = []
    for i in range(len(punches)):
        try:
            decode_time(struct.unpack_from("<I", blob, 4 + 16 * i + 4)[0])
        except ValueError:
            bad.append(i)
    assert bad == [1, 3, 5]


@pytest.mark.parametrize("size", EVENT_SIZES)
def test_event_payloads_have_the_lengths_pyzk_parses(size: int) -> None:
    payload = encode_event(PUNCHES[1], size)
    assert len(payload) == size
    when = payload[6:12] if size == 12 else payload[26:32]
    assert list(when) == [25, 3, 3, 16, 1, 0]


@pytest.mark.parametrize("size", [8, 16, 40, 49])
def test_event_of_another_length_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="cannot parse"):
        encode_event(PUNCHES[0], size)


def test_generated_users_are_deterministic_with_string_ids() -> None:
    users = generate_users(30, seed=5)
    assert users == generate_users(30, seed=5)
    assert users != generate_users(30, seed=6)
    assert [u.user_id for u in users[:3]] == ["1001", "1002", "1003"]
    assert [u.uid for u in users] == list(range(1, 31))
    assert users[0].privilege == 14


def test_generated_punches_look_like_working_days() -> None:
    users = generate_users(40, seed=1)
    punches = generate_punches(users, date(2025, 3, 3), days=10, seed=1)
    assert punches == generate_punches(users, date(2025, 3, 3), days=10, seed=1)
    assert punches == sorted(punches, key=lambda p: p.timestamp)
    assert {p.timestamp.weekday() for p in punches} <= {0, 1, 2, 3, 4}
    assert len({p.timestamp.date() for p in punches}) == 10
    arrivals = [p.timestamp.time() for p in punches if p.punch == 0]
    departures = [p.timestamp.time() for p in punches if p.punch == 1]
    assert all(time(7, 0) <= t <= time(8, 30) for t in arrivals)
    assert all(time(15, 30) <= t <= time(17, 0) for t in departures)
    full = 2 * len(users) * 10
    assert full * 0.9 < len(punches) < full  # a few missing


def test_generated_punches_stop_at_the_limit() -> None:
    assert len(generate_punches(generate_users(3, 0), date(2025, 1, 6), days=0, seed=0, limit=1001)) == 1001
    assert generate_punches([], date(2025, 1, 6), days=0, seed=0, limit=10) == []
