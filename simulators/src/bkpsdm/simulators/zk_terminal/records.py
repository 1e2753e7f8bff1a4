"""Users and punches, and the byte layouts a terminal stores them in."""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from bkpsdm.simulators.zk_terminal.codec import encode_time, impossible_time


@dataclass(frozen=True)
class User:
    uid: int
    user_id: str
    name: str
    privilege: int = 0
    password: str = ""
    card: int = 0
    group_id: int = 1


@dataclass(frozen=True)
class Punch:
    user_id: str
    timestamp: datetime  # naive, the terminal's local wall clock
    status: int = 1  # verify type: 1 finger, 15 face
    punch: int = 0  # in/out state: 0 in, 1 out, 2/3 break, 4/5 overtime
    workcode: int = 0


class UserLayout(IntEnum):
    ZK6 = 28
    ZK8 = 72


class RecordLayout(IntEnum):
    OLD = 8
    ZK6 = 16
    ZK8 = 40
    NEWER = 49  # newer firmware; pyzk 0.9 walks it in 40-byte steps


EVENT_SIZES = (12, 32, 36, 52)

_USER_ZK6 = struct.Struct("<HB5s8sIxBhI")
_USER_ZK8 = struct.Struct("<HB8s24sIx7sx24s")
_RECORDS = {
    RecordLayout.OLD: struct.Struct("<HBIB"),
    RecordLayout.ZK6: struct.Struct("<IIBB2sI"),
    RecordLayout.ZK8: struct.Struct("<H24sBIB8s"),
    RecordLayout.NEWER: struct.Struct("<H24sBIB17s"),
}


def _with_total(records: bytes) -> bytes:
    return struct.pack("<I", len(records)) + records


def encode_users(users: Sequence[User], layout: UserLayout, name_encoding: str = "utf-8") -> bytes:
    # errors="replace" so a name the legacy code page cannot hold still yields a record.
    packed = []
    for u in users:
        name = u.name.encode(name_encoding, errors="replace")
        password = u.password.encode("ascii", errors="replace")
        if layout is UserLayout.ZK6:
            packed.append(
                _USER_ZK6.pack(u.uid, u.privilege, password, name, u.card, u.group_id, 0, int(u.user_id))
            )
        else:
            packed.append(
                _USER_ZK8.pack(
                    u.uid, u.privilege, password, name, u.card, str(u.group_id).encode(), u.user_id.encode()
                )
            )
    return _with_total(b"".join(packed))


def encode_attendance(
    punches: Sequence[Punch], layout: RecordLayout, uid_of: Mapping[str, int], corrupt_every: int = 0
) -> bytes:
    record = _RECORDS[layout]
    packed = []
    for index, p in enumerate(punches):
        corrupt = corrupt_every > 0 and (index + 1) % corrupt_every == 0
        t = impossible_time(p.timestamp) if corrupt else encode_time(p.timestamp)
        uid = uid_of.get(p.user_id, 0)
        if layout is RecordLayout.OLD:
            packed.append(record.pack(uid, p.status, t, p.punch))
        elif layout is RecordLayout.ZK6:
            packed.append(record.pack(int(p.user_id), t, p.status, p.punch, b"", p.workcode))
        else:
            packed.append(record.pack(uid, p.user_id.encode(), p.status, t, p.punch, b""))
    return _with_total(b"".join(packed))


def encode_event(p: Punch, size: int) -> bytes:
    """A live attendance event payload of one of the lengths pyzk 0.9 parses."""
    t = p.timestamp
    when = bytes([t.year - 2000, t.month, t.day, t.hour, t.minute, t.second])
    if size == 12:
        return struct.pack("<IBB6s", int(p.user_id), p.status, p.punch, when)
    if size not in EVENT_SIZES:
        raise ValueError(f"pyzk 0.9 cannot parse a {size}-byte event")
    return struct.pack(f"<24sBB6s{size - 32}s", p.user_id.encode(), p.status, p.punch, when, b"")
