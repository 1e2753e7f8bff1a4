"""FastAPI app shaped like BKN's API gateway: token endpoints, SKP and IP-ASN saves, references, /sim."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from bkpsdm.simulators._http import install_allow_header, response
from bkpsdm.simulators.bkn import openapi as doc
from bkpsdm.simulators.bkn.config import BknSimConfig, FaultConfig
from bkpsdm.simulators.bkn.faults import FaultInjector
from bkpsdm.simulators.bkn.stats import Stats
from bkpsdm.simulators.bkn.store import IdempotencyEntry, Kind, RecordStore, fingerprint
from bkpsdm.simulators.bkn.tokens import TokenIssuer, TokenState, bearer
from bkpsdm.simulators.bkn.validation import (
    FieldError,
    ReferenceIds,
    validate_ipasn,
    validate_skp,
    validate_skp_pp46,
)

API_PREFIX = "/apisiasn/1.0"
SSO_KEYCLOAK_PATH = "/auth/realms/public-siasn/protocol/openid-connect/token"

_GATEWAY_FAULTS = {
    TokenState.MISSING: (
        900902,
        "Missing Credentials",
        "Invalid Credentials. Make sure your API invocation call has a header: 'Authorization : Bearer ACCESS_TOKEN'",
    ),
    TokenState.UNKNOWN: (
        900901,
        "Invalid Credentials",
        "Invalid Credentials. Make sure you have provided the correct security credentials",
    ),
    TokenState.EXPIRED: (900901, "Invalid Credentials", "Access token expired"),
}
_SSO_ERRORS = {
    TokenState.MISSING: ("SSO_TOKEN_MISSING", "Token SSO (header Auth) tidak ada"),
    TokenState.UNKNOWN: ("SSO_TOKEN_INVALID", "Token SSO tidak valid"),
    TokenState.EXPIRED: ("SSO_TOKEN_EXPIRED", "Token SSO sudah kedaluwarsa, silakan login ulang"),
}


class GatewayError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers


def bkn_error(status: int, code: str, message: str, errors: list[FieldError] | None = None) -> GatewayError:
    body = {"success": False, "code": code, "message": message, "errors": [e.as_dict() for e in errors or []]}
    return GatewayError(status, body)


@dataclass
class _Simulator:
    config: BknSimConfig
    gateway_tokens: TokenIssuer
    sso_tokens: TokenIssuer
    store: RecordStore
    stats: Stats
    faults: FaultInjector
    ids: ReferenceIds


class _BknApp(FastAPI):
    fault_injector: FaultInjector | None = None

    def build_middleware_stack(self) -> ASGIApp:
        # outermost, so a dropped connection reaches the server's own send and transport
        stack = super().build_middleware_stack()
        return self.fault_injector.wrap(stack) if self.fault_injector is not None else stack


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def _basic(header: str | None) -> tuple[str, str] | None:
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def create_app(config: BknSimConfig | None = None) -> FastAPI:
    config = config or BknSimConfig()
    stats = Stats()
    sim = _Simulator(
        config=config,
        gateway_tokens=TokenIssuer(config.gateway_token_ttl_s),
        sso_tokens=TokenIssuer(config.sso_token_ttl_s),
        store=RecordStore(),
        stats=stats,
        faults=FaultInjector(config.faults, stats),
        ids=ReferenceIds(
            unor=frozenset(u.id for u in config.unor),
            jabatan=frozenset(j.id for j in config.jabatan),
            pendidikan=frozenset(p.id for p in config.tingkat_pendidikan),
        ),
    )
    app = _BknApp(title="BKN API gateway simulator", docs_url=None, redoc_url=None)
    app.fault_injector = sim.faults
    install_allow_header(app)

    @app.exception_handler(GatewayError)
    async def _gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    _token_routes(app, sim)
    app.include_router(_api_router(sim))
    _sim_routes(app, sim)
    return app


def _token_routes(app: FastAPI, sim: _Simulator) -> None:
    @app.post(
        "/oauth2/token",
        responses=doc.faultable(
            {
                200: response(doc.TokenOut, "Token gateway (client credentials)"),
                400: doc.OAUTH_400,
                401: response(doc.OAuthErrorOut, "HTTP Basic consumer key:secret salah atau tidak ada"),
            }
        ),
        openapi_extra=doc.form(["grant_type"], "client_credentials", []),
    )
    async def gateway_token(request: Request) -> JSONResponse:
        if _basic(request.headers.get("authorization")) != (
            sim.config.consumer_key,
            sim.config.consumer_secret,
        ):
            return _oauth_error(401, "invalid_client", "Client Authentication failed.")
        if _form(await request.body()).get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type value")
        issuer = sim.gateway_tokens
        return JSONResponse(
            {
                "access_token": issuer.issue(),
                "scope": "default",
                "token_type": "Bearer",
                "expires_in": math.ceil(issuer.ttl_s),
            }
        )

    # the brief's short path and the Keycloak path SIASN's SSO really uses
    sso_doc: dict[str, Any] = {
        "responses": doc.faultable(
            {
                200: response(doc.SsoTokenOut, "Token SSO pengguna (password grant)"),
                400: doc.OAUTH_400,
                401: doc.OAUTH_401,
            }
        ),
        "openapi_extra": doc.form(
            ["grant_type", "client_id", "username", "password"],
            "password",
            ["client_id", "username", "password"],
        ),
    }

    @app.post("/sso/token", **sso_doc)
    @app.post(SSO_KEYCLOAK_PATH, **sso_doc)
    async def sso_token(request: Request) -> JSONResponse:
        form = _form(await request.body())
        if form.get("grant_type") != "password":
            return _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
        if form.get("client_id") != sim.config.sso_client_id:
            return _oauth_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        username = form.get("username", "")
        if username not in sim.config.sso_users or sim.config.sso_users[username] != form.get("password"):
            return _oauth_error(401, "invalid_grant", "Invalid user credentials")
        issuer = sim.sso_tokens
        return JSONResponse(
            {
                "access_token": issuer.issue(),
                "expires_in": math.ceil(issuer.ttl_s),
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email",
            }
        )


def _api_router(sim: _Simulator) -> APIRouter:
    async def require_tokens(request: Request) -> None:
        gateway = sim.gateway_tokens.check(bearer(request.headers.get("authorization")))
        if gateway is not TokenState.VALID:
            sim.stats.auth_failures += 1
            code, message, description = _GATEWAY_FAULTS[gateway]
            challenge = (
                f'OAuth2 realm="WSO2 API Manager", error="invalid_token", error_description="{description}"'
            )
            raise GatewayError(
                401,
                {"fault": {"code": code, "message": message, "description": description}},
                {"WWW-Authenticate": challenge},
            )
        sso = sim.sso_tokens.check(bearer(request.headers.get("auth")))
        if sso is not TokenState.VALID:
            sim.stats.auth_failures += 1
            raise bkn_error(401, *_SSO_ERRORS[sso])

    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(require_tokens)])

    max_tahun = date.today().year  # the schema is built once; a simulator does not run across new year

    @router.post("/skp22/save", responses=doc.SAVE_ANSWERS, openapi_extra=doc.skp_body(sim.config, max_tahun))
    async def save_skp(request: Request) -> JSONResponse:
        return await _save(sim, request, "skp")

    @router.post(
        "/skp/save", responses=doc.SAVE_ANSWERS, openapi_extra=doc.skp_pp46_body(sim.config, max_tahun)
    )
    async def save_skp_pp46(request: Request) -> JSONResponse:
        return await _save(sim, request, "skp-pp46")

    @router.post(
        "/ipasn/save", responses=doc.SAVE_ANSWERS, openapi_extra=doc.ipasn_body(sim.config, max_tahun)
    )
    async def save_ipasn(request: Request) -> JSONResponse:
        return await _save(sim, request, "ipasn")

    @router.get("/pns/rw-skp22/{nip}", responses=doc.READ_ANSWERS)
    async def skp_history(nip: str) -> dict[str, Any]:
        return _history(sim, "skp", nip)

    @router.get("/pns/rw-skp/{nip}", responses=doc.READ_ANSWERS)
    async def skp_pp46_history(nip: str) -> dict[str, Any]:
        return _history(sim, "skp-pp46", nip)

    @router.get("/pns/rw-ipasn/{nip}", responses=doc.READ_ANSWERS)
    async def ipasn_history(nip: str) -> dict[str, Any]:
        return _history(sim, "ipasn", nip)

    @router.get("/referensi/ref-unor", responses=doc.READ_ANSWERS)
    async def ref_unor() -> dict[str, Any]:
        return {"success": True, "message": "OK", "data": [u.model_dump() for u in sim.config.unor]}

    @router.get("/referensi/ref-jabatan", responses=doc.READ_ANSWERS)
    async def ref_jabatan() -> dict[str, Any]:
        return {"success": True, "message": "OK", "data": [j.model_dump() for j in sim.config.jabatan]}

    @router.get("/referensi/ref-tingkat-pendidikan", responses=doc.READ_ANSWERS)
    async def ref_pendidikan() -> dict[str, Any]:
        return {
            "success": True,
            "message": "OK",
            "data": [p.model_dump() for p in sim.config.tingkat_pendidikan],
        }

    return router


async def _save(sim: _Simulator, request: Request, kind: Kind) -> JSONResponse:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise bkn_error(400, "BAD_REQUEST", "Isi permintaan harus objek JSON")
    key = request.headers.get("idempotency-key") or None
    digest = fingerprint(request.url.path, body)
    if key is not None and (entry := sim.store.idempotency(key)) is not None:
        if entry.fingerprint != digest:
            entry.conflicts += 1
            sim.stats.idempotency_conflicts += 1
            raise bkn_error(
                409,
                "IDEMPOTENCY_KEY_REUSED",
                "Idempotency-Key sudah dipakai untuk permintaan dengan isi berbeda",
            )
        entry.replays += 1
        sim.stats.idempotent_replays += 1
        return JSONResponse(entry.response, status_code=entry.status, headers={"Idempotent-Replayed": "true"})

    max_tahun = date.today().year
    if kind == "skp":
        skp, errors = validate_skp(body, sim.ids, sim.config.skp_min_tahun, max_tahun)
        natural_key = f"{skp.nip}/{skp.tahun}" if skp is not None else ""
    elif kind == "skp-pp46":
        old, errors = validate_skp_pp46(body, sim.ids, sim.config.skp_pp46_min_tahun, max_tahun)
        natural_key = f"{old.nip}/{old.tahun}" if old is not None else ""
    else:
        ipasn, errors = validate_ipasn(body, sim.ids, sim.config.ipasn_min_tahun, max_tahun)
        natural_key = f"{ipasn.nip}/{ipasn.periode}" if ipasn is not None else ""
    if errors:
        sim.stats.validation_failures += 1
        raise bkn_error(422, "VALIDATION_FAILED", "Data tidak valid", errors)

    record = sim.store.upsert(kind, natural_key, body, key)
    sim.stats.writes += 1
    response = {"success": True, "message": "Data berhasil disimpan", "mapData": {"id": record.id}}
    if key is not None:
        sim.store.remember(key, IdempotencyEntry(kind, natural_key, digest, 200, response))
    return JSONResponse(response)


def _history(sim: _Simulator, kind: Kind, nip: str) -> dict[str, Any]:
    data = [{**r.body, "id": r.id} for r in sim.store.by_nip(kind, nip)]
    return {"success": True, "message": "OK", "data": data}


def _sim_routes(app: FastAPI, sim: _Simulator) -> None:
    @app.get("/sim/records", responses={200: response(doc.RecordsOut, "Rekaman tersimpan per jenis")})
    async def records(kind: Kind) -> dict[str, Any]:
        stored = sim.store.records(kind)
        return {
            "kind": kind,
            "count": len(stored),
            "total_writes": sum(r.writes for r in stored),
            "records": [r.as_dict() for r in stored],
            "idempotency_keys": {k: e.as_dict() for k, e in sim.store.keys(kind).items()},
        }

    @app.delete("/sim/records", responses={200: response(doc.ResetOut, "Semua rekaman dan kunci dihapus")})
    async def reset_records() -> dict[str, Any]:
        sim.store.reset()
        return {"success": True}

    @app.get("/sim/stats", responses={200: response(doc.StatsOut, "Penghitung")})
    async def stats() -> dict[str, Any]:
        return sim.stats.as_dict()

    @app.delete("/sim/stats", responses={200: response(doc.ResetOut, "Penghitung kembali nol")})
    async def reset_stats() -> dict[str, Any]:
        sim.stats.reset()
        return {"success": True}

    # Not in the OpenAPI schema: PUT switches on the faults whose whole purpose is to fail or stall
    # the API, so a fuzzer calling it would be testing the failures it switched on (see README).
    @app.get("/sim/faults", include_in_schema=False)
    async def faults() -> FaultConfig:
        return sim.faults.config

    @app.put("/sim/faults", include_in_schema=False)
    async def set_faults(new: FaultConfig) -> FaultConfig:
        sim.faults.configure(new)
        return new
