"""Registration rules: address, port, transport, time zone, interval, comm key, unit, user ids and NIPs."""

from __future__ import annotations

from typing import Any, cast

import pytest

from bkpsdm.attendance_gateway.domain.terminal import (
    Registration,
    Transport,
    check_user_mapping,
    new_terminal,
)
from bkpsdm.common.domain_errors import DomainError

VALID: Registration = {
    "name": "Lobi",
    "address": "10.0.0.5",
    "port": 4370,
    "transport": "tcp",
    "comm_key": 0,
    "time_zone": "Asia/Jakarta",
    "poll_interval_s": 60,
    "unit": "BKPSDM",
    "enabled": True,
}


@pytest.mark.parametrize(
    ("address", "stored"),
    [
        ("10.0.0.5", "10.0.0.5"),
        ("fe80::1", "fe80::1"),
        ("Mesin-Lobi.bkpsdm.local", "mesin-lobi.bkpsdm.local"),
    ],
)
def test_addresses_and_host_names_are_accepted(address: str, stored: str) -> None:
    assert new_terminal({**VALID, "address": address}).address == stored


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"address": "10.0.0.256"}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": "10.0.0"}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": "mesin lobi"}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": "-mesin"}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": ""}, "TERMINAL_ADDRESS_INVALID"),
        # Spaces are not trimmed away: the published schema does not allow them either.
        ({"address": " 10.0.0.5"}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": "mesin-lobi "}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": "1.2.3"}, "TERMINAL_ADDRESS_INVALID"),  # digits and dots: a mistyped IPv4
        ({"port": 0}, "TERMINAL_PORT_INVALID"),
        ({"port": 65536}, "TERMINAL_PORT_INVALID"),
        ({"transport": "TCP "}, "TERMINAL_TRANSPORT_INVALID"),
        ({"transport": "http"}, "TERMINAL_TRANSPORT_INVALID"),
        ({"time_zone": "WIB"}, "TERMINAL_TIME_ZONE_INVALID"),
        ({"time_zone": ""}, "TERMINAL_TIME_ZONE_INVALID"),
        ({"poll_interval_s": 4}, "TERMINAL_POLL_INTERVAL_INVALID"),
        ({"poll_interval_s": 86_401}, "TERMINAL_POLL_INTERVAL_INVALID"),
        ({"comm_key": 1_000_000}, "TERMINAL_COMM_KEY_INVALID"),
        ({"comm_key": -1}, "TERMINAL_COMM_KEY_INVALID"),
        ({"unit": " "}, "TERMINAL_UNIT_REQUIRED"),
    ],
)
def test_an_invalid_registration_names_its_fault(change: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as caught:
        new_terminal(cast(Registration, {**VALID, **change}))
    assert caught.value.error.code == code


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Pontianak", "UTC"])
def test_indonesian_zones_are_accepted(zone: str) -> None:
    assert new_terminal({**VALID, "time_zone": zone, "transport": "udp"}).transport is Transport.UDP


@pytest.mark.parametrize(
    ("user_id", "nip", "code"),
    [
        ("1001", "198503152010011001", None),
        ("A7", "198503152010011001", None),
        ("", "198503152010011001", "TERMINAL_USER_ID_INVALID"),
        ("10 01", "198503152010011001", "TERMINAL_USER_ID_INVALID"),
        ("x" * 25, "198503152010011001", "TERMINAL_USER_ID_INVALID"),
        ("1001", "19850315201001100", "NIP_INVALID"),
        ("1001", "198513152010011001", "NIP_INVALID"),
    ],
)
def test_user_ids_and_nips(user_id: str, nip: str, code: str | None) -> None:
    if code is None:
        assert check_user_mapping(user_id, nip) == (user_id, nip)
        return
    with pytest.raises(DomainError) as caught:
        check_user_mapping(user_id, nip)
    assert caught.value.error.code == code
