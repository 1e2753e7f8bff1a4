"""The terminal registry over HTTP: technicians only, bad input refused in Indonesian, the comm key never shown."""

from __future__ import annotations

import httpx
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.testing.auth import bearer

pytestmark = pytest.mark.integration

VALID = {
    "name": "Lobi BKPSDM",
    "address": "192.168.10.21",
    "port": 4370,
    "transport": "tcp",
    "comm_key": 123456,
    "time_zone": "Asia/Pontianak",
    "poll_interval_s": 60,
    "unit": "BKPSDM",
}


async def test_a_technician_registers_a_terminal_and_never_sees_its_comm_key_again(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
) -> None:
    _, client = gateway
    created = await client.post("/api/v1/terminals", json=VALID)
    assert created.status_code == 201, created.text
    body = created.json()
    assert "123456" not in created.text
    assert "comm_key" not in body
    assert body["comm_key_set"] is True
    terminal_id = body["terminal_id"]

    listed = await client.get("/api/v1/terminals")
    assert [t["terminal_id"] for t in listed.json()] == [terminal_id]
    assert "123456" not in listed.text

    renamed = await client.put(
        f"/api/v1/terminals/{terminal_id}", json={**VALID, "name": "Lobi", "comm_key": None}
    )
    assert renamed.status_code == 200
    assert renamed.json()["comm_key_set"] is True  # omitted: kept

    duplicate = await client.post("/api/v1/terminals", json={**VALID, "name": "Kembar"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "TERMINAL_ALREADY_REGISTERED")

    board = await client.get("/api/v1/terminal-health")
    assert [(h["terminal_id"], h["status"]) for h in board.json()] == [(terminal_id, "UNKNOWN")]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"address": "999.1.1.1"}, "TERMINAL_ADDRESS_INVALID"),
        ({"address": "mesin absen"}, "TERMINAL_ADDRESS_INVALID"),
        ({"port": 0}, "TERMINAL_PORT_INVALID"),
        ({"port": 70000}, "TERMINAL_PORT_INVALID"),
        ({"transport": "http"}, "TERMINAL_TRANSPORT_INVALID"),
        ({"time_zone": "Asia/Singkawang"}, "TERMINAL_TIME_ZONE_INVALID"),
        ({"time_zone": "../etc/passwd"}, "TERMINAL_TIME_ZONE_INVALID"),
        ({"poll_interval_s": 1}, "TERMINAL_POLL_INTERVAL_INVALID"),
        ({"comm_key": -1}, "TERMINAL_COMM_KEY_INVALID"),
        ({"unit": "   "}, "TERMINAL_UNIT_REQUIRED"),
        ({"port": "empat"}, "REQUEST_INVALID"),
    ],
)
async def test_an_invalid_registration_gets_a_stable_code_and_an_indonesian_message(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient], change: dict[str, object], code: str
) -> None:
    _, client = gateway
    response = await client.post("/api/v1/terminals", json={**VALID, **change})
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert response.json()["message"]
    assert "123456" not in response.text


async def test_only_technicians_may_use_the_registry(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
) -> None:
    _, client = gateway
    anonymous = await client.get("/api/v1/terminals", headers={"Authorization": ""})
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "TOKEN_MISSING")
    other = await client.get("/api/v1/terminals", headers=bearer(Role.PENGOLAH_DATA))
    assert (other.status_code, other.json()["code"]) == (403, "FORBIDDEN_ROLE")


async def test_user_ids_map_to_valid_nips_per_terminal(
    gateway: tuple[ServiceRuntime, httpx.AsyncClient],
) -> None:
    _, client = gateway
    first = (await client.post("/api/v1/terminals", json=VALID)).json()["terminal_id"]
    second = (await client.post("/api/v1/terminals", json={**VALID, "port": 4371})).json()["terminal_id"]
    nip_a, nip_b = "198503152010011001", "199001012015012002"
    assert (
        await client.put(f"/api/v1/terminals/{first}/users", json={"users": [{"user_id": "7", "nip": nip_a}]})
    ).status_code == 200
    assert (
        await client.put(
            f"/api/v1/terminals/{second}/users", json={"users": [{"user_id": "7", "nip": nip_b}]}
        )
    ).status_code == 200
    assert (await client.get(f"/api/v1/terminals/{first}/users")).json() == {"7": nip_a}
    assert (await client.get(f"/api/v1/terminals/{second}/users")).json() == {"7": nip_b}

    bad_nip = await client.put(
        f"/api/v1/terminals/{first}/users", json={"users": [{"user_id": "8", "nip": "12345"}]}
    )
    assert (bad_nip.status_code, bad_nip.json()["code"]) == (422, "NIP_INVALID")
    bad_id = await client.put(
        f"/api/v1/terminals/{first}/users", json={"users": [{"user_id": "a b", "nip": nip_a}]}
    )
    assert (bad_id.status_code, bad_id.json()["code"]) == (422, "TERMINAL_USER_ID_INVALID")
    missing = await client.get("/api/v1/terminals/00000000-0000-0000-0000-000000000000/users")
    assert (missing.status_code, missing.json()["code"]) == (404, "TERMINAL_NOT_FOUND")
    not_uuid = await client.get("/api/v1/terminals/bukan-id")
    assert (not_uuid.status_code, not_uuid.json()["code"]) == (404, "TERMINAL_NOT_FOUND")
