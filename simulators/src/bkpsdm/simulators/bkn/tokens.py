"""Opaque bearer tokens with a lifetime: the gateway's client-credentials token and the SSO user token."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from enum import Enum


class TokenState(Enum):
    VALID = "valid"
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


class TokenIssuer:
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._expires_at: dict[str, float] = {}

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        self._expires_at[token] = self._clock() + self._ttl_s
        return token

    def check(self, token: str | None) -> TokenState:
        if not token:
            return TokenState.MISSING
        expires_at = self._expires_at.get(token)
        if expires_at is None:
            return TokenState.UNKNOWN
        return TokenState.VALID if self._clock() < expires_at else TokenState.EXPIRED


def bearer(header: str | None) -> str | None:
    # SIASN clients send "Authorization: Bearer x" and "Auth: bearer y": the scheme is case-insensitive
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
