"""The ZK wire format: packet header, checksum, TCP framing, comm key and the packed time."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class Cmd(IntEnum):
    USERTEMP_RRQ = 9
    OPTIONS_RRQ = 11
    OPTIONS_WRQ = 12
    ATTLOG_RRQ = 13
    CLEAR_ATTLOG = 15
    UNLOCK = 31
    GET_FREE_SIZES = 50
    ENABLE_CLOCK = 57
    STARTVERIFY = 60
    CANCELCAPTURE = 62
    GET_PINWIDTH = 69
    GET_TIME = 201
    SET_TIME = 202
    REG_EVENT = 500
    CONNECT = 1000
    EXIT = 1001
    ENABLEDEVICE = 1002
    DISABLEDEVICE = 1003
    REFRESHDATA = 1013
    TESTVOICE = 1017
    GET_VERSION = 1100
    AUTH = 1102
    PREPARE_DATA = 1500
    DATA = 1501
    FREE_DATA = 1502
    READ_WITH_BUFFER = 1503
    READ_BUFFER = 1504
    ACK_OK = 2000
    ACK_ERROR = 2001
    ACK_UNAUTH = 2005
    ACK_UNKNOWN = 0xFFFF


EF_ATTLOG = 1
TCP_MAGIC = (0x5050, 0x7D82)
HEADER = struct.Struct("<4H")
TCP_TOP = struct.Struct("<HHI")
# The largest datagram pyzk reads in one recv (1024 + 8), so UDP payloads stay within 1024.
UDP_MAX_PAYLOAD = 1024


@dataclass(frozen=True)
class Packet:
    command: int
    session_id: int
    reply_id: int
    payload: bytes = b""


def checksum(data: bytes) -> int:
    """16-bit one's-complement sum, as the devices compute it (pyzk's own is off by one)."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"<{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def encode_packet(command: int, session_id: int, reply_id: int, payload: bytes = b"") -> bytes:
    unsummed = HEADER.pack(command, 0, session_id, reply_id) + payload
    return HEADER.pack(command, checksum(unsummed), session_id, reply_id) + payload


def decode_packet(raw: bytes) -> Packet:
    if len(raw) < HEADER.size:
        raise ValueError(f"packet of {len(raw)} bytes is shorter than its header")
    # The checksum is read past on purpose: pyzk sends wrong ones.
    command, _checksum, session_id, reply_id = HEADER.unpack_from(raw)
    return Packet(command, session_id, reply_id, bytes(raw[HEADER.size :]))


def tcp_frame(packet: bytes) -> bytes:
    return TCP_TOP.pack(*TCP_MAGIC, len(packet)) + packet


def tcp_length(top: bytes) -> int:
    magic1, magic2, length = TCP_TOP.unpack(top)
    if (magic1, magic2) != TCP_MAGIC:
        raise ValueError("not a ZK TCP frame")
    return int(length)


def make_commkey(key: int, session_id: int, ticks: int = 50) -> bytes:
    """The scrambled comm key a client sends in CMD_AUTH (commpro.c MakeKey)."""
    reversed_bits = 0
    for i in range(32):
        reversed_bits = (reversed_bits << 1) | ((key >> i) & 1)
    scrambled = bytes(
        a ^ b
        for a, b in zip(struct.pack("<I", (reversed_bits + session_id) & 0xFFFFFFFF), b"ZKSO", strict=True)
    )
    swapped = scrambled[2:4] + scrambled[0:2]
    tick = ticks & 0xFF
    return bytes([swapped[0] ^ tick, swapped[1] ^ tick, tick, swapped[3] ^ tick])


def commkey_matches(received: bytes, key: int, session_id: int) -> bool:
    # The client's tick byte travels in clear at offset 2, so any tick value is accepted.
    return len(received) >= 4 and received[:4] == make_commkey(key, session_id, received[2])


def encode_time(t: datetime) -> int:
    return (
        ((t.year % 100) * 12 * 31 + (t.month - 1) * 31 + t.day - 1) * 86400
        + (t.hour * 60 + t.minute) * 60
        + t.second
    )


def decode_time(value: int) -> datetime:
    value, second = divmod(value, 60)
    value, minute = divmod(value, 60)
    value, hour = divmod(value, 24)
    value, day = divmod(value, 31)
    year, month = divmod(value, 12)
    return datetime(year + 2000, month + 1, day + 1, hour, minute, second)


def impossible_time(t: datetime) -> int:
    """A packed time that decodes to 30 February of t's year: pyzk's datetime() raises ValueError."""
    return encode_time(t.replace(month=2, day=28)) + 2 * 86400
