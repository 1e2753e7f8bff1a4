"""The OpenID provider simulator over real HTTP: discovery, the login form, the code flow with
PKCE S256, client authentication, codes used once and short-lived, ID tokens that verify against
its JWKS, userinfo, and `python -m` with a users file."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from bkpsdm.simulators.oidc_provider.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimConfig
from bkpsdm.simulators.oidc_provider.server import serve_in_thread
from bkpsdm.simulators.oidc_provider.users import BUILTIN_PASSWORD
from bkpsdm.testing.processes import free_port

REDIRECT = "http://127.0.0.1:8007/masuk/sso/kembali"
CLIENT = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


@pytest.fixture
def sso() -> Iterator[httpx.Client]:
    with serve_in_thread() as (url, _), httpx.Client(base_url=url, timeout=10) as client:
        yield client


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize_params(verifier: str, **changes: str) -> dict[str, str]:
    return {
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "keadaan-1",
        "nonce": "nonce-1",
        "code_challenge": challenge_of(verifier),
        "code_challenge_method": "S256",
        **changes,
    }


def log_in(
    sso: httpx.Client, verifier: str, username: str = "kabid", password: str = BUILTIN_PASSWORD
) -> httpx.Response:
    params = authorize_params(verifier)
    page = sso.get("/authorize", params=params)
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    assert hidden == params
    return sso.post("/authorize", data={**hidden, "username": username, "password": password})


def code_from(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["keadaan-1"]
    return query["code"][0]


def exchange(sso: httpx.Client, code: str, verifier: str, auth: tuple[str, str] = CLIENT) -> httpx.Response:
    return sso.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=auth,
    )


def test_discovery_names_its_own_issuer_and_endpoints(sso: httpx.Client) -> None:
    found = sso.get("/.well-known/openid-configuration").json()
    assert found["issuer"] == str(sso.base_url).rstrip("/")
    assert found["authorization_endpoint"] == f"{found['issuer']}/authorize"
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert found["id_token_signing_alg_values_supported"] == ["RS256"]
    assert sso.get(urlsplit(found["jwks_uri"]).path).json()["keys"][0]["kty"] == "RSA"
    # Discovery is its interface description; there is no OpenAPI document to misstate it.
    assert sso.get("/openapi.json").status_code == 404


def test_a_signed_in_user_gets_an_id_token_that_verifies_with_the_jwks_and_userinfo(
    sso: httpx.Client,
) -> None:
    verifier = secrets.token_urlsafe(48)
    answer = exchange(sso, code_from(log_in(sso, verifier)), verifier)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    issuer = str(sso.base_url).rstrip("/")
    key = jwt.PyJWKClient(f"{issuer}/jwks").get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"], key, algorithms=["RS256"], audience=DEFAULT_CLIENT_ID, issuer=issuer
    )
    assert claims["nonce"] == "nonce-1"
    assert claims["groups"] == ["bkpsdm-kepala-bidang", "pegawai"]
    assert claims["unit"] == "BIDANG-PKA-PKK"
    info = sso.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["sub"] == claims["sub"]
    assert info["preferred_username"] == "kabid"
    assert sso.get("/userinfo", headers={"Authorization": "Bearer palsu"}).status_code == 401


def test_a_wrong_password_shows_the_form_again_and_issues_no_code(sso: httpx.Client) -> None:
    answer = log_in(sso, secrets.token_urlsafe(48), password="salah")
    assert answer.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in answer.text
    assert 'value="kabid"' in answer.text
    assert "location" not in answer.headers


def test_a_code_is_used_once_and_only_with_its_verifier_and_client(sso: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = code_from(log_in(sso, verifier))
    wrong_client = exchange(sso, code, verifier, auth=(DEFAULT_CLIENT_ID, "salah"))
    assert (wrong_client.status_code, wrong_client.json()["error"]) == (401, "invalid_client")
    assert exchange(sso, code, "verifier-lain-" + verifier).json()["error"] == "invalid_grant"
    # The failed try used the code up: even the right verifier gets nothing now.
    assert exchange(sso, code, verifier).json()["error"] == "invalid_grant"
    second = code_from(log_in(sso, verifier))
    assert exchange(sso, second, verifier).status_code == 200
    assert exchange(sso, second, verifier).json()["error"] == "invalid_grant"


def test_client_secret_post_authenticates_too(sso: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = code_from(log_in(sso, verifier))
    answer = sso.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    assert answer.status_code == 200, answer.text


def test_a_code_expires() -> None:
    with serve_in_thread(SimConfig(code_ttl_s=0.05)) as (url, _), httpx.Client(base_url=url) as sso:
        verifier = secrets.token_urlsafe(48)
        code = code_from(log_in(sso, verifier))
        time.sleep(0.1)
        assert exchange(sso, code, verifier).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"client_id": "asing"}, 400, None),
        ({"redirect_uri": "https://evil.example/cb"}, 400, None),
        ({"code_challenge": ""}, 303, "invalid_request"),
        ({"code_challenge_method": "plain"}, 303, "invalid_request"),
        ({"scope": "profile"}, 303, "invalid_scope"),
        ({"response_type": "token"}, 303, "unsupported_response_type"),
    ],
)
def test_a_bad_authorization_request_is_refused(
    sso: httpx.Client, changes: dict[str, str], status: int, error: str | None
) -> None:
    answer = sso.get("/authorize", params=authorize_params("v" * 43, **changes))
    assert answer.status_code == status
    if error is None:  # never redirected to an address the client did not register
        assert "location" not in answer.headers
    else:
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert (query["error"], query["state"]) == ([error], ["keadaan-1"])


def test_python_m_serves_the_users_of_a_file(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    users.write_text(
        json.dumps([{"username": "budi", "password": "rahasia", "sub": "budi-1", "claims": {"roles": ["x"]}}])
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bkpsdm.simulators.oidc_provider", "--port", str(port), "--users", str(users)]
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert httpx.get(f"{base}/.well-known/openid-configuration").json()["issuer"] == base
        page = httpx.get(f"{base}/authorize", params=authorize_params("v" * 43))
        assert "Pengguna uji: budi." in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
