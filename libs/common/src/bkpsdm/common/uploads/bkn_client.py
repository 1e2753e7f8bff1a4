"""A client for BKN's API gateway that keeps going through BKN's bad days.

Every call: a slot of the bounded concurrency, the circuit breaker (purgatory: after
`breaker_threshold` failures in a row calls stop for `breaker_ttl_s`, then one try decides),
both tokens (renewed before they expire, and at once when BKN says 401), the rate limiter
(aiolimiter, at or under BKN's quota), a timeout. Retries (stamina): exponential backoff with
jitter for 5xx, timeouts, dropped connections and answers that are not the expected JSON;
a 429's Retry-After is honoured as the wait; an open circuit waits until it half-opens.
Saves carry an Idempotency-Key, so a retry of a save BKN did store is a replay, never a second
record. BKN's refusal of a record (400/409/422) is the row's answer, never retried; a failure
that outlasts the retries is the row's answer too. Nothing here raises for a row.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import stamina
from aiolimiter import AsyncLimiter
from prometheus_client import Gauge
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OPENED, OpenedState

from bkpsdm.common.logs import get_logger
from bkpsdm.common.uploads.model import Reason, RowResult, RowState

log = get_logger(__name__)
T = TypeVar("T")
CIRCUIT = "bkn"
CIRCUIT_OPEN = Gauge("bkpsdm_bkn_circuit_open", "1 while the circuit breaker is open", ["circuit"])
CIRCUIT_OPEN.labels(CIRCUIT)  # on /metrics from the start, at 0 (closed)


@dataclass(frozen=True)
class BknCredentials:
    consumer_key: str
    consumer_secret: str
    sso_client_id: str
    sso_username: str
    sso_password: str
    gateway_token_path: str = "/oauth2/token"
    sso_token_path: str = "/sso/token"


@dataclass(frozen=True)
class Resilience:
    timeout_s: float = 10.0
    concurrency: int = 8
    rate_limit_rps: float | None = 10.0  # None: no limiter
    rate_limit_burst: int = 5
    attempts: int = 8
    wait_initial_s: float = 0.2
    wait_max_s: float = 10.0
    wait_jitter_s: float = 0.5
    retry_timeout_s: float = 120.0  # a row's retries stop after this long in all
    breaker_threshold: int = 10
    breaker_ttl_s: float = 15.0
    token_renew_margin_s: float = 30.0
    max_retry_after_s: float = 60.0


class _Retry(Exception):
    """A failure a later attempt may get past."""

    def __init__(self, reason: Reason, retry_after: float | None = None) -> None:
        super().__init__(reason.code)
        self.reason = reason
        self.retry_after = retry_after


class _Throttled(_Retry):
    """429: we were early, BKN is fine (not a failure for the breaker)."""


class _TokenRefused(_Retry):
    """401: a token expired or was revoked; renewed before the next try (not a breaker failure)."""


class _Fatal(Exception):
    """No retry can help (our credentials are refused): the row's answer now."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


def _reason(code: str, message: str) -> Reason:
    return Reason(code, message)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@dataclass
class _Token:
    value: str
    renew_at: float


