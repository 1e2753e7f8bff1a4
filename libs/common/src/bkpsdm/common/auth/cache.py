"""Tokens verified before, kept until they expire, so a client's next request with the same
token skips the signature check (an ES256 verification costs about 0.3 ms of CPU).

Only successes are kept, keyed by the raw token: a token differing by one character is a
different key and is verified in full. An entry lives until min(exp, kept + max_age_s), so
a key withdrawn from the issuer's JWKS stops working within max_age_s. The cache is bounded:
when full, the oldest quarter of entries goes. Safe to call from worker threads and the
event loop at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bkpsdm.common.auth.roles import Principal

DEFAULT_MAX_AGE_S = 300.0
DEFAULT_MAX_TOKENS = 4096


class VerifiedTokens:
    def __init__(
        self,
        *,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_age_s < 0 or max_tokens < 0:
            raise ValueError("max_age_s and max_tokens must not be negative")
        self.max_age_s = max_age_s
        self.max_tokens = max_tokens
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()  # writers only; a lookup is one dict read

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        """After the verifier accepted `token`, whose `exp` is `expires_at` (epoch seconds)."""
        if self.max_tokens == 0:
            return
        now = self._clock()
        until = min(expires_at, now + self.max_age_s)
        if until <= now:
            return  # accepted within the verifier's leeway only: verify it again next time
        with self._lock:
            if len(self._entries) >= self.max_tokens:
                # Oldest first (dicts keep insertion order); expired ones go with them.
                for stale in list(self._entries)[: self.max_tokens // 4 or 1]:
                    self._entries.pop(stale, None)
            self._entries[token] = (until, principal)
