"""FastAPI app shaped like an OpenID Connect provider (the authorization code flow only).

| call | what |
| --- | --- |
| `GET /.well-known/openid-configuration` | discovery |
| `GET /authorize` | checks client, redirect URI, `response_type=code`, `openid` scope, PKCE S256; shows a login form |
| `POST /authorize` | the form: right password -> 303 to `redirect_uri?code&state`; wrong -> the form again |
| `POST /token` | `grant_type=authorization_code`, `code`, `redirect_uri`, `code_verifier`; client by HTTP Basic or form |
| `GET /jwks` | the RS256 public key |
| `GET`/`POST /userinfo` | the user's claims for a bearer access token |
| `GET /health` | up |
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jwt.algorithms import RSAAlgorithm
from pydantic import BaseModel, Field

from bkpsdm.simulators.oidc_provider.users import BUILTIN_USERS, SsoUser

DEFAULT_CLIENT_ID = "bkpsdm-konsol"
DEFAULT_CLIENT_SECRET = "bkpsdm-lokal-sso"
DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8007/masuk/sso/kembali",
    "http://localhost:8007/masuk/sso/kembali",
)
_AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


class Client(BaseModel):
    secret: str
    redirect_uris: list[str] = Field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS))


class SimConfig(BaseModel):
    issuer: str = "http://127.0.0.1:8092"
    clients: dict[str, Client] = Field(
        default_factory=lambda: {DEFAULT_CLIENT_ID: Client(secret=DEFAULT_CLIENT_SECRET)}
    )
    users: list[SsoUser] = Field(default_factory=lambda: list(BUILTIN_USERS))
    code_ttl_s: float = Field(default=60.0, gt=0)
    token_ttl_s: float = Field(default=300.0, gt=0)


@dataclass(frozen=True)
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scope: str
    user: SsoUser
    auth_time: int
    expires_at: float


@dataclass
class Store:
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[SsoUser, float]] = field(default_factory=dict)
    codes_issued: int = 0
    codes_redeemed: int = 0


def _token_error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="sso"'} if status == 401 else None
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>",
        status_code=status,
    )


def _login_form(params: dict[str, str], users: list[SsoUser], error: str | None, username: str) -> str:
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in params.items())
    alert = f'<p role="alert" id="galat">{html.escape(error)}</p>' if error else ""
    known = ", ".join(html.escape(u.username) for u in users)
    return (
        f"<p>Masuk ke Single Sign-On instansi (simulator). Pengguna uji: {known}.</p>{alert}"
        f'<form method="post" action="/authorize">{hidden}'
        '<p><label for="username">Nama pengguna</label> '
        f'<input id="username" name="username" autocomplete="username" value="{html.escape(username)}"></p>'
        '<p><label for="password">Kata sandi</label> '
        '<input id="password" name="password" type="password" autocomplete="current-password"></p>'
        '<p><button type="submit">Masuk</button></p></form>'
    )


def create_app(config: SimConfig | None = None) -> FastAPI:
    config = config or SimConfig()
    store = Store()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = uuid.uuid4().hex[:16]
    public_jwk: dict[str, Any] = {
        **RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
    }
    # No OpenAPI document: the provider's interface is OpenID Connect's (discovery, the
    # authorize form, the token endpoint), which an OpenAPI schema of raw requests would misstate.
    app = FastAPI(title="OpenID Connect provider simulator", openapi_url=None)

    def issuer() -> str:
        return config.issuer.rstrip("/")

    def user_named(username: str) -> SsoUser | None:
        return next((u for u in config.users if u.username == username), None)

    def check_authorize(params: dict[str, str]) -> Response | None:
        """None when the request may proceed; else what to answer (an error page for a bad client
        or redirect URI, which must never be redirected to; a redirect with `error` otherwise)."""
        client = config.clients.get(params.get("client_id", ""))
        if client is None:
            return _page("Permintaan tidak sah", "<p>Aplikasi (client_id) tidak dikenal.</p>", 400)
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return _page("Permintaan tidak sah", "<p>redirect_uri tidak terdaftar.</p>", 400)
        problem: tuple[str, str] | None = None
        if params.get("response_type") != "code":
            problem = ("unsupported_response_type", "only response_type=code")
        elif "openid" not in params.get("scope", "").split():
            problem = ("invalid_scope", "the openid scope is required")
        elif not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            problem = ("invalid_request", "PKCE with code_challenge_method=S256 is required")
        if problem is None:
            return None
        query = {"error": problem[0], "error_description": problem[1]}
        if params.get("state"):
            query["state"] = params["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=303)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        base = issuer()
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "userinfo_endpoint": f"{base}/userinfo",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email", "groups"],
            "claims_supported": ["sub", "name", "preferred_username", "email", "groups", "unit"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [public_jwk]}

    @app.get("/authorize")
    async def authorize(request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in _AUTHORIZE_FIELDS}
        refused = check_authorize(params)
        if refused is not None:
            return refused
        return _page("Masuk SSO", _login_form(params, config.users, None, ""))

    @app.post("/authorize")
    async def log_in(request: Request) -> Response:
        form = await request.form()
        params = {k: str(v) for k, v in form.items() if k in _AUTHORIZE_FIELDS}
        refused = check_authorize(params)
        if refused is not None:
            return refused
        username = str(form.get("username", ""))
        user = user_named(username)
        if user is None or not secrets.compare_digest(user.password, str(form.get("password", ""))):
            error = "Nama pengguna atau kata sandi salah."
            return _page("Masuk SSO", _login_form(params, config.users, error, username), 401)
        code = secrets.token_urlsafe(32)
        now = time.time()
        store.codes[code] = Grant(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            nonce=params.get("nonce") or None,
            scope=params.get("scope", ""),
            user=user,
            auth_time=int(now),
            expires_at=now + config.code_ttl_s,
        )
        store.codes_issued += 1
        query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", status_code=303)

    def client_of(request: Request, form: dict[str, str]) -> str | None:
        """The authenticated client's id (HTTP Basic, else client_id/client_secret in the form)."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
            except ValueError:
                return None
            client_id, _, secret = decoded.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        client = config.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            return None
        return client_id

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        client_id = client_of(request, form)
        if client_id is None:
            return _token_error("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "only authorization_code")
        grant = store.codes.pop(form.get("code", ""), None)  # used once, whatever happens next
        if grant is None or grant.expires_at < time.time():
            return _token_error("invalid_grant", "the code is unknown, used or expired")
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            return _token_error("invalid_grant", "the code was issued to another client or redirect_uri")
        verifier = form.get("code_verifier", "")
        if not verifier or not secrets.compare_digest(_s256(verifier), grant.code_challenge):
            return _token_error("invalid_grant", "PKCE verification failed")
        store.codes_redeemed += 1
        now = int(time.time())
        user = grant.user
        id_claims: dict[str, Any] = {
            **user.claims,
            "iss": issuer(),
            "sub": user.subject(),
            "aud": client_id,
            "azp": client_id,
            "iat": now,
            "exp": now + int(config.token_ttl_s),
            "auth_time": grant.auth_time,
        }
        if grant.nonce is not None:
            id_claims["nonce"] = grant.nonce
        access = secrets.token_urlsafe(32)
        store.access_tokens[access] = (user, now + config.token_ttl_s)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": int(config.token_ttl_s),
                "scope": grant.scope,
                "id_token": jwt.encode(id_claims, key, algorithm="RS256", headers={"kid": kid}),
            },
            headers={"Cache-Control": "no-store"},
        )

    @app.api_route("/userinfo", methods=["GET", "POST"])
    async def userinfo(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        found = store.access_tokens.get(header[7:].strip()) if header.lower().startswith("bearer ") else None
        if found is None or found[1] < time.time():
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        user = found[0]
        return JSONResponse({**user.claims, "sub": user.subject()})

    app.state.store = store
    app.state.config = config
    return app
