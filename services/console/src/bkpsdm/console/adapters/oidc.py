"""The agency's OpenID Connect provider, as a relying party sees it: discovery, the authorization
request (code flow, PKCE S256, state, nonce), the code exchange, and the ID token verified with
the provider's JWKS (signature, iss, aud, exp, nonce). authlib speaks OAuth 2; PyJWT checks tokens."""

from __future__ import annotations

import asyncio
import hmac
import time
import warnings
from collections.abc import Collection
from typing import Any, cast

import httpx
import jwt
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.console.domain import errors

# authlib's httpx client prefers the `httpx2` package and warns (on every start) when it falls
# back to httpx, which is the one installed here and the one it then uses.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )

log = get_logger(__name__)

# Public-key signatures only: never "none", never a secret shared with the provider (HS*).
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_DISCOVERY_TTL_S = 3600.0
_LEEWAY_S = 60  # clocks of the provider and the console drift a little


class OidcProvider:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        scopes: str,
        timeout_s: float,
    ) -> None:
        self._http = http
        self.issuer = issuer.rstrip("/")
        self._client_id, self._client_secret = client_id, client_secret
        self._scopes = scopes
        self._timeout_s = timeout_s
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._jwks: dict[str, jwt.PyJWKClient] = {}

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, cached for an hour; its issuer must be the configured one."""
        if self._metadata is not None and time.monotonic() - self._metadata[0] < _DISCOVERY_TTL_S:
            return self._metadata[1]
        url = f"{self.issuer}/.well-known/openid-configuration"
        try:
            response = await self._http.get(url, timeout=self._timeout_s)
            response.raise_for_status()
            found = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("sso.discovery_failed", error=type(exc).__name__)
            raise DomainError(errors.SSO_UNAVAILABLE) from exc
        needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if (
            not isinstance(found, dict)
            or str(found.get("issuer", "")).rstrip("/") != self.issuer
            or not all(isinstance(found.get(k), str) for k in needed)
        ):
            log.warning(
                "sso.discovery_invalid", issuer=found.get("issuer") if isinstance(found, dict) else None
            )
            raise DomainError(errors.SSO_UNAVAILABLE)
        self._metadata = (time.monotonic(), found)
        return found

    def _client(self, redirect_uri: str) -> Any:
        return AsyncOAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=self._scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self._timeout_s,
        )

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=code_verifier
            )
        return cast(str, url)

    async def claims(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str, wanted: Collection[str]
    ) -> dict[str, Any]:
        """The verified ID token's claims for this code; claims in `wanted` that the ID token
        lacks are taken from userinfo (for the same subject) when the provider has one."""
        meta = await self.metadata()
        try:
            async with self._client(redirect_uri) as client:
                tokens = await client.fetch_token(
                    meta["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except OAuthError as exc:
            log.info("sso.token_refused", error=exc.error)
            raise DomainError(errors.SSO_REFUSED) from exc
        except httpx.HTTPError as exc:
            log.warning("sso.token_failed", error=type(exc).__name__)
            raise DomainError(errors.SSO_UNAVAILABLE) from exc
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise DomainError(errors.SSO_TOKEN_INVALID)
        claims = await self._verified(id_token, meta)
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            log.warning("sso.nonce_mismatch", subject=claims.get("sub"))
            raise DomainError(errors.SSO_NONCE_MISMATCH)
        missing = [c for c in wanted if c.split(".")[0] not in claims]
        access_token = tokens.get("access_token")
        if missing and isinstance(meta.get("userinfo_endpoint"), str) and isinstance(access_token, str):
            extra = await self._userinfo(meta["userinfo_endpoint"], access_token)
            if extra.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: else it is not this person's
                claims = {**extra, **claims}
        return claims

    async def _verified(self, id_token: str, meta: dict[str, Any]) -> dict[str, Any]:
        offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in offered if a in _ALGORITHMS]
        jwks = self._jwks.setdefault(
            meta["jwks_uri"], jwt.PyJWKClient(meta["jwks_uri"], lifespan=300, timeout=int(self._timeout_s))
        )
        try:
            # PyJWKClient fetches with urllib: off the event loop. It refetches on an unknown kid.
            key = await asyncio.to_thread(jwks.get_signing_key_from_jwt, id_token)
        except jwt.PyJWKClientConnectionError as exc:
            raise DomainError(errors.SSO_UNAVAILABLE) from exc
        except jwt.PyJWTError as exc:
            log.warning("sso.id_token_key", error=str(exc))
            raise DomainError(errors.SSO_TOKEN_INVALID) from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=algorithms,
                audience=self._client_id,
                issuer=self.issuer,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            log.warning("sso.id_token_invalid", error=str(exc))
            raise DomainError(errors.SSO_TOKEN_INVALID) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self._client_id:  # OIDC Core 3.1.3.7
            raise DomainError(errors.SSO_TOKEN_INVALID)
        return claims

    async def _userinfo(self, endpoint: str, access_token: str) -> dict[str, Any]:
        try:
            response = await self._http.get(
                endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=self._timeout_s
            )
            response.raise_for_status()
            found = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("sso.userinfo_failed", error=type(exc).__name__)
            raise DomainError(errors.SSO_UNAVAILABLE) from exc
        return found if isinstance(found, dict) else {}
