"""Authentication and authorisation refusals: stable codes, Indonesian messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bkpsdm.common.http import ApiError, ErrorCode

TOKEN_MISSING = ErrorCode("TOKEN_MISSING", "Token akses tidak ada. Silakan masuk terlebih dahulu.", 401)
TOKEN_EXPIRED = ErrorCode("TOKEN_EXPIRED", "Token akses sudah kedaluwarsa. Silakan masuk kembali.", 401)
TOKEN_INVALID = ErrorCode("TOKEN_INVALID", "Token akses tidak sah.", 401)
FORBIDDEN_ROLE = ErrorCode("FORBIDDEN_ROLE", "Peran Anda tidak berwenang untuk permintaan ini.", 403)
AUTH_UNAVAILABLE = ErrorCode(
    "AUTH_UNAVAILABLE", "Layanan verifikasi token sedang tidak tersedia, silakan coba lagi.", 503
)

AUTH_ERRORS: dict[str, ErrorCode] = {
    e.code: e for e in (TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID, FORBIDDEN_ROLE, AUTH_UNAVAILABLE)
}

# RFC 6750 section 3: a 401 names the scheme; a refused token says why in `error`.
_CHALLENGES: dict[str, str] = {
    "TOKEN_MISSING": 'Bearer realm="bkpsdm"',
    "TOKEN_EXPIRED": 'Bearer realm="bkpsdm", error="invalid_token"',
    "TOKEN_INVALID": 'Bearer realm="bkpsdm", error="invalid_token"',
    "FORBIDDEN_ROLE": 'Bearer realm="bkpsdm", error="insufficient_scope"',
}


class AuthError(ApiError):
    """An ApiError whose response must also carry `headers` (WWW-Authenticate, Retry-After)."""

    def __init__(
        self, error: ErrorCode, details: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(error, details)
        self.headers: dict[str, str] = dict(headers or self._default_headers(error))

    @staticmethod
    def _default_headers(error: ErrorCode) -> dict[str, str]:
        if error.code in _CHALLENGES:
            return {"WWW-Authenticate": _CHALLENGES[error.code]}
        if error.status == 503:
            return {"Retry-After": "5"}
        return {}
