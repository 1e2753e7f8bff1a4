"""Token verification: what is accepted, and each way a token is refused with its code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bkpsdm.common.auth import (
    AuthError,
    JwksFileSource,
    JwksUrlSource,
    Role,
    StaticKeySource,
    TokenVerifier,
    issue_token,
    write_key_pair,
)
from bkpsdm.common.auth.keys import key_id_of


def now() -> datetime:
    """Taken when a token is made: a constant from import time would expire in a long run."""
    return datetime.now(UTC)


def private_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
VERIFIER = TokenVerifier(StaticKeySource.from_public_key_pem(public_pem(SIGNING_KEY)))


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "bkpsdm-local",
        "aud": "bkpsdm",
        "sub": "198001012005011001",
        "name": "Rina Kartika",
        "roles": ["kepala-bidang"],
        "iat": int(now().timestamp()),
        "exp": int((now() + timedelta(minutes=10)).timestamp()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], key: ec.EllipticCurvePrivateKey = SIGNING_KEY) -> str:
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": key_id_of(key)})


def hs256_with_public_pem_as_secret() -> str:
    # The classic algorithm-confusion forgery: the attacker knows the public key and uses it as
    # an HMAC secret. PyJWT refuses to sign this, so it is built by hand.
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims()).encode())
    signature = hmac.new(public_pem(SIGNING_KEY), head + b"." + body, hashlib.sha256).digest()
    return (head + b"." + body + b"." + b64(signature)).decode()


def refusal(verifier: TokenVerifier, token: str) -> tuple[str, int]:
    with pytest.raises(AuthError) as caught:
        verifier.verify(token)
    return caught.value.error.code, caught.value.error.status


def test_valid_token_gives_the_principal_it_names() -> None:
    token = issue_token(
        private_pem(SIGNING_KEY),
        subject="198001012005011001",
        name="Rina Kartika",
        roles=[Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH],
        unit="BKPSDM-PKA",
    )
    principal = VERIFIER.verify(token)
    assert principal.subject == "198001012005011001"
    assert principal.name == "Rina Kartika"
    assert principal.roles == {Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH}
    assert principal.unit == "BKPSDM-PKA"


def test_rsa_key_tokens_verify_as_rs256() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(StaticKeySource.from_public_key_pem(public_pem(rsa_key)))
    token = issue_token(
        private_pem(rsa_key), subject="svc-routing", name="routing", roles=[Role.INTERNAL_SERVICE]
    )
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert verifier.verify(token).roles == {Role.INTERNAL_SERVICE}


def test_token_expired_within_leeway_is_still_accepted() -> None:
    token = signed(claims(exp=int((now() - timedelta(seconds=10)).timestamp())))
    assert VERIFIER.verify(token).subject == "198001012005011001"


def test_unknown_roles_are_ignored_beside_known_ones() -> None:
    principal = VERIFIER.verify(signed(claims(roles=["offline_access", "sekretaris"])))
    assert principal.roles == {Role.SEKRETARIS}


def test_name_falls_back_to_subject_for_service_tokens() -> None:
    principal = VERIFIER.verify(signed(claims(name=None, sub="svc-intake", roles=["internal-service"])))
    assert principal.name == "svc-intake"


@pytest.mark.parametrize(
    ("case", "token", "expected"),
    [
        (
            "expired",
            lambda: signed(
                claims(
                    iat=int((now() - timedelta(hours=2)).timestamp()),
                    exp=int((now() - timedelta(hours=1)).timestamp()),
                )
            ),
            ("TOKEN_EXPIRED", 401),
        ),
        (
            "not yet valid (nbf)",
            lambda: signed(claims(nbf=int((now() + timedelta(minutes=5)).timestamp()))),
            ("TOKEN_INVALID", 401),
        ),
        (
            "issued in the future",
            lambda: signed(claims(iat=int((now() + timedelta(minutes=5)).timestamp()))),
            ("TOKEN_INVALID", 401),
        ),
        ("wrong issuer", lambda: signed(claims(iss="someone-else")), ("TOKEN_INVALID", 401)),
        ("wrong audience", lambda: signed(claims(aud="other-app")), ("TOKEN_INVALID", 401)),
        ("no expiry", lambda: signed(claims(exp=None)), ("TOKEN_INVALID", 401)),
        ("no subject", lambda: signed(claims(sub=None)), ("TOKEN_INVALID", 401)),
        ("forged with another key", lambda: signed(claims(), key=OTHER_KEY), ("TOKEN_INVALID", 401)),
        ("alg none", lambda: jwt.encode(claims(), "", algorithm="none"), ("TOKEN_INVALID", 401)),
        (
            "HS256 signed with the public key",
            lambda: hs256_with_public_pem_as_secret(),
            ("TOKEN_INVALID", 401),
        ),
        ("not a JWT", lambda: "abc.def", ("TOKEN_INVALID", 401)),
        ("roles claim missing", lambda: signed(claims(roles=None)), ("TOKEN_INVALID", 401)),
        ("roles claim not a list", lambda: signed(claims(roles="kepala-badan")), ("TOKEN_INVALID", 401)),
        ("empty unit", lambda: signed(claims(unit="")), ("TOKEN_INVALID", 401)),
        (
            "applicant without unit",
            lambda: signed(claims(roles=["perangkat-daerah"])),
            ("TOKEN_INVALID", 401),
        ),
        ("no role of ours", lambda: signed(claims(roles=["offline_access"])), ("FORBIDDEN_ROLE", 403)),
        ("empty roles", lambda: signed(claims(roles=[])), ("FORBIDDEN_ROLE", 403)),
    ],
)
def test_bad_tokens_are_refused_with_their_code(
    case: str, token: Callable[[], str], expected: tuple[str, int]
) -> None:
    assert refusal(VERIFIER, token()) == expected, case


def test_refusal_of_a_401_carries_a_bearer_challenge() -> None:
    with pytest.raises(AuthError) as caught:
        VERIFIER.verify(signed(claims(iss="someone-else")))
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")
    assert "invalid_token" in caught.value.headers["WWW-Authenticate"]


def test_verifier_never_allows_none_nor_hmac_beside_a_public_key() -> None:
    source = StaticKeySource.from_public_key_pem(public_pem(SIGNING_KEY))
    with pytest.raises(ValueError, match="none"):
        TokenVerifier(source, algorithms=["ES256", "none"])
    with pytest.raises(ValueError, match="HS256"):
        TokenVerifier(source, algorithms=["ES256", "HS256"])
    secret = StaticKeySource.from_hs256_secret("s" * 32)
    with pytest.raises(ValueError, match="HS256"):
        TokenVerifier(secret, algorithms=["HS256", "ES256"])


def test_hs256_works_only_when_a_secret_is_configured() -> None:
    secret = "rahasia-bersama-yang-cukup-panjang-32"
    verifier = TokenVerifier(StaticKeySource.from_hs256_secret(secret), algorithms=["HS256"])
    assert verifier.verify(jwt.encode(claims(), secret, algorithm="HS256")).roles == {Role.KEPALA_BIDANG}
    assert refusal(verifier, signed(claims())) == ("TOKEN_INVALID", 401)
    assert refusal(verifier, jwt.encode(claims(), "x" * 40, algorithm="HS256")) == ("TOKEN_INVALID", 401)


def test_jwks_file_source_finds_the_key_by_kid(tmp_path: Path) -> None:
    files = write_key_pair(tmp_path)
    verifier = TokenVerifier(JwksFileSource.from_file(files.jwks))
    token = issue_token(
        files.private_key.read_bytes(), subject="u1", name="Andi", roles=[Role.PETUGAS_TEKNIS]
    )
    assert jwt.get_unverified_header(token)["kid"] == files.key_id
    assert verifier.verify(token).roles == {Role.PETUGAS_TEKNIS}
    unknown_kid = issue_token(
        files.private_key.read_bytes(),
        subject="u1",
        name="Andi",
        roles=[Role.PETUGAS_TEKNIS],
        key_id="rotated-away",
    )
    assert refusal(verifier, unknown_kid) == ("TOKEN_INVALID", 401)
    assert refusal(verifier, signed(claims(), key=OTHER_KEY)) == ("TOKEN_INVALID", 401)


@pytest.fixture
def jwks_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    files = write_key_pair(tmp_path)
    body = files.jwks.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", files.private_key
    finally:
        server.shutdown()
        server.server_close()


def test_jwks_url_source_verifies_with_the_published_key(jwks_server: tuple[str, Path]) -> None:
    url, private_key = jwks_server
    verifier = TokenVerifier(JwksUrlSource(url))
    token = issue_token(private_key.read_bytes(), subject="u2", name="Sari", roles=[Role.PENGOLAH_DATA])
    assert verifier.verify(token).roles == {Role.PENGOLAH_DATA}
    assert refusal(verifier, signed(claims(), key=OTHER_KEY)) == ("TOKEN_INVALID", 401)


def test_unreachable_jwks_url_is_our_outage_not_the_callers_fault() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]  # bound then closed: nothing listens there
    verifier = TokenVerifier(JwksUrlSource(f"http://127.0.0.1:{port}/jwks.json", timeout_s=2))
    with pytest.raises(AuthError) as caught:
        verifier.verify(signed(claims()))
    assert caught.value.error.code == "AUTH_UNAVAILABLE"
    assert caught.value.error.status == 503


@pytest.mark.parametrize(
    ("roles", "unit", "problem"),
    [([], None, "at least one role"), ([Role.PERANGKAT_DAERAH], None, "needs a unit")],
)
def test_issue_token_refuses_tokens_the_verifier_would_refuse(
    roles: list[Role], unit: str | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        issue_token(private_pem(SIGNING_KEY), subject="x", name="x", roles=roles, unit=unit)
