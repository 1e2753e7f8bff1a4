"""One terminal's state and its answer to each command, independent of the socket it came on."""

from __future__ import annotations

import asyncio
import contextlib
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import monotonic
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bkpsdm.simulators.zk_terminal.codec import (
    EF_ATTLOG,
    UDP_MAX_PAYLOAD,
    Cmd,
    Packet,
    commkey_matches,
    decode_time,
    encode_packet,
    encode_time,
)
from bkpsdm.simulators.zk_terminal.faults import Faults
from bkpsdm.simulators.zk_terminal.generator import generate_punches, generate_users
from bkpsdm.simulators.zk_terminal.records import (
    Punch,
    RecordLayout,
    User,
    UserLayout,
    encode_attendance,
    encode_event,
    encode_users,
)

# A device waits this long for the client's ACK of an event before sending the next one.
EVENT_ACK_TIMEOUT_S = 3.0
# Larger blobs go through PREPARE_DATA chunks: pyzk reads a CMD_DATA reply with one 1024-byte recv on UDP.
SMALL_BLOB = UDP_MAX_PAYLOAD - 8
_SIZES_USERS_CAP = 5000
_SIZES_FINGERS_CAP = 3000
_SIZES_RECORDS_CAP = 100_000


class TerminalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    serial: str = "ZKSIM0001"
    device_name: str = "F18/ID"
    platform: str = "ZMM210_TFT"
    firmware: str = "Ver 6.60 Apr 28 2016"
    mac: str = "00:17:61:11:45:08"
    ip_address: str = "192.168.1.201"
    comm_key: int = Field(default=0, ge=0, le=999_999)
    time_zone: str = "Asia/Jakarta"
    clock_offset_s: float = 0.0
    user_layout: UserLayout = UserLayout.ZK8
    record_layout: RecordLayout = RecordLayout.ZK8
    event_size: Literal[12, 32, 36, 52] = 52
    users: int = Field(default=20, ge=0)
    days: int = Field(default=10, ge=0)
    first_day: date | None = None
    """First working day of the generated log; by default the log ends before today."""
    seed: int = 0
    udp_session_idle_s: float = Field(default=60.0, gt=0)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value

    def log_start(self) -> date:
        if self.first_day is not None:
            return self.first_day
        return date.today() - timedelta(days=self.days * 7 // 5 + 3)


class Link(Protocol):
    """Where a session's packets go: one TCP connection, or one UDP peer address."""

    udp: bool

    def send(self, packet: bytes) -> None: ...


@dataclass
class Outcome:
    packets: list[bytes]
    cut: Literal["off", "fin", "rst"] = "off"
    """TCP only: send half of the last packet, then close this way."""
    after: Callable[[], None] | None = None
    """Run once the packets are out (events may only follow the REG_EVENT answer)."""


class Session:
    def __init__(self, session_id: int, link: Link, authenticated: bool) -> None:
        self.id = session_id
        self.link = link
        self.authenticated = authenticated
        self.buffer: bytes | None = None
        self.events: asyncio.Queue[bytes] | None = None
        self.acked = asyncio.Event()
        self.pump: asyncio.Task[None] | None = None
        self.last_seen = monotonic()


class Terminal:
    def __init__(
        self,
        config: TerminalConfig | None = None,
        faults: Faults | None = None,
        users: list[User] | None = None,
        punches: list[Punch] | None = None,
    ) -> None:
        self.config = config or TerminalConfig()
        self.faults = faults or Faults()
        self.users = users if users is not None else generate_users(self.config.users, self.config.seed)
        self.punches = (
            punches
            if punches is not None
            else generate_punches(self.users, self.config.log_start(), self.config.days, self.config.seed)
        )
        self.enabled = True
        self._zone = ZoneInfo(self.config.time_zone)
        self._clock_offset = timedelta(seconds=self.config.clock_offset_s)
        self._sessions: dict[int, Session] = {}
        self._next_session_id = random.Random(self.config.seed).randrange(1, 0xFFFF)
        if self.faults.bulk_log_records:
            self._fill_bulk_log(self.faults.bulk_log_records)

    # --- state the tests and the control endpoint use ---

    def now(self) -> datetime:
        wall = datetime.now(self._zone).replace(tzinfo=None, microsecond=0)
        return wall + self._clock_offset + timedelta(seconds=self.faults.clock_skew_s)

    def record_punch(
        self, user_id: str, status: int = 1, punch: int = 0, when: datetime | None = None
    ) -> Punch:
        """A user verifies at the terminal: the punch is logged and sent to live-capture sessions."""
        p = Punch(user_id, when or self.now(), status, punch)
        self.punches.append(p)
        if not (self.faults.silent or self.faults.capture_silent):
            payload = encode_event(p, self.config.event_size)
            for s in self._sessions.values():
                if s.events is not None:
                    s.events.put_nowait(payload)
        return p

    def update_faults(self, **changes: object) -> Faults:
        new = Faults.model_validate({**self.faults.model_dump(), **changes})
        if new.capture_silent and not self.faults.capture_silent:
            for s in self._sessions.values():
                self._stop_capture(s)
        if new.bulk_log_records and new.bulk_log_records != self.faults.bulk_log_records:
            self._fill_bulk_log(new.bulk_log_records)
        self.faults = new
        return new

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)

    @property
    def capturing_sessions(self) -> int:
        return sum(1 for s in self._sessions.values() if s.events is not None)

    def drop_link(self, link: Link) -> None:
        for s in [s for s in self._sessions.values() if s.link is link]:
            self._end(s)

    def close(self) -> None:
        for s in list(self._sessions.values()):
            self._end(s)

    def _fill_bulk_log(self, records: int) -> None:
        # Starts far enough back that the log ends around today (about 96 % of punches are present).
        working_days = records // max(1, 2 * len(self.users)) * 105 // 100 + 1
        start = self.config.first_day or date.today() - timedelta(days=working_days * 7 // 5 + 3)
        self.punches = generate_punches(self.users, start, 0, self.config.seed + 1, limit=records)

    # --- the protocol ---

    def handle(self, packet: Packet, link: Link) -> Outcome | None:
        """The packets to send back for one request, or None for no answer at all."""
        if self.faults.silent:
            return None
        if packet.command == Cmd.CONNECT:
            return self._connect(packet, link)
        session = self._sessions.get(packet.session_id)
        if session is None or session.link is not link:
            return None if packet.command == Cmd.ACK_OK else _reply(Cmd.ACK_UNAUTH, packet)
        session.last_seen = monotonic()
        if packet.command == Cmd.ACK_OK:  # the client acknowledging a live event
            session.acked.set()
            return None
        if packet.command == Cmd.AUTH:
            session.authenticated = commkey_matches(packet.payload, self.config.comm_key, session.id)
            return _reply(Cmd.ACK_OK if session.authenticated else Cmd.ACK_UNAUTH, packet)
        if not session.authenticated:
            return _reply(Cmd.ACK_UNAUTH, packet)
        return self._command(session, packet)

    def _connect(self, packet: Packet, link: Link) -> Outcome | None:
        self.drop_link(link)
        self._expire_idle()
        if self.faults.single_session != "off" and self._sessions:
            return None if self.faults.single_session == "silent" else _reply(Cmd.ACK_ERROR, packet)
        session_id = self._next_session_id
        self._next_session_id = self._next_session_id % 0xFFFE + 1
        session = Session(session_id, link, authenticated=self.config.comm_key == 0)
        self._sessions[session_id] = session
        answer = Cmd.ACK_OK if session.authenticated else Cmd.ACK_UNAUTH
        return Outcome([encode_packet(answer, session_id, packet.reply_id)])

    def _command(self, session: Session, packet: Packet) -> Outcome | None:
        cmd, payload = packet.command, packet.payload
        if cmd == Cmd.EXIT:
            self._end(session)
        elif cmd in (Cmd.ENABLEDEVICE, Cmd.DISABLEDEVICE):
            self.enabled = cmd == Cmd.ENABLEDEVICE
        elif cmd == Cmd.GET_VERSION:
            return _reply(Cmd.ACK_OK, packet, self.config.firmware.encode() + b"\x00")
        elif cmd == Cmd.OPTIONS_RRQ:
            key = payload.split(b"\x00")[0].decode("ascii", errors="replace")
            value = self._options().get(key)
            if value is None:
                return _reply(Cmd.ACK_ERROR, packet)
            return _reply(Cmd.ACK_OK, packet, f"{key}={value}\x00".encode())
        elif cmd == Cmd.GET_PINWIDTH:
            return _reply(Cmd.ACK_OK, packet, bytes([9]))
        elif cmd == Cmd.GET_TIME:
            return _reply(Cmd.ACK_OK, packet, struct.pack("<I", encode_time(self.now())))
        elif cmd == Cmd.SET_TIME:
            try:
                wanted = decode_time(struct.unpack("<I", payload[:4])[0])
            except (struct.error, ValueError):
                return _reply(Cmd.ACK_ERROR, packet)
            self._clock_offset += wanted - self.now()
        elif cmd == Cmd.GET_FREE_SIZES:
            return _reply(Cmd.ACK_OK, packet, self._sizes())
        elif cmd == Cmd.CLEAR_ATTLOG:
            self.punches = []
        elif cmd == Cmd.READ_WITH_BUFFER:
            return self._read_with_buffer(session, packet)
        elif cmd == Cmd.READ_BUFFER:
            return self._read_buffer(session, packet)
        elif cmd == Cmd.FREE_DATA:
            session.buffer = None
        elif cmd == Cmd.REG_EVENT:
            flags = struct.unpack("<I", payload[:4])[0] if len(payload) >= 4 else 0
            self._stop_capture(session)
            if flags & EF_ATTLOG and not self.faults.capture_silent:
                return _reply(Cmd.ACK_OK, packet, after=lambda: self._start_capture(session))
        elif cmd not in (
            Cmd.OPTIONS_WRQ,
            Cmd.CANCELCAPTURE,
            Cmd.STARTVERIFY,
            Cmd.ENABLE_CLOCK,
            Cmd.REFRESHDATA,
            Cmd.UNLOCK,
            Cmd.TESTVOICE,
        ):
            return _reply(Cmd.ACK_UNKNOWN, packet)
        return _reply(Cmd.ACK_OK, packet)

    def _options(self) -> dict[str, str]:
        zk8 = self.config.user_layout is UserLayout.ZK8
        utc_offset = datetime.now(self._zone).utcoffset() or timedelta()
        return {
            "~SerialNumber": self.config.serial,
            "~Platform": self.config.platform,
            "~DeviceName": self.config.device_name,
            "MAC": self.config.mac,
            "~OS": "1",
            "~ZKFPVersion": "10",
            "ZKFaceVersion": "0",
            "FaceFunOn": "0",
            "~ExtendFmt": "1" if zk8 else "0",
            "~UserExtFmt": "1" if zk8 else "0",
            "CompatOldFirmware": "0" if zk8 else "1",
            "IPAddress": self.config.ip_address,
            "NetMask": "255.255.255.0",
            "GATEIPAddress": self.config.ip_address.rsplit(".", 1)[0] + ".1",
            "TZAdj": str(int(utc_offset.total_seconds() // 3600)),
        }

    def _sizes(self) -> bytes:
        users, records = len(self.users), len(self.punches)
        records_cap = max(_SIZES_RECORDS_CAP, records)
        fields = [0] * 20
        fields[4] = users
        fields[6] = users  # one finger each
        fields[8] = (
            records if self.faults.reported_record_count is None else self.faults.reported_record_count
        )
        fields[14], fields[15], fields[16] = _SIZES_FINGERS_CAP, _SIZES_USERS_CAP, records_cap
        fields[17], fields[18], fields[19] = (
            _SIZES_FINGERS_CAP - users,
            _SIZES_USERS_CAP - users,
            records_cap - records,
        )
        return struct.pack("<20i", *fields) + struct.pack("<3i", 0, 0, 0)

    def _blob(self, inner: int) -> bytes | None:
        if inner == Cmd.USERTEMP_RRQ:
            encoding = "cp1252" if self.faults.non_utf8_names else "utf-8"
            return encode_users(self.users, self.config.user_layout, encoding)
        if inner == Cmd.ATTLOG_RRQ:
            layout = RecordLayout.NEWER if self.faults.newer_firmware_records else self.config.record_layout
            uid_of = {u.user_id: u.uid for u in self.users}
            return encode_attendance(self.punches, layout, uid_of, self.faults.corrupt_timestamp_every)
        return None

    def _read_with_buffer(self, session: Session, packet: Packet) -> Outcome:
        # '<bhii' (1, command, fct, ext): dispatch on the command, pyzk's fct is not reliable.
        inner = struct.unpack_from("<h", packet.payload, 1)[0] if len(packet.payload) >= 3 else -1
        blob = None if self.faults.ack_error_on_buffered_read else self._blob(inner)
        if blob is None:
            return _reply(Cmd.ACK_ERROR, packet)
        if len(blob) <= SMALL_BLOB:
            return _reply(Cmd.DATA, packet, blob)
        session.buffer = blob
        return _reply(Cmd.ACK_OK, packet, struct.pack("<BII", 0, len(blob), 0))

    def _read_buffer(self, session: Session, packet: Packet) -> Outcome:
        if session.buffer is None or len(packet.payload) < 8:
            return _reply(Cmd.ACK_ERROR, packet)
        start, size = struct.unpack_from("<ii", packet.payload)
        chunk = session.buffer[start : start + size]

        def pkt(cmd: int, payload: bytes = b"") -> bytes:
            return encode_packet(cmd, packet.session_id, packet.reply_id, payload)

        prepare = pkt(Cmd.PREPARE_DATA, struct.pack("<II", len(chunk), 0))
        if not session.link.udp:
            data = [pkt(Cmd.DATA, chunk)]
            if self.faults.close_mid_chunk != "off":
                return Outcome([prepare, *data], cut=self.faults.close_mid_chunk)
        else:
            data = [
                pkt(Cmd.DATA, chunk[i : i + UDP_MAX_PAYLOAD]) for i in range(0, len(chunk), UDP_MAX_PAYLOAD)
            ]
            if self.faults.close_mid_chunk != "off":  # a datagram cannot be cut: stop half-way instead
                return Outcome([prepare, *data[: len(data) // 2]])
        return Outcome([prepare, *data, pkt(Cmd.ACK_OK)])

    # --- sessions and live capture ---

    def _expire_idle(self) -> None:
        limit = monotonic() - self.config.udp_session_idle_s
        for s in list(self._sessions.values()):
            if s.link.udp and s.events is None and s.last_seen < limit:
                self._end(s)

    def _end(self, session: Session) -> None:
        self._stop_capture(session)
        self._sessions.pop(session.id, None)

    def _start_capture(self, session: Session) -> None:
        if session.id not in self._sessions:
            return
        session.events = asyncio.Queue()
        session.pump = asyncio.get_running_loop().create_task(self._pump(session, session.events))

    @staticmethod
    def _stop_capture(session: Session) -> None:
        if session.pump is not None:
            session.pump.cancel()
        session.pump = None
        session.events = None

    @staticmethod
    async def _pump(session: Session, events: asyncio.Queue[bytes]) -> None:
        # One event in flight at a time: pyzk reads each with one recv and would misparse two.
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that races the ACK.
        while session.events is events:
            payload = await events.get()
            session.acked.clear()
            session.link.send(encode_packet(Cmd.REG_EVENT, EF_ATTLOG, 0, payload))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(EVENT_ACK_TIMEOUT_S):
                    await session.acked.wait()


def _reply(
    command: int, request: Packet, payload: bytes = b"", after: Callable[[], None] | None = None
) -> Outcome:
    return Outcome([encode_packet(command, request.session_id, request.reply_id, payload)], after=after)
