"""A registered fingerprint terminal and the rules its registration must satisfy."""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NotRequired, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bkpsdm.attendance_gateway.domain import errors
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.nip import InvalidNip, NipKind, parse_nip

MIN_POLL_INTERVAL_S = 5
MAX_POLL_INTERVAL_S = 86_400
MAX_COMM_KEY = 999_999
# A host name (RFC 1123 labels), but not one made only of digits and dots: that is a mistyped
# IPv4 address. Published in the terminal request's schema too.
HOSTNAME_PATTERN = (
    r"^(?![0-9.]+$)(?=.{1,253}$)"
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_HOSTNAME = re.compile(HOSTNAME_PATTERN)
USER_ID_PATTERN = r"^[A-Za-z0-9]{1,24}$"
_USER_ID = re.compile(USER_ID_PATTERN)


class Transport(StrEnum):
    TCP = "tcp"
    UDP = "udp"  # older models answer only UDP (pyzk's force_udp)


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    name: str
    address: str
    port: int
    transport: Transport
    comm_key: int = field(repr=False)  # a secret: never returned over HTTP, never logged
    time_zone: str
    poll_interval_s: int
    unit: str
    enabled: bool
    # Clear the terminal's log once all of it is durably published (its memory is finite).
    clear_log_after_publish: bool = False
    # Listen for live events between full pulls (each session: read the log, then listen
    # for the poll interval); the full pull reconciles whatever live capture missed.
    live_capture: bool = False


def check_address(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        pass
    if _HOSTNAME.match(address):
        return address.lower()
    raise DomainError(errors.ADDRESS_INVALID)


def check_time_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(errors.TIME_ZONE_INVALID) from None
    return zone


class Registration(TypedDict):
    name: str
    address: str
    port: int
    transport: str
    comm_key: int
    time_zone: str
    poll_interval_s: int
    unit: str
    enabled: bool
    clear_log_after_publish: NotRequired[bool]
    live_capture: NotRequired[bool]


def new_terminal(r: Registration, terminal_id: str | None = None) -> Terminal:
    """Validate a registration (or an update, with the terminal's id); DomainError names the first fault."""
    if not 1 <= r["port"] <= 65_535:
        raise DomainError(errors.PORT_INVALID)
    try:
        kind = Transport(r["transport"])
    except ValueError:
        raise DomainError(errors.TRANSPORT_INVALID) from None
    if not 0 <= r["comm_key"] <= MAX_COMM_KEY:
        raise DomainError(errors.COMM_KEY_INVALID)
    if not MIN_POLL_INTERVAL_S <= r["poll_interval_s"] <= MAX_POLL_INTERVAL_S:
        raise DomainError(errors.POLL_INTERVAL_INVALID)
    if not r["unit"].strip():
        raise DomainError(errors.UNIT_REQUIRED)
    return Terminal(
        terminal_id=terminal_id or str(uuid.uuid4()),
        name=r["name"].strip(),
        address=check_address(r["address"]),
        port=r["port"],
        transport=kind,
        comm_key=r["comm_key"],
        time_zone=check_time_zone(r["time_zone"]),
        poll_interval_s=r["poll_interval_s"],
        unit=r["unit"].strip(),
        enabled=r["enabled"],
        clear_log_after_publish=r.get("clear_log_after_publish", False),
        live_capture=r.get("live_capture", False),
    )


def check_user_mapping(user_id: str, nip: str) -> tuple[str, str]:
    """A terminal user id and the employee's NIP (PNS or PPPK numbering)."""
    if not _USER_ID.match(user_id):
        raise DomainError(errors.USER_ID_INVALID)
    for kind in NipKind:
        try:
            return user_id, parse_nip(nip, kind).value
        except InvalidNip:
            continue
    raise DomainError(errors.NIP_INVALID)