class _Tokens:
    """The gateway's client-credentials token and the SSO user token, renewed before expiry."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: BknCredentials,
        margin_s: float,
        clock: Callable[[], float],
    ) -> None:
        self._http = http
        self._cred = credentials
        self._margin_s = margin_s
        self._clock = clock
        self._gateway: _Token | None = None
        self._sso: _Token | None = None
        self._lock = asyncio.Lock()
        self.renewals = 0

    def _fresh(self, token: _Token | None) -> bool:
        return token is not None and self._clock() < token.renew_at

    async def headers(self) -> dict[str, str]:
        if not (self._fresh(self._gateway) and self._fresh(self._sso)):
            async with self._lock:  # one renewal at a time; the others wait and reuse it
                if not self._fresh(self._gateway):
                    self._gateway = await self._fetch(
                        self._cred.gateway_token_path,
                        {"grant_type": "client_credentials"},
                        (self._cred.consumer_key, self._cred.consumer_secret),
                    )
                if not self._fresh(self._sso):
                    self._sso = await self._fetch(
                        self._cred.sso_token_path,
                        {
                            "grant_type": "password",
                            "client_id": self._cred.sso_client_id,
                            "username": self._cred.sso_username,
                            "password": self._cred.sso_password,
                        },
                        None,
                    )
        assert self._gateway is not None
        assert self._sso is not None
        return {"Authorization": f"Bearer {self._gateway.value}", "Auth": f"bearer {self._sso.value}"}

    def refused(self, sent: dict[str, str], body: Any) -> None:
        """BKN answered 401 to `sent`: drop the token it refused (unless already renewed)."""
        gateway = isinstance(body, dict) and "fault" in body
        token, current = (
            (sent.get("Authorization", ""), self._gateway) if gateway else (sent.get("Auth", ""), self._sso)
        )
        if current is not None and token.endswith(current.value):
            if gateway:
                self._gateway = None
            else:
                self._sso = None

    async def _fetch(self, path: str, form: dict[str, str], auth: tuple[str, str] | None) -> _Token:
        try:
            if auth is None:
                response = await self._http.post(path, data=form)
            else:
                response = await self._http.post(path, data=form, auth=auth)
        except httpx.HTTPError:
            raise _Retry(
                _reason("BKN_TOKEN_UNAVAILABLE", "Layanan token BKN tidak dapat dihubungi")
            ) from None
        body = _json(response)
        if response.status_code in (400, 401):
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise _Fatal(
                _reason(
                    "BKN_CREDENTIALS_REFUSED", f"Kredensial BKN ditolak ({error or response.status_code})"
                )
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise _Retry(
                _reason(
                    "BKN_TOKEN_UNAVAILABLE",
                    f"Layanan token BKN tidak memberi token (HTTP {response.status_code})",
                )
            )
        expires_in = body.get("expires_in")
        ttl = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 300.0
        self.renewals += 1
        # Renew a little early; with a very short lifetime, at four fifths of it.
        return _Token(token, self._clock() + ttl - min(self._margin_s, ttl / 5))


class BknClient:
    def __init__(
        self,
        base_url: str,
        credentials: BknCredentials,
        policy: Resilience,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(policy.timeout_s),
            limits=httpx.Limits(
                max_connections=policy.concurrency + 2, max_keepalive_connections=policy.concurrency + 2
            ),
            transport=transport,
        )
        self._tokens = _Tokens(self._http, credentials, policy.token_renew_margin_s, clock)
        self._slots = asyncio.Semaphore(policy.concurrency)
        rps = policy.rate_limit_rps
        # A leaky bucket of `burst` drained at `rps`: never faster than the quota, even in bursts.
        self._limiter = AsyncLimiter(policy.rate_limit_burst, policy.rate_limit_burst / rps) if rps else None
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=policy.breaker_threshold,
            default_ttl=policy.breaker_ttl_s,
            exclude=[_Throttled, _TokenRefused, _Fatal],
        )
        self._breakers.add_listener(self._on_breaker)
        self.counts: Counter[str] = Counter()

    @property
    def token_renewals(self) -> int:
        return self._tokens.renewals

    def _on_breaker(self, name: str, event_name: str, event: Any) -> None:
        if event_name == "state_changed":
            state = getattr(event, "state", None)
            # Half-opened counts as closed: it lasts one trial call, then opens or closes again.
            CIRCUIT_OPEN.labels(name).set(1 if state == OPENED else 0)
            log.warning("bkn.circuit_changed", circuit=name, state=state)

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- the two calls ----

    async def save(self, path: str, body: dict[str, Any], idempotency_key: str) -> RowResult:
        """Save one record; the answer is the row's result (stored, rejected or failed)."""
        headers = {"Idempotency-Key": idempotency_key}
        result, reason, attempts = await self._retrying(
            lambda: self._request("POST", path, self._save_result, json=body, headers=headers)
        )
        if result is not None:
            return RowResult(result.state, result.bkn_id, result.replayed, result.reasons, attempts)
        assert reason is not None
        return RowResult(RowState.FAILED, reasons=(reason,), attempts=attempts)

    async def get_data(self, path: str) -> list[Any] | None:
        """A reference list (`{"success": true, "data": [...]}`); None when BKN cannot give it."""
        data, _, _ = await self._retrying(lambda: self._request("GET", path, self._data_result))
        return data

    # ---- one attempt ----

    async def _request(
        self, method: str, path: str, classify: Callable[[httpx.Response], T], **kwargs: Any
    ) -> T:
        extra: dict[str, str] = kwargs.pop("headers", {})
        breaker = await self._breakers.get_breaker(CIRCUIT)
        async with self._slots, breaker:
            sent = {**extra, **await self._tokens.headers()}
            if self._limiter is not None:
                await self._limiter.acquire()
            self.counts["requests"] += 1
            try:
                response = await self._http.request(method, path, headers=sent, **kwargs)
            except httpx.TimeoutException:
                raise _Retry(
                    _reason("BKN_TIMEOUT", f"BKN tidak menjawab dalam {self.policy.timeout_s:g} detik")
                ) from None
            except httpx.TransportError:
                raise _Retry(_reason("BKN_CONNECTION_LOST", "Sambungan ke BKN terputus")) from None
            status = response.status_code
            self.counts[f"status_{status}"] += 1
            if status == 401:
                self._tokens.refused(sent, _json(response))
                raise _TokenRefused(_reason("BKN_TOKEN_REFUSED", "Token akses BKN ditolak"))
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if status == 429:
                raise _Throttled(
                    _reason("BKN_THROTTLED", "BKN membatasi laju permintaan (HTTP 429)"),
                    wait if wait else 0.0,
                )
            if status >= 500 or status == 408:
                raise _Retry(_reason("BKN_UNAVAILABLE", f"Layanan BKN sedang gangguan (HTTP {status})"), wait)
            return classify(response)

    @staticmethod
    def _save_result(response: httpx.Response) -> RowResult:
        status, body = response.status_code, _json(response)
        if 200 <= status < 300:
            if isinstance(body, dict) and body.get("success") is True:
                map_data = body.get("mapData")
                bkn_id = map_data.get("id") if isinstance(map_data, dict) else None
                replayed = response.headers.get("Idempotent-Replayed", "").casefold() == "true"
                return RowResult(RowState.STORED, str(bkn_id) if bkn_id else None, replayed)
            raise _Retry(_reason("BKN_ANSWER_UNEXPECTED", "Jawaban BKN bukan JSON yang diharapkan"))
        if status in (400, 409, 422):
            if not isinstance(body, dict):
                raise _Retry(_reason("BKN_ANSWER_UNEXPECTED", "Jawaban BKN bukan JSON yang diharapkan"))
            return RowResult(RowState.REJECTED, reasons=_refusal(body))
        return RowResult(
            RowState.FAILED, reasons=(_reason(f"BKN_HTTP_{status}", f"BKN menjawab HTTP {status}"),)
        )

    @staticmethod
    def _data_result(response: httpx.Response) -> list[Any]:
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("data"), list):
            return list(body["data"])
        raise _Retry(_reason("BKN_ANSWER_UNEXPECTED", "Jawaban BKN bukan JSON yang diharapkan"))

    # ---- retries ----

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, _TokenRefused):
            return 0.0
        if isinstance(exc, _Retry):
            self.counts["retries"] += 1
            if exc.retry_after is not None:  # BKN said how long: wait that, plus a little jitter
                return min(exc.retry_after, self.policy.max_retry_after_s) + random.uniform(0, 0.05)
            return True
        if isinstance(exc, OpenedState):
            self.counts["circuit_open"] += 1
            return max(0.05, exc.opened_at + self.policy.breaker_ttl_s - time.time())
        return False

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> tuple[T | None, Reason | None, int]:
        attempts = 0
        p = self.policy
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=p.attempts,
                timeout=p.retry_timeout_s,
                wait_initial=p.wait_initial_s,
                wait_max=p.wait_max_s,
                wait_jitter=p.wait_jitter_s,
            ):
                with attempt:
                    attempts += 1
                    return await call(), None, attempts
        except _Retry as exc:
            return None, _after(exc.reason, attempts), attempts
        except OpenedState:
            reason = _reason(
                "BKN_CIRCUIT_OPEN", "Pengiriman ke BKN dihentikan sementara karena gangguan berulang"
            )
            return None, _after(reason, attempts), attempts
        except _Fatal as exc:
            return None, exc.reason, attempts
        raise AssertionError("stamina yields until an attempt succeeds or raises")


def _after(reason: Reason, attempts: int) -> Reason:
    return Reason(reason.code, f"{reason.message} (setelah {attempts} kali percobaan)", reason.field)


def _refusal(body: dict[str, Any]) -> tuple[Reason, ...]:
    errors = body.get("errors")
    found = tuple(
        Reason(
            str(e.get("code") or "BKN_INVALID"), str(e.get("message") or "Data tidak valid"), e.get("field")
        )
        for e in errors or ()
        if isinstance(e, dict)
    )
    if found:
        return found
    return (Reason(str(body.get("code") or "BKN_REJECTED"), str(body.get("message") or "Data ditolak BKN")),)
