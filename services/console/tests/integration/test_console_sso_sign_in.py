"""The real console (its runtime, its PostgreSQL schema) signing people in through the OpenID
provider simulator over real HTTP: a good user gets a working session with the roles their
groups map to; a tampered state, a replayed nonce or answer, and a user whose groups map to no
role are refused with an Indonesian page and no session."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import httpx
import pytest

from bkpsdm.common.db import quote_schema
from bkpsdm.console.bootstrap import bootstrap
from bkpsdm.console.settings import ConsoleSettings
from bkpsdm.simulators.oidc_provider.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from bkpsdm.simulators.oidc_provider.server import serve_in_thread
from bkpsdm.simulators.oidc_provider.users import BUILTIN_PASSWORD, BUILTIN_ROLE_MAP
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.services import settings_for_test

pytestmark = pytest.mark.integration

CONSOLE = "https://konsol.test"
SESSION = "__Host-bkpsdm_sesi"
NOWHERE = "http://127.0.0.1:9"  # the services behind the console are not needed here
_HIDDEN = re.compile(r'type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass
class Sso:
    console: httpx.AsyncClient  # the browser at the console (its cookies)
    provider: httpx.AsyncClient  # the same browser at the provider
    schema: str

    async def to_provider(self, lanjut: str = "") -> str:
        """The provider's authorization URL the console sends the browser to."""
        answer = await self.console.get("/masuk/sso", params={"lanjut": lanjut} if lanjut else None)
        assert answer.status_code == 303, answer.text
        return answer.headers["location"]

    async def log_in(self, authorize_url: str, username: str, password: str = BUILTIN_PASSWORD) -> str:
        """Logs in on the provider's form; the callback URL it sends the browser back to."""
        form = await self.provider.get(authorize_url)
        assert form.status_code == 200, form.text
        answer = await self.provider.post(
            "/authorize",
            data={**dict(_HIDDEN.findall(form.text)), "username": username, "password": password},
        )
        assert answer.status_code == 303, answer.text
        callback = answer.headers["location"]
        assert callback.startswith(f"{CONSOLE}/masuk/sso/kembali?")
        return callback

    async def back(self, callback_url: str) -> httpx.Response:
        return await self.console.get(callback_url.removeprefix(CONSOLE))

    async def sign_in(self, username: str, lanjut: str = "") -> httpx.Response:
        return await self.back(await self.log_in(await self.to_provider(lanjut), username))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


@pytest.fixture
async def sso(infra: Infra, schema: str) -> AsyncIterator[Sso]:
    with serve_in_thread() as (issuer, provider_app):
        provider_app.state.config.clients[DEFAULT_CLIENT_ID].redirect_uris.append(
            f"{CONSOLE}/masuk/sso/kembali"
        )
        settings = settings_for_test(
            ConsoleSettings,
            infra,
            schema,
            signing_key_file=ensure_local_auth() / "private.pem",
            intake_url=NOWHERE,
            routing_url=NOWHERE,
            oidc_issuer=issuer,
            oidc_client_id=DEFAULT_CLIENT_ID,
            oidc_client_secret=DEFAULT_CLIENT_SECRET,
            oidc_role_map=BUILTIN_ROLE_MAP,
            oidc_allow_local_passwords=False,
        )
        _, app = bootstrap(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE) as console,
            httpx.AsyncClient(base_url=issuer, timeout=10) as provider,
        ):
            yield Sso(console, provider, schema)


async def accounts(pool: asyncpg.Pool, schema: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                f"SELECT user_id, username, name, roles, unit, sso_subject FROM {quote_schema(schema)}.users"
            )
        )


def refused(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert f"<code>{code}</code>" in answer.text
    assert "Masuk dengan SSO tidak berhasil" in answer.text
    assert SESSION not in answer.headers.get("set-cookie", "")


async def test_the_sign_in_page_offers_sso_and_no_password_form_when_passwords_are_off(sso: Sso) -> None:
    page = await sso.console.get("/masuk")
    assert 'href="/masuk/sso"' in page.text
    assert "Masuk dengan SSO" in page.text
    assert 'name="password"' not in page.text


async def test_a_good_user_is_signed_in_with_the_roles_and_unit_of_their_groups(
    sso: Sso, pool: asyncpg.Pool
) -> None:
    authorize = await sso.to_provider(lanjut="/kotak-masuk")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert {"state", "nonce", "code_challenge"} <= set(query)
    arrived = await sso.back(await sso.log_in(authorize, "kabid"))
    assert arrived.status_code == 303, arrived.text
    assert arrived.headers["location"] == "/kotak-masuk"
    assert SESSION in arrived.headers["set-cookie"]
    # The session works: the sign-in page sends the person on, and pages show who they are.
    assert (await sso.console.get("/masuk")).headers["location"] == "/kotak-masuk"
    inbox = await sso.console.get("/kotak-masuk")  # routing is not running: its refusal, signed in
    assert "Kabid PKA-PKK (SSO)" in inbox.text
    assert "Kepala Bidang · BIDANG-PKA-PKK" in inbox.text
    (account,) = await accounts(pool, sso.schema)
    assert (account["roles"], account["unit"]) == (["kepala-bidang"], "BIDANG-PKA-PKK")
    assert account["username"].startswith("sso.")
    # Signing in again is the same account, not a second one.
    sso.console.cookies.clear()
    assert (await sso.sign_in("kabid")).status_code == 303
    assert [a["user_id"] for a in await accounts(pool, sso.schema)] == [account["user_id"]]


async def test_a_tampered_state_is_refused_and_the_flow_is_used_up(sso: Sso) -> None:
    callback = await sso.log_in(await sso.to_provider(), "kabid")
    refused(await sso.back(with_query(callback, state="keadaan-palsu")), 400, "SSO_STATE_MISMATCH")
    # The genuine answer, after that, finds no flow any more.
    refused(await sso.back(callback), 400, "SSO_FLOW_EXPIRED")


async def test_an_answer_brought_to_another_browser_is_refused(sso: Sso) -> None:
    callback = await sso.log_in(await sso.to_provider(), "kabid")
    sso.console.cookies.clear()  # a victim's browser, sent the attacker's callback link
    refused(await sso.back(callback), 400, "SSO_FLOW_EXPIRED")


async def test_an_id_token_with_an_earlier_nonce_and_a_replayed_answer_are_refused(sso: Sso) -> None:
    first = await sso.to_provider()
    first_callback = await sso.log_in(first, "kabid")
    assert (await sso.back(first_callback)).status_code == 303
    sso.console.cookies.clear()
    # The next sign-in's request is altered to carry the first one's nonce: the provider signs
    # an ID token with that nonce, which is not this flow's.
    earlier_nonce = parse_qs(urlsplit(first).query)["nonce"][0]
    second = with_query(await sso.to_provider(), nonce=earlier_nonce)
    refused(await sso.back(await sso.log_in(second, "kabid")), 400, "SSO_NONCE_MISMATCH")
    # The first answer brought back again: its flow was used.
    refused(await sso.back(first_callback), 400, "SSO_FLOW_EXPIRED")


async def test_a_user_whose_groups_map_to_no_role_is_refused_in_indonesian(
    sso: Sso, pool: asyncpg.Pool
) -> None:
    answer = await sso.sign_in("tamu")
    refused(answer, 403, "SSO_NO_ROLE")
    assert "belum diberi peran di Konsol BKPSDM" in answer.text
    assert await accounts(pool, sso.schema) == []
    assert (await sso.console.get("/kotak-masuk")).status_code == 303  # still no session
