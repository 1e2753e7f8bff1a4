"""Gateway (client-credentials) and SSO (password grant) tokens: both required, both expire."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from bkpsdm.simulators.bkn import BknSimConfig, serve_in_thread

CONFIG = BknSimConfig()
REF_UNOR = "/apisiasn/1.0/referensi/ref-unor"
USER, PASSWORD = next(iter(CONFIG.sso_users.items()))


def gateway_token(client: httpx.Client, config: BknSimConfig = CONFIG) -> str:
    r = client.post(
        "/oauth2/token",
        auth=(config.consumer_key, config.consumer_secret),
        data={"grant_type": "client_credentials"},
    )
    assert r.status_code == 200
    token: str = r.json()["access_token"]
    return token


def sso_token(client: httpx.Client, path: str = "/sso/token", config: BknSimConfig = CONFIG) -> str:
    r = client.post(
        path,
        data={
            "grant_type": "password",
            "client_id": config.sso_client_id,
            "username": USER,
            "password": PASSWORD,
        },
    )
    assert r.status_code == 200
    token: str = r.json()["access_token"]
    return token


def headers(gateway: str, sso: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway}", "Auth": f"bearer {sso}"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with serve_in_thread(CONFIG) as url, httpx.Client(base_url=url, timeout=5) as c:
        yield c


def test_token_responses_carry_type_and_lifetime(client: httpx.Client) -> None:
    gw = client.post(
        "/oauth2/token",
        auth=(CONFIG.consumer_key, CONFIG.consumer_secret),
        data={"grant_type": "client_credentials"},
    ).json()
    sso = client.post(
        "/sso/token",
        data={
            "grant_type": "password",
            "client_id": CONFIG.sso_client_id,
            "username": USER,
            "password": PASSWORD,
        },
    ).json()
    assert gw["token_type"] == sso["token_type"] == "Bearer"
    assert gw["expires_in"] == sso["expires_in"] == 3600
    assert gw["access_token"] != sso["access_token"]


def test_api_call_with_both_tokens_succeeds(client: httpx.Client) -> None:
    r = client.get(REF_UNOR, headers=headers(gateway_token(client), sso_token(client)))
    assert r.status_code == 200
    assert r.json()["success"] is True


def test_sso_token_from_keycloak_path_is_accepted(client: httpx.Client) -> None:
    sso = sso_token(client, "/auth/realms/public-siasn/protocol/openid-connect/token")
    assert client.get(REF_UNOR, headers=headers(gateway_token(client), sso)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        REF_UNOR,
        "/apisiasn/1.0/referensi/ref-jabatan",
        "/apisiasn/1.0/referensi/ref-tingkat-pendidikan",
        "/apisiasn/1.0/pns/rw-skp22/199001012015031001",
    ],
)
def test_api_call_without_gateway_token_is_401_wso2_fault(client: httpx.Client, path: str) -> None:
    r = client.get(path, headers={"Auth": f"bearer {sso_token(client)}"})
    assert r.status_code == 401
    assert r.json() == {
        "fault": {
            "code": 900902,
            "message": "Missing Credentials",
            "description": r.json()["fault"]["description"],
        }
    }


def test_save_without_sso_token_is_401_and_stores_nothing(client: httpx.Client) -> None:
    r = client.post(
        "/apisiasn/1.0/skp22/save", json={}, headers={"Authorization": f"Bearer {gateway_token(client)}"}
    )
    assert r.status_code == 401
    assert r.json()["success"] is False
    assert r.json()["code"] == "SSO_TOKEN_MISSING"
    assert client.get("/sim/records", params={"kind": "skp"}).json()["count"] == 0


def test_unknown_tokens_are_401(client: httpx.Client) -> None:
    bad_gateway = client.get(REF_UNOR, headers=headers("made-up", sso_token(client)))
    bad_sso = client.get(REF_UNOR, headers=headers(gateway_token(client), "made-up"))
    swapped = client.get(REF_UNOR, headers=headers(sso_token(client), gateway_token(client)))
    assert bad_gateway.status_code == bad_sso.status_code == swapped.status_code == 401
    assert bad_gateway.json()["fault"]["code"] == 900901
    assert bad_sso.json()["code"] == "SSO_TOKEN_INVALID"
    assert swapped.json()["fault"]["code"] == 900901


@pytest.mark.parametrize(
    ("auth", "form", "status", "error"),
    [
        (
            httpx.BasicAuth(CONFIG.consumer_key, "wrong"),
            {"grant_type": "client_credentials"},
            401,
            "invalid_client",
        ),
        (None, {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (
            httpx.BasicAuth(CONFIG.consumer_key, CONFIG.consumer_secret),
            {"grant_type": "password"},
            400,
            "unsupported_grant_type",
        ),
    ],
)
def test_gateway_token_endpoint_rejects_bad_requests(
    client: httpx.Client, auth: httpx.BasicAuth | None, form: dict[str, str], status: int, error: str
) -> None:
    r = client.post("/oauth2/token", auth=auth or httpx.USE_CLIENT_DEFAULT, data=form)
    assert r.status_code == status
    assert r.json()["error"] == error


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "password", "client_id": "bkpsdm-sim", "username": USER, "password": "x"},
            401,
            "invalid_grant",
        ),
        (
            {"grant_type": "password", "client_id": "bkpsdm-sim", "username": "nobody", "password": PASSWORD},
            401,
            "invalid_grant",
        ),
        (
            {"grant_type": "password", "client_id": "other", "username": USER, "password": PASSWORD},
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials", "client_id": "bkpsdm-sim"}, 400, "unsupported_grant_type"),
    ],
)
def test_sso_token_endpoint_rejects_bad_requests(
    client: httpx.Client, form: dict[str, str], status: int, error: str
) -> None:
    r = client.post("/sso/token", data=form)
    assert r.status_code == status
    assert r.json()["error"] == error


def test_expired_gateway_token_is_401_until_a_new_one_is_fetched() -> None:
    config = BknSimConfig(gateway_token_ttl_s=0.5, sso_token_ttl_s=60)
    with serve_in_thread(config) as url, httpx.Client(base_url=url, timeout=5) as client:
        gateway, sso = gateway_token(client, config), sso_token(client, config=config)
        assert client.get(REF_UNOR, headers=headers(gateway, sso)).status_code == 200
        time.sleep(0.6)

        expired = client.get(REF_UNOR, headers=headers(gateway, sso))
        assert expired.status_code == 401
        assert expired.json()["fault"] == {
            "code": 900901,
            "message": "Invalid Credentials",
            "description": "Access token expired",
        }
        assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
        assert client.get(REF_UNOR, headers=headers(gateway_token(client, config), sso)).status_code == 200
        assert client.get("/sim/stats").json()["auth_failures"] == 1


def test_expired_sso_token_is_401_until_the_user_logs_in_again() -> None:
    config = BknSimConfig(gateway_token_ttl_s=60, sso_token_ttl_s=0.5)
    with serve_in_thread(config) as url, httpx.Client(base_url=url, timeout=5) as client:
        gateway, sso = gateway_token(client, config), sso_token(client, config=config)
        assert client.get(REF_UNOR, headers=headers(gateway, sso)).status_code == 200
        time.sleep(0.6)

        expired = client.get(REF_UNOR, headers=headers(gateway, sso))
        assert expired.status_code == 401
        assert expired.json()["code"] == "SSO_TOKEN_EXPIRED"
        assert expired.json()["message"]
        assert (
            client.get(REF_UNOR, headers=headers(gateway, sso_token(client, config=config))).status_code
            == 200
        )
