"""Per-client rate limit of the public endpoints (no sign-in there): a leaky bucket per client
address (aiolimiter), answered 429 with Retry-After once it is full.

Kept in the process: each replica limits on its own, and behind a reverse proxy the client
address is the proxy's unless the server is told to trust its forwarded headers."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from aiolimiter import AsyncLimiter
from fastapi import Request

from bkpsdm.common.http import ApiError, ErrorCode

RATE_LIMITED = ErrorCode(
    "RATE_LIMITED", "Terlalu banyak permintaan dari alamat Anda; silakan coba lagi sebentar lagi.", 429
)


class RateLimited(ApiError):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(RATE_LIMITED)
        self.headers = {"Retry-After": str(retry_after_s)}


class ClientRateLimiter:
    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 10_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, AsyncLimiter] = OrderedDict()

    def reconfigure(self, rate_per_s: float, burst: int) -> None:
        """New limits for every client from now on (operators' tuning, the benchmark)."""
        self.rate_per_s, self.burst = rate_per_s, burst
        self._buckets.clear()

    async def take(self, client: str) -> None:
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = AsyncLimiter(self.burst, self.burst / self.rate_per_s)
            if len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)  # the longest unseen client starts afresh
        else:
            self._buckets.move_to_end(client)
        if not bucket.has_capacity():
            raise RateLimited(max(1, math.ceil(1 / self.rate_per_s)))
        await bucket.acquire()  # does not wait: there is capacity

    def dependency(self) -> Callable[..., Any]:
        async def limited(request: Request) -> None:
            await self.take(request.client.host if request.client else "unknown")

        return limited
