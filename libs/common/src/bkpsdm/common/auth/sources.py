"""Where the verifier finds the key for a token: one configured key, a JWKS file or a JWKS URL."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Protocol

import jwt

from bkpsdm.common.auth.errors import AUTH_UNAVAILABLE, TOKEN_INVALID, AuthError
from bkpsdm.common.auth.keys import load_public_key, public_jwk
from bkpsdm.common.logs import get_logger

log = get_logger(__name__)


class KeySource(Protocol):
    # A PyJWK carries its algorithm: PyJWT then refuses any token whose `alg` differs from the
    # key's, which closes algorithm confusion whatever the allow-list says.
    def signing_key(self, key_id: str | None) -> jwt.PyJWK: ...


class StaticKeySource:
    """One key for every token (a PEM public key or an HS256 secret); `kid` is not consulted."""

    def __init__(self, key: jwt.PyJWK) -> None:
        self.key = key

    @classmethod
    def from_public_key_pem(cls, pem: bytes | str) -> StaticKeySource:
        return cls(jwt.PyJWK(public_jwk(load_public_key(pem))))

    @classmethod
    def from_public_key_file(cls, path: Path) -> StaticKeySource:
        return cls.from_public_key_pem(path.read_bytes())

    @classmethod
    def from_hs256_secret(cls, secret: str) -> StaticKeySource:
        k = base64.urlsafe_b64encode(secret.encode()).rstrip(b"=").decode()
        return cls(jwt.PyJWK({"kty": "oct", "k": k}, algorithm="HS256"))

    def signing_key(self, key_id: str | None) -> jwt.PyJWK:
        return self.key

    @property
    def is_symmetric(self) -> bool:
        return self.key.key_type == "oct"


def _pick(keys: list[jwt.PyJWK], key_id: str | None) -> jwt.PyJWK:
    signing = [k for k in keys if k.public_key_use in ("sig", None)]
    if key_id is None and len(signing) == 1:
        return signing[0]  # a single-key set needs no `kid`
    for key in signing:
        if key_id is not None and key.key_id == key_id:
            return key
    raise AuthError(TOKEN_INVALID)


class JwksFileSource:
    def __init__(self, jwks: jwt.PyJWKSet) -> None:
        self.keys = [k for k in jwks.keys if k.key_type != "oct"]  # never a shared secret from a JWKS

    @classmethod
    def from_file(cls, path: Path) -> JwksFileSource:
        return cls(jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8")))

    def signing_key(self, key_id: str | None) -> jwt.PyJWK:
        return _pick(self.keys, key_id)


class JwksUrlSource:
    """The issuer's JWKS endpoint through PyJWKClient: cached for `lifespan_s`, and an unknown
    `kid` refetches at most once per `cooldown_s` (key rotation without a restart)."""

    def __init__(
        self, url: str, *, lifespan_s: float = 300.0, timeout_s: float = 5.0, cooldown_s: float = 30.0
    ):
        self.client = jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=lifespan_s, timeout=timeout_s, cooldown_duration=cooldown_s
        )

    def signing_key(self, key_id: str | None) -> jwt.PyJWK:
        try:
            keys = [k for k in self.client.get_signing_keys() if k.key_type != "oct"]
        except jwt.PyJWTError as exc:
            # The endpoint is down or serves no keys: our side failed, not the caller's token.
            log.warning("auth.jwks_unavailable", error_type=type(exc).__name__, error=str(exc))
            raise AuthError(AUTH_UNAVAILABLE) from exc
        if key_id is None:
            return _pick(keys, None)
        try:
            key = self.client.get_signing_key(key_id)
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("auth.jwks_unavailable", error_type=type(exc).__name__, error=str(exc))
            raise AuthError(AUTH_UNAVAILABLE) from exc
        except jwt.PyJWTError as exc:
            raise AuthError(TOKEN_INVALID) from exc
        if key.key_type == "oct":
            raise AuthError(TOKEN_INVALID)
        return key
