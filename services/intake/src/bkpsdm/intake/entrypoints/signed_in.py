"""Sign-in for intake's routes without a worker thread per request.

libs/common's dependencies are plain functions, which FastAPI runs in its thread pool: two
thread hops (0.1 to 0.3 ms each, measured idle) and an ES256 verification (0.3 ms) for every
request, competing with the event loop for the GIL. Here a token the
runtime's verifier accepted is kept, keyed by the raw token, until it expires (at most
`MAX_AGE_S`, the JWKS cache's lifespan, so a withdrawn key stops working as soon as there);
a client sending it again is checked with a dict lookup on the event loop. A token not seen
yet is still verified by libs/common's dependency, in a thread (a JWKS fetch may block), and
libs/common's role check decides the rest.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's signature at runtime.
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt

from bkpsdm.common.auth import Principal, Role
from bkpsdm.common.auth.fastapi import Credentials
from bkpsdm.common.runtime import ServiceRuntime

MAX_AGE_S = 300.0
MAX_TOKENS = 4096


class VerifiedTokens:
    """Principals of tokens verified before, until min(exp, verified + max_age_s)."""

    def __init__(
        self,
        *,
        max_age_s: float = MAX_AGE_S,
        max_tokens: int = MAX_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._max_age_s = max_age_s
        self._max_tokens = max_tokens
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[token]
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        """After the verifier accepted `token` (its claims are trusted from then on)."""
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        now = self._clock()
        until = min(float(claims["exp"]), now + self._max_age_s)
        if until <= now:
            return  # accepted within the verifier's leeway only: verify it again next time
        if len(self._entries) >= self._max_tokens:
            # Oldest first (dicts keep insertion order); expired ones go with them.
            for stale in list(self._entries)[: self._max_tokens // 4 or 1]:
                del self._entries[stale]
        self._entries[token] = (until, principal)


def signed_in(
    runtime: ServiceRuntime, tokens: VerifiedTokens, *roles: Role
) -> Callable[..., Awaitable[Principal]]:
    """The route dependency: the signed-in caller holding one of `roles` (as runtime.require)."""
    verify = runtime.principal()  # the caller behind a token, or AuthError; may block
    check_role = runtime.require(*roles)  # the principal, or AuthError(FORBIDDEN_ROLE)

    async def principal_with_role(credentials: Credentials) -> Principal:
        principal = tokens.get(credentials.credentials) if credentials is not None else None
        if principal is None:
            principal = await asyncio.to_thread(verify, credentials)
            assert credentials is not None  # verify refused a missing token
            tokens.put(credentials.credentials, principal)
        return check_role(principal)

    return principal_with_role
