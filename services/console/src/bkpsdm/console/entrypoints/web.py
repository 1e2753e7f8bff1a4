"""What every page shares: the signed session cookie, the CSRF token of every form, who is
looking (the viewer), and rendering a template with the menu and the viewer in it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from bkpsdm.common.auth import Principal, Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console import service
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.domain import errors
from bkpsdm.console.domain.navigation import Page, may_open, menu
from bkpsdm.console.domain.users import User
from bkpsdm.console.service import ConsoleUnitOfWork

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
_SESSION = "bkpsdm_sesi"
_ANONYMOUS = "bkpsdm_pra"  # a nonce binding the sign-in form's CSRF token to this browser
CSRF_FIELD = "csrf_token"
IDEMPOTENCY_FIELD = "idempotency_key"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class SignInRequired(Exception):
    """The page needs a session: the browser is sent to sign in and brought back afterwards."""


@dataclass(frozen=True)
class Viewer:
    user: User
    session_token: str
    csrf_token: str
    issuer: TokenIssuer

    @property
    def principal(self) -> Principal:
        return self.user.principal()

    @property
    def roles(self) -> frozenset[Role]:
        return self.user.roles

    @property
    def unit(self) -> str | None:
        return self.user.unit

    def token(self) -> str:
        """A fresh token for one call to a service on this person's behalf."""
        return self.issuer.token_for(self.principal)

    def has_any(self, roles: frozenset[Role]) -> bool:
        return not self.user.roles.isdisjoint(roles)


