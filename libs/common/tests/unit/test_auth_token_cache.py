"""The verified-token cache every signed-in route leans on: a verified token is answered from
memory until it expires (at most max_age_s), bounded in size; a refusal is never kept;
`signed_in` finds a known token on the event loop and still checks roles per route."""

# No `from __future__ import annotations`: FastAPI reads the test routes' signatures at runtime.
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from bkpsdm.common.auth import (
    AuthError,
    JwksFileSource,
    KeyFiles,
    Principal,
    Role,
    TokenVerifier,
    issue_token,
    write_key_pair,
)
from bkpsdm.common.auth.cache import DEFAULT_MAX_AGE_S, VerifiedTokens
from bkpsdm.common.auth.fastapi import signed_in
from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake.bootstrap import MIGRATIONS
from bkpsdm.intake.settings import IDENTITY, IntakeSettings

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC).timestamp()
PRINCIPAL = Principal("pd-1", "PD", frozenset({Role.PERANGKAT_DAERAH}), "DISDIK")


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    return write_key_pair(tmp_path_factory.mktemp("issuer"))


def token(issuer: KeyFiles, ttl: timedelta, *roles: Role, issued_at: datetime | None = None) -> str:
    return issue_token(
        issuer.private_key.read_bytes(),
        subject="pd-1",
        name="PD",
        roles=list(roles or [Role.PERANGKAT_DAERAH]),
        unit="DISDIK",
        ttl=ttl,
        issued_at=issued_at or datetime.now(UTC),
    )


@pytest.mark.parametrize(
    ("expires_in", "kept_for"),
    [
        (120.0, 120.0),  # until the token expires
        (8 * 3600.0, DEFAULT_MAX_AGE_S),  # at most max_age_s: a withdrawn key stops working then
    ],
)
def test_a_token_is_kept_until_it_expires_or_max_age(expires_in: float, kept_for: float) -> None:
    clock = Clock()
    tokens = VerifiedTokens(clock=clock)
    tokens.put("t", PRINCIPAL, NOW + expires_in)
    clock.now += kept_for - 0.001
    assert tokens.get("t") == PRINCIPAL
    clock.now += 0.001
    assert tokens.get("t") is None
    assert len(tokens) == 0  # an expired entry is dropped when met


def test_a_token_already_past_its_exp_is_not_kept() -> None:
    # Accepted within the verifier's leeway only: it must be verified (and refused) again.
    tokens = VerifiedTokens(clock=Clock())
    tokens.put("t", PRINCIPAL, NOW - 10)
    assert tokens.get("t") is None


def test_the_oldest_tokens_make_room_when_full() -> None:
    tokens = VerifiedTokens(clock=Clock(), max_tokens=4)
    for n in range(5):
        tokens.put(f"t{n}", PRINCIPAL, NOW + 600)
    assert [tokens.get(f"t{n}") is not None for n in range(5)] == [False, True, True, True, True]
    for n in range(100):
        tokens.put(f"u{n}", PRINCIPAL, NOW + 600)
    assert len(tokens) <= 4


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    tokens = VerifiedTokens(clock=Clock(), max_tokens=0)
    tokens.put("t", PRINCIPAL, NOW + 600)
    assert tokens.get("t") is None


class CountingSource:
    """The issuer's JWKS, counting every key lookup (one per full verification)."""

    def __init__(self, issuer: KeyFiles) -> None:
        self.source = JwksFileSource.from_file(issuer.jwks)
        self.lookups = 0

    def signing_key(self, key_id: str | None) -> Any:
        self.lookups += 1
        return self.source.signing_key(key_id)


def test_the_verifier_checks_a_token_once_and_answers_the_same_principal_after(issuer: KeyFiles) -> None:
    keys = CountingSource(issuer)
    verifier = TokenVerifier(keys)
    raw = token(issuer, timedelta(hours=1))
    first = verifier.verify(raw)
    assert [verifier.verify(raw) for _ in range(3)] == [first] * 3
    assert verifier.cached(raw) == first
    assert keys.lookups == 1


