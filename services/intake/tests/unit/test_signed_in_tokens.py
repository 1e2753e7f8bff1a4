"""Intake's sign-in: a verified token is remembered until it expires (at most MAX_AGE_S), so
repeat requests skip the signature check, while every route still checks the caller's roles."""

# No `from __future__ import annotations`: FastAPI reads the test routes' signatures at runtime.
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from bkpsdm.common.auth import KeyFiles, Principal, Role, issue_token, write_key_pair
from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake.bootstrap import MIGRATIONS
from bkpsdm.intake.entrypoints.signed_in import MAX_AGE_S, VerifiedTokens, signed_in
from bkpsdm.intake.settings import IDENTITY, IntakeSettings

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PRINCIPAL = Principal("pd-1", "PD", frozenset({Role.PERANGKAT_DAERAH}), "DISDIK")


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    return write_key_pair(tmp_path_factory.mktemp("issuer"))


def token(issuer: KeyFiles, ttl: timedelta, *roles: Role, issued_at: datetime = NOW) -> str:
    return issue_token(
        issuer.private_key.read_bytes(),
        subject="pd-1",
        name="PD",
        roles=list(roles or [Role.PERANGKAT_DAERAH]),
        unit="DISDIK",
        ttl=ttl,
        issued_at=issued_at,
    )


@pytest.mark.parametrize(
    ("ttl", "kept_for"),
    [
        (timedelta(minutes=2), 120.0),  # until the token expires
        (timedelta(hours=8), MAX_AGE_S),  # at most MAX_AGE_S: a withdrawn key stops working then
    ],
)
def test_a_verified_token_is_kept_until_it_expires_or_max_age(
    issuer: KeyFiles, ttl: timedelta, kept_for: float
) -> None:
    clock = Clock()
    tokens = VerifiedTokens(clock=clock)
    raw = token(issuer, ttl)
    tokens.put(raw, PRINCIPAL)
    clock.now += kept_for - 0.001
    assert tokens.get(raw) == PRINCIPAL
    clock.now += 0.001
    assert tokens.get(raw) is None


def test_a_token_accepted_only_within_the_leeway_is_not_kept(issuer: KeyFiles) -> None:
    tokens = VerifiedTokens(clock=Clock())
    raw = token(issuer, timedelta(minutes=5), issued_at=NOW - timedelta(minutes=5, seconds=10))
    tokens.put(raw, PRINCIPAL)
    assert tokens.get(raw) is None


def test_the_oldest_tokens_make_room_when_full(issuer: KeyFiles) -> None:
    tokens = VerifiedTokens(clock=Clock(), max_tokens=4)
    raws = [token(issuer, timedelta(minutes=10 + n)) for n in range(5)]
    for raw in raws:
        tokens.put(raw, PRINCIPAL)
    assert [tokens.get(raw) is not None for raw in raws] == [False, True, True, True, True]


@pytest.fixture
async def app_client(
    issuer: KeyFiles, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A route for applicants and one for officials behind `signed_in`, sharing one token
    cache as intake's routes do; the list records each signature verification."""
    settings = IntakeSettings(AUTH_JWKS_FILE=issuer.jwks)
    runtime = ServiceRuntime(identity=IDENTITY, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    verified: list[str] = []
    verify = runtime.verifier.verify

    def counting_verify(raw: str) -> Principal:
        verified.append(raw)
        return verify(raw)

    monkeypatch.setattr(runtime.verifier, "verify", counting_verify)
    tokens = VerifiedTokens()
    router = APIRouter()

    @router.get("/applicant")
    async def applicant(
        caller: Annotated[Principal, Depends(signed_in(runtime, tokens, Role.PERANGKAT_DAERAH))],
    ) -> dict[str, Any]:
        return {"unit": caller.unit}

    @router.get("/official")
    async def official(
        caller: Annotated[Principal, Depends(signed_in(runtime, tokens, Role.KEPALA_BADAN))],
    ) -> dict[str, Any]:
        return {"subject": caller.subject}

    app = runtime.http_app([router])  # its error handlers, not its lifespan (nothing is started)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client, verified


async def test_a_repeated_token_is_verified_once_and_roles_are_still_checked_per_route(
    issuer: KeyFiles, app_client: tuple[httpx.AsyncClient, list[str]]
) -> None:
    client, verified = app_client
    raw = token(issuer, timedelta(hours=1), issued_at=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {raw}"}
    for _ in range(3):
        response = await client.get("/applicant", headers=headers)
        assert (response.status_code, response.json()) == (200, {"unit": "DISDIK"})
        refused = await client.get("/official", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN_ROLE")
    assert verified == [raw]


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


async def test_an_expired_token_is_refused_every_time(
    issuer: KeyFiles, app_client: tuple[httpx.AsyncClient, list[str]]
) -> None:
    client, verified = app_client
    raw = token(issuer, timedelta(minutes=5), issued_at=datetime.now(UTC) - timedelta(hours=1))
    for _ in range(2):
        response = await client.get("/applicant", headers={"Authorization": f"Bearer {raw}"})
        assert (response.status_code, response.json()["code"]) == (401, "TOKEN_EXPIRED")
    assert verified == [raw, raw]