class Web:
    """The web plumbing one console process shares between its page modules."""

    def __init__(
        self,
        *,
        unit_of_work: Callable[[], ConsoleUnitOfWork],
        issuer: TokenIssuer,
        secret: bytes,
        cookie_secure: bool,
        session_ttl: timedelta,
        time_zone: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.unit_of_work = unit_of_work
        self.issuer = issuer
        self._secret = secret
        self.cookie_secure = cookie_secure
        # With Secure the __Host- prefix also pins the cookie to this host and path "/".
        prefix = "__Host-" if cookie_secure else ""
        self.session_cookie = prefix + _SESSION
        self.anonymous_cookie = prefix + _ANONYMOUS
        self.session_ttl = session_ttl
        self.zone = time_zone
        self.clock = clock
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=jinja2.select_autoescape(("html",)),
            # The services' answers grow fields over time: a field not there yet shows as empty.
            undefined=jinja2.ChainableUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["waktu"] = self.local_time
        self.env.filters["tanggal"] = self.local_date
        self.env.filters["peran"] = role_label
        self.env.filters["ukuran"] = file_size

    # --- signatures -------------------------------------------------------------------
    def _sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def _signed_value(self, raw: str | None, purpose: str) -> str | None:
        if not raw or "." not in raw:
            return None
        value, _, signature = raw.rpartition(".")
        return value if hmac.compare_digest(signature, self._sign(purpose, value)) else None

    # --- sessions ---------------------------------------------------------------------
    def set_session(self, response: Response, session_token: str) -> None:
        response.set_cookie(
            self.session_cookie,
            f"{session_token}.{self._sign('session', session_token)}",
            max_age=int(self.session_ttl.total_seconds()),
            path="/",
            secure=self.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        response.delete_cookie(self.anonymous_cookie, path="/", secure=self.cookie_secure, httponly=True)

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(
            self.session_cookie, path="/", secure=self.cookie_secure, httponly=True, samesite="lax"
        )

    def session_token(self, request: Request) -> str | None:
        return self._signed_value(request.cookies.get(self.session_cookie), "session")

    async def viewer(self, request: Request) -> Viewer | None:
        """The signed-in person, looked up once per request."""
        if hasattr(request.state, "viewer"):
            found: Viewer | None = request.state.viewer
            return found
        token = self.session_token(request)
        user = await service.session_user(self.unit_of_work(), token, now=self.clock()) if token else None
        viewer = (
            Viewer(user, token, self._sign("csrf", token), self.issuer)
            if user is not None and token is not None
            else None
        )
        request.state.viewer = viewer
        return viewer

    async def require(self, request: Request, page: Page) -> Viewer:
        viewer = await self.viewer(request)
        if viewer is None:
            raise SignInRequired()
        if not may_open(page, viewer.roles):
            raise DomainError(errors.PAGE_FORBIDDEN)
        return viewer

    # --- CSRF -------------------------------------------------------------------------
    def anonymous_nonce(self, request: Request) -> tuple[str, bool]:
        """This browser's pre-sign-in nonce, and whether it is new (to be set as a cookie)."""
        nonce = self._signed_value(request.cookies.get(self.anonymous_cookie), "anonymous")
        return (nonce, False) if nonce else (secrets.token_urlsafe(16), True)

    def set_anonymous(self, response: Response, nonce: str) -> None:
        response.set_cookie(
            self.anonymous_cookie,
            f"{nonce}.{self._sign('anonymous', nonce)}",
            path="/",
            secure=self.cookie_secure,
            httponly=True,
            samesite="lax",
        )

    def anonymous_csrf(self, nonce: str) -> str:
        return self._sign("csrf-anonymous", nonce)

    async def checked_form(self, request: Request, viewer: Viewer | None) -> FormData:
        """The posted form, once its CSRF token matches this session (or, before sign-in, this
        browser's nonce); a forged or stale post is refused before anything else is read."""
        form = await request.form(max_files=40, max_fields=80)
        given = form.get(CSRF_FIELD)
        expected: str | None
        if viewer is not None:
            expected = viewer.csrf_token
        else:
            nonce = self._signed_value(request.cookies.get(self.anonymous_cookie), "anonymous")
            expected = self.anonymous_csrf(nonce) if nonce else None
        if not isinstance(given, str) or expected is None or not hmac.compare_digest(given, expected):
            await form.close()
            raise DomainError(errors.CSRF_INVALID)
        return form

    # --- rendering --------------------------------------------------------------------
    def render(
        self,
        request: Request,
        template: str,
        viewer: Viewer | None,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        csrf_token: str | None = None,
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            request_path=request.url.path,
            viewer=viewer,
            menu=menu(viewer.roles if viewer else ()),
            csrf_token=csrf_token or (viewer.csrf_token if viewer else ""),
            idempotency_key=str(uuid.uuid4()),  # a new key per render: a double submit is one action
            now=self.clock(),
            **(context or {}),
        )
        response = HTMLResponse(html, status_code=status_code)
        if viewer is not None:
            response.headers["Cache-Control"] = "no-store"
        return response

    def local_time(self, value: object) -> str:
        moment = parse_time(value)
        if moment is None:
            return "-"
        local = moment.astimezone(self.zone)
        zone = _ZONE_NAMES.get(str(self.zone), local.strftime("%Z"))
        return (
            f"{_DAYS[local.weekday()]}, {local.day} {_MONTHS[local.month - 1]} {local.year} "
            f"{local:%H:%M} {zone}"
        )

    def local_date(self, value: object) -> str:
        moment = parse_time(value)
        if moment is None:
            return "-"
        local = moment.astimezone(self.zone)
        return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def role_label(value: object) -> str:
    if not isinstance(value, str) or not value:
        return "-"
    try:
        return Role(value).label
    except ValueError:
        return value


def file_size(value: object) -> str:
    if not isinstance(value, int):
        return "-"
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KiB"
    return f"{value / 1024 / 1024:.1f} MiB"


def safe_next(value: Any) -> str | None:
    """A path on this console to go on to, else None: "//host" or "/\\host" would leave it
    (an open redirect)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return None


def redirect(path: str) -> RedirectResponse:
    """After a post: the browser asks for the next page with GET (a reload re-posts nothing)."""
    return RedirectResponse(path, status_code=303)
