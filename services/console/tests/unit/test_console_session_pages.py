"""Sign-in, sessions and CSRF through the console's real pages (in-memory store, a fake gateway
behind httpx's mock transport): cookies are HTTP-only, SameSite=Lax and Secure; a post without
the form's token is refused; the token the console sends is one the services would accept."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import argon2
import httpx
import pytest
from fastapi import FastAPI

from bkpsdm.common.auth import JwksFileSource, Role, TokenVerifier, write_key_pair
from bkpsdm.console import service
from bkpsdm.console.adapters.memory import InMemoryConsoleUnitOfWork
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.services import AttendanceGatewayApi
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.entrypoints import board_pages, session_pages
from bkpsdm.console.entrypoints.errors import SecurityHeadersMiddleware, install_page_errors
from bkpsdm.console.entrypoints.web import Web

HASHER = Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "kata-sandi-teknisi"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Console:
    def __init__(self, client: httpx.AsyncClient, jwks: Path, gateway_calls: list[httpx.Request]) -> None:
        self.client, self.jwks, self.gateway_calls = client, jwks, gateway_calls

    async def csrf(self, path: str) -> str:
        found = _CSRF.search((await self.client.get(path)).text)
        assert found is not None
        return found.group(1)

    async def sign_in(self, username: str, password: str, lanjut: str = "") -> httpx.Response:
        token = await self.csrf("/masuk")
        return await self.client.post(
            "/masuk", data={"csrf_token": token, "username": username, "password": password, "lanjut": lanjut}
        )


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    keys = write_key_pair(tmp_path / "auth")
    uow = InMemoryConsoleUnitOfWork()
    for username, role, unit in (
        ("teknisi", Role.PETUGAS_TEKNIS, None),
        ("disdik", Role.PERANGKAT_DAERAH, "DISDIK"),
    ):
        await service.save_user(
            uow, HASHER, username=username, name=username.title(), password=PASSWORD, roles=[role], unit=unit
        )
    web = Web(
        unit_of_work=lambda: uow,
        issuer=TokenIssuer.from_file(
            keys.private_key, issuer="bkpsdm-local", audience="bkpsdm", ttl=timedelta(minutes=5)
        ),
        secret=b"rahasia-sesi-untuk-pengujian-000",
        cookie_secure=True,
        session_ttl=timedelta(hours=9),
        time_zone=ZoneInfo("Asia/Jakarta"),
    )
    calls: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(
            200,
            json=[
                {
                    "name": "Lobi utama",
                    "unit": "BKPSDM",
                    "status": "FAULTY",
                    "enabled": True,
                    "failure_streak": 2,
                    "reason": "TIMEOUT",
                }
            ],
        )

    app = FastAPI()
    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as backend:
        app.include_router(session_pages.build_router(web, HASHER, LockoutPolicy(3, timedelta(minutes=15))))
        app.include_router(
            board_pages.build_router(web, AttendanceGatewayApi(backend, "http://gateway.test"))
        )
        install_page_errors(app, web)
        app.add_middleware(SecurityHeadersMiddleware)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:
            yield Console(client, keys.jwks, calls)


async def test_signing_in_sets_a_secure_http_only_lax_cookie_and_opens_the_role_home(
    console: Console,
) -> None:
    response = await console.sign_in("teknisi", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/kotak-masuk"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-bkpsdm_sesi=")
    assert {"HttpOnly", "Secure", "SameSite=lax", "Path=/"} <= {p.strip() for p in cookie.split(";")}


async def test_a_page_needing_a_session_sends_the_browser_to_sign_in_and_back(console: Console) -> None:
    away = await console.client.get("/mesin-absensi")
    assert (away.status_code, away.headers["location"]) == (303, "/masuk?lanjut=/mesin-absensi")
    back = await console.sign_in("teknisi", PASSWORD, lanjut="/mesin-absensi")
    assert back.headers["location"] == "/mesin-absensi"
    board = await console.client.get("/mesin-absensi")
    assert board.status_code == 200
    assert "Lobi utama" in board.text
    assert "Bermasalah" in board.text
    assert board.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in board.headers["content-security-policy"]


async def test_the_token_sent_to_a_service_is_one_it_verifies_with_the_consoles_jwks(
    console: Console,
) -> None:
    await console.sign_in("teknisi", PASSWORD)
    await console.client.get("/mesin-absensi")
    (call,) = console.gateway_calls
    token = call.headers["authorization"].removeprefix("Bearer ")
    published = (await console.client.get("/.well-known/jwks.json")).json()
    assert published == json.loads(console.jwks.read_text())
    principal = TokenVerifier(JwksFileSource.from_file(console.jwks)).verify(token)
    assert principal.roles == {Role.PETUGAS_TEKNIS}
    assert principal.name == "Teknisi"


async def test_a_post_without_the_forms_token_is_refused(console: Console) -> None:
    await console.client.get("/masuk")  # the browser has its pre-sign-in cookie
    forged = await console.client.post(
        "/masuk", data={"csrf_token": "palsu", "username": "teknisi", "password": PASSWORD}
    )
    assert forged.status_code == 403
    assert "CSRF_INVALID" in forged.text
    assert "set-cookie" not in forged.headers or "bkpsdm_sesi" not in forged.headers["set-cookie"]


async def test_a_wrong_password_keeps_the_name_typed_and_repeated_ones_lock(console: Console) -> None:
    first = await console.sign_in("teknisi", "salah-sekali")
    assert first.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in first.text
    assert 'value="teknisi"' in first.text
    assert "salah-sekali" not in first.text
    await console.sign_in("teknisi", "salah-sekali")
    third = await console.sign_in("teknisi", "salah-sekali")
    assert third.status_code == 403
    assert "Akun dikunci sementara" in third.text
    assert (await console.sign_in("teknisi", PASSWORD)).status_code == 403


async def test_a_wrong_role_is_refused_the_page(console: Console) -> None:
    await console.sign_in("disdik", PASSWORD)
    refused = await console.client.get("/mesin-absensi")
    assert refused.status_code == 403
    assert "Halaman ini bukan untuk peran Anda." in refused.text
    assert console.gateway_calls == []


async def test_a_tampered_cookie_is_no_session_and_signing_out_ends_it(console: Console) -> None:
    await console.sign_in("teknisi", PASSWORD)
    cookie = console.client.cookies["__Host-bkpsdm_sesi"]
    value, _, signature = cookie.rpartition(".")
    console.client.cookies.set("__Host-bkpsdm_sesi", f"{value}x.{signature}", domain="console.test")
    assert (await console.client.get("/mesin-absensi")).status_code == 303
    console.client.cookies.set("__Host-bkpsdm_sesi", cookie, domain="console.test")
    token = await console.csrf("/mesin-absensi")
    out = await console.client.post("/keluar", data={"csrf_token": token})
    assert out.headers["location"] == "/masuk"
    console.client.cookies.set("__Host-bkpsdm_sesi", cookie, domain="console.test")  # a copy kept by someone
    assert (await console.client.get("/mesin-absensi")).status_code == 303


async def test_sign_in_never_redirects_off_the_console(console: Console) -> None:
    response = await console.sign_in("teknisi", PASSWORD, lanjut="//evil.example/")
    assert response.headers["location"] == "/kotak-masuk"
