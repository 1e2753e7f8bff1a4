"""SP4N-LAPOR!'s API as the sync needs it: a client-credentials token, new reports after a
cursor, follow-ups posted with an idempotency key. Every call has a timeout, is retried with
backoff and jitter on transient failures (stamina), and goes through a circuit breaker
(purgatory): while SP4N-LAPOR! is down, calls fail fast and the sync waits for its next turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import stamina
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from bkpsdm.common.logs import get_logger

log = get_logger(__name__)


class LaporUnavailable(Exception):
    """SP4N-LAPOR! did not answer usefully (down, timing out, 5xx, circuit open): try later."""


class LaporRefused(Exception):
    """SP4N-LAPOR! said no to this request (4xx): retrying the same request will not help."""


class _Transient(Exception):
    """A 5xx or 429: worth a retry with backoff."""


@dataclass(frozen=True)
class LaporReport:
    report_id: str
    seq: int
    title: str
    content: str
    category: str
    anonim: bool
    rahasia: bool
    reporter: dict[str, str | None] | None
    created_at: datetime


@dataclass(frozen=True)
class ReportPage:
    reports: list[LaporReport]
    last_seq: int
    has_more: bool


class LaporClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_s: float = 5.0,
        attempts: int = 3,
        breaker_threshold: int = 5,
        breaker_ttl_s: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, transport=transport)
        self._client_id = client_id
        self._client_secret = client_secret
        self._attempts = attempts
        self._token: str | None = None
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=breaker_threshold,
            default_ttl=breaker_ttl_s,
            # A refusal is an answer, not an outage: it must not open the circuit.
            exclude=[LaporRefused],
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def reports_after(self, seq: int, limit: int) -> ReportPage:
        body = await self._call("GET", "/api/v1/reports", params={"after": seq, "limit": limit})
        return ReportPage(
            reports=[
                LaporReport(
                    report_id=str(r["report_id"]),
                    seq=int(r["seq"]),
                    title=str(r.get("title") or ""),
                    content=str(r.get("content") or ""),
                    category=str(r.get("category") or "PENGADUAN"),
                    anonim=bool(r.get("anonim")),
                    rahasia=bool(r.get("rahasia")),
                    reporter=r.get("reporter"),
                    created_at=datetime.fromisoformat(str(r["created_at"])),
                )
                for r in body["reports"]
            ],
            last_seq=int(body["last_seq"]),
            has_more=bool(body.get("has_more")),
        )

    async def post_followup(self, report_id: str, idempotency_key: str, status: str, text: str) -> None:
        await self._call(
            "POST",
            f"/api/v1/reports/{report_id}/followups",
            json={"status": status, "text": text},
            headers={"Idempotency-Key": idempotency_key},
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        breaker = await self._breakers.get_breaker("sp4n-lapor")
        try:
            async with breaker:
                return await self._with_retries(method, path, **kwargs)
        except OpenedState as exc:
            raise LaporUnavailable("circuit open") from exc
        except (_Transient, httpx.TransportError) as exc:
            raise LaporUnavailable(type(exc).__name__) from exc

    async def _with_retries(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async for attempt in stamina.retry_context(
            on=(_Transient, httpx.TransportError),
            attempts=self._attempts,
            wait_initial=0.1,
            wait_max=2.0,
            wait_jitter=0.2,
            timeout=None,
        ):
            with attempt:
                return await self._once(method, path, **kwargs)
        raise AssertionError("unreachable: stamina re-raises the last failure")

    async def _once(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for _ in range(2):  # a token that expired meanwhile is renewed once
            if self._token is None:
                self._token = await self._fetch_token()
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self._token}"}
            response = await self._http.request(method, path, headers=headers, **kwargs)
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            if response.status_code == 401:
                self._token = None
                continue
            return self._body(response)
        raise LaporRefused("token refused twice")

    async def _fetch_token(self) -> str:
        response = await self._http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        return str(self._body(response)["access_token"])

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise LaporRefused(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise _Transient("answer is not JSON") from exc
        if not isinstance(body, dict):
            raise _Transient("answer is not a JSON object")
        return body
