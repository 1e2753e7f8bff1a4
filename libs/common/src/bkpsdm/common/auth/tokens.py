"""Bearer JWTs: verify one into a Principal, or issue one with a local key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from bkpsdm.common.auth.cache import DEFAULT_MAX_AGE_S, DEFAULT_MAX_TOKENS, VerifiedTokens
from bkpsdm.common.auth.errors import FORBIDDEN_ROLE, TOKEN_EXPIRED, TOKEN_INVALID, AuthError
from bkpsdm.common.auth.keys import algorithm_for, key_id_of, load_private_key
from bkpsdm.common.auth.roles import Principal, Role
from bkpsdm.common.auth.sources import KeySource, StaticKeySource
from bkpsdm.common.logs import get_logger

log = get_logger(__name__)

DEFAULT_ISSUER = "bkpsdm-local"
DEFAULT_AUDIENCE = "bkpsdm"
DEFAULT_ALGORITHMS: tuple[str, ...] = ("ES256", "RS256")
DEFAULT_LEEWAY_S = 30.0
_KNOWN_ROLES = {r.value: r for r in Role}


class TokenVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        leeway_s: float = DEFAULT_LEEWAY_S,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        cache_max_age_s: float = DEFAULT_MAX_AGE_S,
        cache_max_tokens: int = DEFAULT_MAX_TOKENS,  # 0: verify every time
    ) -> None:
        if not algorithms or any(a.lower() == "none" for a in algorithms):
            raise ValueError("algorithms must be a non-empty allow-list without 'none'")
        symmetric = isinstance(keys, StaticKeySource) and keys.is_symmetric
        hmac = {a for a in algorithms if a.upper().startswith("HS")}
        # A shared secret and public-key algorithms never mix: that mix is algorithm confusion.
        if (symmetric and set(algorithms) != {"HS256"}) or (hmac and not symmetric):
            raise ValueError("HS256 is allowed only, and alone, with a configured shared secret")
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s
        self.algorithms = tuple(algorithms)
        self.verified = VerifiedTokens(max_age_s=cache_max_age_s, max_tokens=cache_max_tokens)

    def cached(self, token: str) -> Principal | None:
        """The caller behind `token` if it was verified before and has not expired; never blocks."""
        return self.verified.get(token)

    def verify(self, token: str) -> Principal:
        """The caller behind `token`, or AuthError: TOKEN_EXPIRED, TOKEN_INVALID, FORBIDDEN_ROLE,
        or AUTH_UNAVAILABLE (503) when the JWKS endpoint cannot be reached. A token verified
        before is answered from `verified` until it expires; a refusal is never kept.

        May block on the JWKS endpoint when it is the key source: call it from a worker thread.
        """
        known = self.verified.get(token)
        if known is not None:
            return known
        try:
            header = jwt.get_unverified_header(token)
            key_id = header.get("kid")
            if key_id is not None and not isinstance(key_id, str):
                raise jwt.DecodeError("kid must be a string")
            claims = jwt.decode(
                token,
                self.keys.signing_key(key_id),
                algorithms=list(self.algorithms),
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_s,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as exc:  # forged, wrong issuer or audience, immature, malformed
            expired = isinstance(exc, jwt.ExpiredSignatureError)
            error = TOKEN_EXPIRED if expired else TOKEN_INVALID
            # The reason for operators; never the token or its subject (a NIP, possibly).
            log.info("auth.token_refused", code=error.code, reason=type(exc).__name__, detail=str(exc))
            raise AuthError(error) from exc
        principal = principal_from_claims(claims)
        self.verified.put(token, principal, float(claims["exp"]))
        return principal


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    subject = claims.get("sub")
    name = claims.get("name", subject)
    roles = claims.get("roles")
    unit = claims.get("unit")
    if (
        not isinstance(subject, str)
        or not subject
        or not isinstance(name, str)
        or not isinstance(roles, list)
        or not all(isinstance(r, str) for r in roles)
        or (unit is not None and (not isinstance(unit, str) or not unit))
    ):
        log.info("auth.token_refused", code=TOKEN_INVALID.code, reason="claims_malformed")
        raise AuthError(TOKEN_INVALID)
    # Roles of other applications the issuer may add are not ours to interpret: ignored.
    known = frozenset(_KNOWN_ROLES[r] for r in roles if r in _KNOWN_ROLES)
    if not known:
        log.info("auth.token_refused", code=FORBIDDEN_ROLE.code, reason="no_known_role")
        raise AuthError(FORBIDDEN_ROLE)
    if Role.PERANGKAT_DAERAH in known and unit is None:
        log.info("auth.token_refused", code=TOKEN_INVALID.code, reason="applicant_without_unit")
        raise AuthError(TOKEN_INVALID)
    return Principal(subject=subject, name=name, roles=known, unit=unit)


def issue_token(
    private_key_pem: bytes | str,
    *,
    subject: str,
    name: str,
    roles: Iterable[Role],
    unit: str | None = None,
    ttl: timedelta = timedelta(minutes=60),
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    key_id: str | None = None,
    issued_at: datetime | None = None,
) -> str:
    """A signed token (ES256 for an EC P-256 key, RS256 for RSA); `kid` defaults to the key's
    RFC 7638 thumbprint, the same `kid` that `keygen` writes into the JWKS."""
    role_list = [Role(r).value for r in roles]
    if not role_list:
        raise ValueError("a token needs at least one role")
    if Role.PERANGKAT_DAERAH in role_list and not unit:
        raise ValueError("a perangkat-daerah token needs a unit")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    key = load_private_key(private_key_pem)
    now = issued_at or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "name": name,
        "roles": role_list,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, key, algorithm=algorithm_for(key), headers={"kid": key_id or key_id_of(key)})
