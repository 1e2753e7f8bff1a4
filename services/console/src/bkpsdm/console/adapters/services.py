"""HTTP clients for the services behind the console: one thin class per service, one method per
route it uses, so a changed route is a one-line change here. Every call carries the signed-in
person's token; a refusal comes back as the service said it (code, Indonesian message, details)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bkpsdm.common.http import CORRELATION_HTTP_HEADER
from bkpsdm.common.logs import current_correlation_id, get_logger
from bkpsdm.console.domain import errors
from bkpsdm.console.domain.forms import Refusal

log = get_logger(__name__)

Files = Sequence[tuple[str, tuple[str, bytes, str]]]


class ServiceRefused(Exception):
    def __init__(self, service: str, refusal: Refusal) -> None:
        super().__init__(f"{service}: {refusal.status} {refusal.code}")
        self.service = service
        self.refusal = refusal


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    disposition: str | None


def _unreachable(service: str, exc: Exception) -> ServiceRefused:
    log.warning("service.unreachable", service=service, error=type(exc).__name__)
    spec = errors.SERVICE_UNREACHABLE
    return ServiceRefused(service, Refusal(503, spec.code, spec.message, {"service": service}))


class ServiceApi:
    name = ""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._figures = _Cached(ttl_s=60.0)  # published aggregates: a minute old is fresh enough

    async def _published_figures(self, path: str, year: int) -> Any:
        """A public statistics answer (no token) for `year`, cached briefly."""
        key = f"{path}?year={year}"
        found = self._figures.get(key)
        if found is None:
            found = self._figures.put(key, await self._json("GET", path, params={"year": year}))
        return found

    async def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if (cid := current_correlation_id()) is not None:
            headers[CORRELATION_HTTP_HEADER] = cid
        try:
            response = await self._http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise _unreachable(self.name, exc) from exc
        if response.is_success:
            return response
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            refusal = Refusal(
                response.status_code, body["code"], str(body.get("message", "")), body.get("details")
            )
        elif response.status_code >= 500:
            raise _unreachable(self.name, RuntimeError(response.status_code))
        else:
            refusal = Refusal(response.status_code, "HTTP_ERROR", "Permintaan ditolak oleh layanan.")
        log.info("service.refused", service=self.name, status=refusal.status, code=refusal.code)
        raise ServiceRefused(self.name, refusal)

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self._call(method, path, **kwargs)).json()

    async def _download(self, path: str, token: str) -> Download:
        response = await self._call("GET", path, token=token)
        return Download(
            response.content,
            response.headers.get("content-type", "application/octet-stream"),
            response.headers.get("content-disposition"),
        )

    async def ready(self) -> bool:
        try:
            return (await self._http.get(f"{self.base_url}/health/ready", timeout=2)).is_success
        except httpx.HTTPError:
            return False


class _Cached:
    """Public documents that change with a deployment, not per request (catalogue, OpenAPI)."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self._ttl_s = ttl_s
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        found = self._values.get(key)
        return found[1] if found is not None and time.monotonic() - found[0] < self._ttl_s else None

    def put(self, key: str, value: Any) -> Any:
        self._values[key] = (time.monotonic(), value)
        return value


