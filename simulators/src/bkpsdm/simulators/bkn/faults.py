"""ASGI wrapper that injects latency, rate limiting and faults before or after the handler runs."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bkpsdm.simulators.bkn.config import FaultConfig, FaultRule
from bkpsdm.simulators.bkn.stats import Stats

RouteClass = Literal["sim", "token", "api", "save", "other"]
TOKEN_PATHS = frozenset(
    {"/oauth2/token", "/sso/token", "/auth/realms/public-siasn/protocol/openid-connect/token"}
)
_RULE_APPLIES: dict[str, frozenset[RouteClass]] = {
    "save": frozenset({"save"}),
    "api": frozenset({"api", "save"}),
    "all": frozenset({"api", "save", "token"}),
}
_5XX_CODES = {
    500: ("INTERNAL_ERROR", "Terjadi kesalahan pada server BKN"),
    502: ("BAD_GATEWAY", "Gateway BKN tidak mendapat jawaban yang sah dari layanan"),
    503: ("SERVICE_UNAVAILABLE", "Layanan BKN sedang tidak tersedia"),
    504: ("GATEWAY_TIMEOUT", "Layanan BKN tidak menjawab tepat waktu"),
}
_HTML_PAGES = {
    200: "<html><head><title>SIASN - Pemeliharaan</title></head><body><h1>Sistem sedang dalam "
    "pemeliharaan</h1><p>Silakan coba beberapa saat lagi.</p></body></html>",
}
_HTML_DEFAULT = (
    "<html><head><title>{status} Error</title></head><body><center><h1>{status} Error</h1></center>"
    "<hr><center>nginx</center></body></html>"
)


def classify(method: str, path: str) -> RouteClass:
    if path.startswith("/sim/"):
        return "sim"
    if path in TOKEN_PATHS:
        return "token"
    if path.startswith("/apisiasn/"):
        return "save" if method == "POST" and path.endswith("/save") else "api"
    return "other"


def backend_error(status: int) -> JSONResponse:
    code, message = _5XX_CODES.get(status, ("BACKEND_ERROR", "Terjadi kesalahan pada layanan BKN"))
    return JSONResponse(
        {"success": False, "code": code, "message": message, "errors": []}, status_code=status
    )


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate = rate
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._updated = clock()

    def take(self) -> float | None:
        """None when a token was taken, else the seconds until one is available."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / self._rate


class FaultInjector:
    def __init__(
        self, config: FaultConfig, stats: Stats, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stats = stats
        self._clock = clock
        self.configure(config)

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        # a new configuration restarts the random stream, the budgets and the bucket: runs are reproducible
        self._config = config
        self._rng = random.Random(config.seed)
        self._remaining = [rule.count for rule in config.rules]
        self._bucket: TokenBucket | None = None
        if config.rate_limit_rps is not None:
            burst = config.rate_limit_burst or max(1, math.ceil(config.rate_limit_rps))
            self._bucket = TokenBucket(config.rate_limit_rps, burst, self._clock)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            route = classify(scope["method"], scope["path"])
            if route == "sim":
                await app(scope, receive, send)
                return
            await self._handle(app, route, scope, receive, send)

        return asgi

    async def _handle(
        self, app: ASGIApp, route: RouteClass, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self._stats.requests += 1
        if route == "token":
            self._stats.token_requests += 1
        elif route in ("api", "save"):
            self._stats.api_requests += 1
            if self._bucket is not None and (wait := self._bucket.take()) is not None:
                self._stats.rate_limited += 1
                await self._throttled(wait)(scope, receive, send)
                return
        rule, status = self._decide(route)
        delay = self._latency_s()
        if delay > 0:
            await asyncio.sleep(delay)
        if rule is None:
            await app(scope, receive, send)
            return
        self._stats.faults[(rule.kind, rule.phase)] += 1
        if rule.phase == "before":
            await self._inject(rule, status, None, scope, receive, send)
            return
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await app(scope, receive, capture)
        await self._inject(rule, status, captured, scope, receive, send)

    def _decide(self, route: RouteClass) -> tuple[FaultRule | None, int]:
        if route == "other":
            return None, 0
        chosen: FaultRule | None = None
        for i, rule in enumerate(self._config.rules):
            # draw for every rule so one rule's budget running out does not shift the others' stream
            fires = self._rng.random() < rule.rate
            if chosen is None and fires and route in _RULE_APPLIES[rule.scope] and self._remaining[i] != 0:
                chosen = rule
                remaining = self._remaining[i]
                if remaining is not None:
                    self._remaining[i] = remaining - 1
        if chosen is None or chosen.kind not in ("error_5xx", "non_json"):
            return chosen, 0
        return chosen, self._rng.choice(chosen.status_choices())

    def _latency_s(self) -> float:
        jitter = (
            self._rng.uniform(0.0, self._config.latency_jitter_ms) if self._config.latency_jitter_ms else 0.0
        )
        return (self._config.latency_ms + jitter) / 1000.0

    @staticmethod
    def _throttled(wait_s: float, retry_after: int | None = None) -> JSONResponse:
        retry_after = max(1, math.ceil(wait_s)) if retry_after is None else retry_after
        next_access = datetime.now(UTC) + timedelta(seconds=wait_s)
        body = {
            "fault": {
                "code": 900800,
                "message": "Message throttled out",
                "description": "You have exceeded your quota",
                "nextAccessTime": next_access.isoformat(),
            }
        }
        return JSONResponse(body, status_code=429, headers={"Retry-After": str(retry_after)})

    async def _inject(
        self,
        rule: FaultRule,
        status: int,
        captured: list[Message] | None,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if rule.kind == "error_5xx":
            await backend_error(status)(scope, receive, send)
        elif rule.kind == "non_json":
            page = _HTML_PAGES.get(status, _HTML_DEFAULT.format(status=status))
            await HTMLResponse(page, status_code=status)(scope, receive, send)
        elif rule.kind == "throttle":
            await self._throttled(rule.retry_after_s, rule.retry_after_s)(scope, receive, send)
        elif rule.kind == "timeout":
            await asyncio.sleep(rule.delay_s)
            if captured is None:
                await backend_error(504)(scope, receive, send)
            else:
                for message in captured:
                    await send(message)
        else:
            await _drop_connection(receive, send)


async def _drop_connection(receive: Receive, send: Send) -> None:
    # uvicorn's send is a bound method of the request cycle, which holds the connection's transport:
    # closing it before any byte is written is what a crashed or cut-off backend looks like.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if isinstance(transport, asyncio.BaseTransport):
        transport.close()
        # wait until the server has seen the close, so it does not try to answer with a 500
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                while (await receive())["type"] != "http.disconnect":
                    pass
        return
    # another server: break the answer off after its status line, the nearest thing without the socket
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("simulated dropped connection")
