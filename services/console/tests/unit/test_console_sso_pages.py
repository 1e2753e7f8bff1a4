"""The sign-in page with the agency's provider configured (in-memory store, no provider needed):
it offers SSO, keeps or drops the password form as configured, refuses a password post when
passwords are off, and says so in Indonesian when the provider cannot be reached or the way
back comes without a flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import argon2
import httpx
import pytest
from fastapi import FastAPI

from bkpsdm.common.auth import Role, write_key_pair
from bkpsdm.console.adapters.memory import InMemoryConsoleUnitOfWork
from bkpsdm.console.adapters.oidc import OidcProvider
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.domain.sso import ClaimRules
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.entrypoints import session_pages, sso_pages
from bkpsdm.console.entrypoints.errors import install_page_errors
from bkpsdm.console.entrypoints.web import Web

HASHER = Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Web]]:
    """Passwords off; the provider's address refuses connections."""
    keys = write_key_pair(tmp_path / "auth")
    web = Web(
        unit_of_work=InMemoryConsoleUnitOfWork,
        issuer=TokenIssuer.from_file(
            keys.private_key, issuer="bkpsdm-local", audience="bkpsdm", ttl=timedelta(minutes=5)
        ),
        secret=b"rahasia-sesi-untuk-pengujian-000",
        cookie_secure=True,
        session_ttl=timedelta(hours=9),
        time_zone=ZoneInfo("Asia/Jakarta"),
    )
    app = FastAPI()
    async with httpx.AsyncClient() as http:
        provider = OidcProvider(
            http,
            issuer="http://127.0.0.1:9",
            client_id="konsol",
            client_secret="s",
            scopes="openid",
            timeout_s=2,
        )
        rules = ClaimRules("groups", "unit", {"kabid": Role.KEPALA_BIDANG})
        app.include_router(
            session_pages.build_router(
                web, HASHER, LockoutPolicy(3, timedelta(minutes=15)), sso=True, passwords=False
            )
        )
        app.include_router(sso_pages.build_router(web, provider, rules, redirect_url=None))
        install_page_errors(app, web)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:
            yield client, web


async def test_with_passwords_off_the_page_offers_only_sso_and_a_password_post_is_refused(
    console: tuple[httpx.AsyncClient, Web],
) -> None:
    client, web = console
    page = await client.get("/masuk")
    assert "Masuk dengan SSO" in page.text
    assert 'name="password"' not in page.text
    nonce = client.cookies["__Host-bkpsdm_pra"].rpartition(".")[0]
    posted = await client.post(
        "/masuk", data={"csrf_token": web.anonymous_csrf(nonce), "username": "kabid", "password": "x" * 12}
    )
    assert posted.status_code == 403
    assert "PASSWORD_SIGN_IN_DISABLED" in posted.text


async def test_an_unreachable_provider_is_said_in_indonesian(console: tuple[httpx.AsyncClient, Web]) -> None:
    client, _ = console
    answer = await client.get("/masuk/sso")
    assert answer.status_code == 503
    assert "Layanan SSO instansi sedang tidak dapat dihubungi." in answer.text
    assert "bkpsdm_sso" not in answer.headers.get("set-cookie", "")


async def test_coming_back_without_a_flow_is_refused_with_a_way_back(
    console: tuple[httpx.AsyncClient, Web],
) -> None:
    client, _ = console
    answer = await client.get("/masuk/sso/kembali", params={"code": "c", "state": "s"})
    assert answer.status_code == 400
    assert "SSO_FLOW_EXPIRED" in answer.text
    assert 'href="/masuk"' in answer.text