class IntakeApi(ServiceApi):
    name = "intake"

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        super().__init__(http, base_url)
        self._cache = _Cached()

    async def _public(self, path: str) -> Any:
        return self._cache.get(path) or self._cache.put(path, await self._json("GET", path))

    async def catalogue(self) -> list[dict[str, Any]]:
        return list(await self._public("/api/v1/catalogue"))

    async def standard(self, service_code: str) -> dict[str, Any]:
        return dict(await self._public(f"/api/v1/catalogue/{service_code}"))

    async def openapi(self) -> dict[str, Any]:
        return dict(await self._public("/openapi.json"))

    async def submit(
        self, token: str, fields: Mapping[str, str], files: Files, idempotency_key: str
    ) -> dict[str, Any]:
        # Always multipart (also without documents, as intake requires): text parts without a filename.
        parts: list[tuple[str, Any]] = [(k, (None, v.encode())) for k, v in fields.items()]
        parts += list(files)
        return dict(
            await self._json(
                "POST", "/api/v1/submissions", token=token, idempotency_key=idempotency_key, files=parts
            )
        )

    async def submission(self, token: str, submission_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/api/v1/submissions/{submission_id}", token=token))

    async def submissions(self, token: str, *, limit: int, cursor: str | None = None) -> dict[str, Any]:
        """A page of submissions, newest first; an applicant's token sees its own unit's only."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return dict(await self._json("GET", "/api/v1/submissions", token=token, params=params))

    async def by_receipt(self, token: str, number: str) -> dict[str, Any]:
        return dict(await self._json("GET", "/api/v1/receipts", token=token, params={"number": number}))

    async def document(self, token: str, submission_id: str, document_id: str) -> Download:
        return await self._download(f"/api/v1/submissions/{submission_id}/documents/{document_id}", token)


class AttendanceGatewayApi(ServiceApi):
    name = "attendance-gateway"

    async def health_board(self, token: str) -> list[dict[str, Any]]:
        return list(await self._json("GET", "/api/v1/terminal-health", token=token))


class RoutingApi(ServiceApi):
    name = "routing"

    async def inbox(self, token: str, limit: int = 200) -> list[dict[str, Any]]:
        return list(await self._json("GET", "/api/v1/inbox", token=token, params={"limit": limit}))

    async def case(self, token: str, case_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/api/v1/cases/{case_id}", token=token))

    async def case_of_submission(self, token: str, submission_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/api/v1/cases/by-submission/{submission_id}", token=token))

    async def act(
        self, token: str, case_id: str, action: str, body: Mapping[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        return dict(
            await self._json(
                "POST",
                f"/api/v1/cases/{case_id}/{action}",
                token=token,
                idempotency_key=idempotency_key,
                json=dict(body),
            )
        )

    async def instructions(self, token: str) -> list[dict[str, Any]]:
        return list(await self._json("GET", "/api/v1/disposisi-instructions", token=token))

    async def workflow(self, token: str, service_code: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/api/v1/workflows/{service_code}", token=token))

    async def statistics(self, year: int) -> Any:
        """Public (no token): volumes and SLA compliance per service of cases opened in `year`."""
        return await self._published_figures("/api/v1/statistics", year)

    async def read_disposisi(self, token: str, disposisi_id: str) -> dict[str, Any]:
        return dict(await self._json("POST", f"/api/v1/disposisi/{disposisi_id}/read", token=token))

    async def withdraw_disposisi(self, token: str, disposisi_id: str, idempotency_key: str) -> dict[str, Any]:
        return dict(
            await self._json(
                "POST",
                f"/api/v1/disposisi/{disposisi_id}/withdraw",
                token=token,
                idempotency_key=idempotency_key,
            )
        )


class UploaderApi(ServiceApi):
    """lapkin-uploader and ipasn-uploader share one API (bkpsdm.common.uploads.http)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, name: str) -> None:
        super().__init__(http, base_url)
        self.name = name

    async def report(self, token: str, request_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/api/v1/uploads/{request_id}/report", token=token))

    async def report_file(self, token: str, request_id: str, kind: str) -> Download:
        return await self._download(f"/api/v1/uploads/{request_id}/report.{kind}", token)


class ComplaintsApi(ServiceApi):
    name = "complaints"

    async def complaints(
        self, token: str, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        return list(await self._json("GET", "/api/v1/complaints", token=token, params=params))

    async def complaint(self, token: str, complaint_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/api/v1/complaints/{complaint_id}", token=token))

    async def record(self, token: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        return dict(await self._json("POST", "/api/v1/complaints", token=token, json=dict(entry)))

    async def act(self, token: str, complaint_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(
            await self._json(
                "POST", f"/api/v1/complaints/{complaint_id}/actions", token=token, json=dict(body)
            )
        )

    async def attachment(self, token: str, complaint_id: str, attachment_id: str) -> Download:
        return await self._download(f"/api/v1/complaints/{complaint_id}/attachments/{attachment_id}", token)

    async def ikm_summary(self, year: int) -> Any:
        """Public (no token): IKM per semester of `year`, overall and per service."""
        return await self._published_figures("/api/v1/ikm/summary", year)
