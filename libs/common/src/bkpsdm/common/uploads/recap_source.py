"""The recap by reference: fetched from intake's internal endpoint, checked against its hash.

Intake serves `GET {intake}{recap.url}` to callers holding the internal-service role. The token
is signed here with the local issuer's private key (a setting), or given pre-issued. An
unknown submission or a file whose SHA-256 differs from the event's is permanent (the request
is dead-lettered); intake being unreachable is retried here a few times, then left to the
consumer's bounded retries.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path

import httpx
import stamina

from bkpsdm.common.auth import Role, issue_token
from bkpsdm.common.contracts import RecapReference
from bkpsdm.common.errors import PermanentError, RetryableError

TOKEN_TTL = timedelta(minutes=10)


class UploadRequestRefused(PermanentError):
    """The upload request can never be carried out as sent; `code` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


class IntakeUnavailable(RetryableError):
    pass


class InternalToken:
    """A bearer token with the internal-service role: pre-issued, or signed with a key file."""

    def __init__(self, service: str, *, key_file: Path | None, token: str | None) -> None:
        self._service = service
        self._key_file = key_file
        self._fixed = token
        self._cached: tuple[str, float] | None = None

    def __call__(self) -> str:
        if self._fixed:
            return self._fixed
        now = time.monotonic()
        if self._cached is not None and self._cached[1] > now:
            return self._cached[0]
        if self._key_file is None:
            raise IntakeUnavailable("no intake token: set the token or the private key file")
        try:
            key = self._key_file.read_bytes()
        except OSError as exc:
            raise IntakeUnavailable(f"cannot read the token key file: {type(exc).__name__}") from None
        token = issue_token(
            key, subject=self._service, name=self._service, roles=[Role.INTERNAL_SERVICE], ttl=TOKEN_TTL
        )
        self._cached = (token, now + TOKEN_TTL.total_seconds() / 2)
        return token


def check_reference(recap: RecapReference) -> None:
    """A path on intake, never another host; a format this reader knows; a SHA-256 in hex."""
    if not recap.url.startswith("/") or recap.url.startswith("//") or "\\" in recap.url:
        raise UploadRequestRefused("RECAP_URL_INVALID", "the recap url must be a path on intake")
    if recap.format.casefold() not in ("csv", "xlsx"):
        raise UploadRequestRefused("RECAP_FORMAT_UNSUPPORTED", "the recap format must be csv or xlsx")
    if len(recap.sha256) != 64 or any(c not in "0123456789abcdefABCDEF" for c in recap.sha256):
        raise UploadRequestRefused("RECAP_HASH_INVALID", "the recap sha256 is not 64 hex digits")


class IntakeRecapSource:
    def __init__(
        self, base_url: str, token: InternalToken, *, timeout_s: float = 30.0, attempts: int = 4
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._token = token
        self._attempts = attempts

    async def fetch(self, recap: RecapReference) -> bytes:
        check_reference(recap)
        async for attempt in stamina.retry_context(
            on=(httpx.TransportError, IntakeUnavailable), attempts=self._attempts, wait_max=2.0
        ):
            with attempt:
                data = await self._get(recap)
        if hashlib.sha256(data).hexdigest() != recap.sha256.casefold():
            raise UploadRequestRefused(
                "RECAP_HASH_MISMATCH", "the recap served by intake does not match the sha256 of the request"
            )
        return data

    async def _get(self, recap: RecapReference) -> bytes:
        response = await self._http.get(recap.url, headers={"Authorization": f"Bearer {self._token()}"})
        if response.status_code == 200:
            return response.content
        code = _error_code(response)
        if response.status_code == 404:
            raise UploadRequestRefused(
                "SUBMISSION_UNKNOWN", f"intake answered 404 {code or ''} for the recap".replace("  ", " ")
            )
        if response.status_code in (401, 403):
            raise IntakeUnavailable(f"intake refused the uploader's token ({response.status_code} {code})")
        if response.status_code >= 500 or response.status_code == 429:
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        raise UploadRequestRefused("RECAP_NOT_AVAILABLE", f"intake answered {response.status_code} {code}")

    async def aclose(self) -> None:
        await self._http.aclose()


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""