def forged(issuer: KeyFiles) -> str:
    head, body, _ = token(issuer, timedelta(hours=1)).split(".")
    other = token(issuer, timedelta(hours=2)).split(".")[2]
    return f"{head}.{body}.{other}"  # a real signature, of other claims


def expired(issuer: KeyFiles) -> str:
    return token(issuer, timedelta(minutes=5), issued_at=datetime.now(UTC) - timedelta(hours=1))


@pytest.mark.parametrize(("make", "code"), [(forged, "TOKEN_INVALID"), (expired, "TOKEN_EXPIRED")])
def test_a_refusal_is_never_kept(issuer: KeyFiles, make: Callable[[KeyFiles], str], code: str) -> None:
    keys = CountingSource(issuer)
    verifier = TokenVerifier(keys)
    raw = make(issuer)
    for _ in range(2):
        with pytest.raises(AuthError) as refused:
            verifier.verify(raw)
        assert refused.value.error.code == code
        assert verifier.cached(raw) is None
    assert keys.lookups == 2


def test_a_verifier_without_a_cache_checks_every_time(issuer: KeyFiles) -> None:
    keys = CountingSource(issuer)
    verifier = TokenVerifier(keys, cache_max_tokens=0)
    raw = token(issuer, timedelta(hours=1))
    verifier.verify(raw)
    verifier.verify(raw)
    assert keys.lookups == 2


@pytest.fixture
async def app_client(
    issuer: KeyFiles, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A route for applicants and one for officials behind `signed_in`, on a runtime's
    verifier as intake's routes are; the list records each full verification."""
    settings = IntakeSettings(AUTH_JWKS_FILE=issuer.jwks)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    verified: list[str] = []
    source = runtime.verifier.keys

    class Counting:
        def signing_key(self, key_id: str | None) -> Any:
            verified.append(key_id or "")
            return source.signing_key(key_id)

    monkeypatch.setattr(runtime.verifier, "keys", Counting())
    router = APIRouter()

    @router.get("/applicant")
    async def applicant(
        caller: Annotated[Principal, Depends(signed_in(runtime.verifier, Role.PERANGKAT_DAERAH))],
    ) -> dict[str, Any]:
        return {"unit": caller.unit}

    @router.get("/official")
    async def official(
        caller: Annotated[Principal, Depends(signed_in(runtime.verifier, Role.KEPALA_BADAN))],
    ) -> dict[str, Any]:
        return {"subject": caller.subject}

    app = runtime.http_app([router])  # its error handlers, not its lifespan (nothing is started)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client, verified


async def test_a_repeated_token_is_verified_once_and_roles_are_still_checked_per_route(
    issuer: KeyFiles, app_client: tuple[httpx.AsyncClient, list[str]]
) -> None:
    client, verified = app_client
    headers = {"Authorization": f"Bearer {token(issuer, timedelta(hours=1))}"}
    for _ in range(3):
        response = await client.get("/applicant", headers=headers)
        assert (response.status_code, response.json()) == (200, {"unit": "DISDIK"})
        refused = await client.get("/official", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN_ROLE")
        assert refused.json()["details"] == {"required_roles": ["kepala-badan"]}
    assert len(verified) == 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "TOKEN_MISSING"),
        ({"Authorization": "Bearer not-a-token"}, "TOKEN_INVALID"),
    ],
)
async def test_a_missing_or_broken_token_is_refused_every_time(
    app_client: tuple[httpx.AsyncClient, list[str]], headers: dict[str, str], code: str
) -> None:
    client, _ = app_client
    for _ in range(2):
        response = await client.get("/applicant", headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_an_expired_token_is_refused_every_time(
    issuer: KeyFiles, app_client: tuple[httpx.AsyncClient, list[str]]
) -> None:
    client, verified = app_client
    raw = token(issuer, timedelta(minutes=5), issued_at=datetime.now(UTC) - timedelta(hours=1))
    for _ in range(2):
        response = await client.get("/applicant", headers={"Authorization": f"Bearer {raw}"})
        assert (response.status_code, response.json()["code"]) == (401, "TOKEN_EXPIRED")
    assert len(verified) == 2
