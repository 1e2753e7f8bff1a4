"""One-time tokens of the public web form (the replay guard): the form fetches one, the post
spends it. A token is a random nonce and its issue time, signed with HMAC-SHA256; the nonce
is remembered once used (with the complaint it brought), so a replayed post is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.domain import errors


@dataclass(frozen=True)
class FormTokens:
    key: bytes
    ttl: timedelta

    def issue(self, now: datetime) -> tuple[str, datetime]:
        body = secrets.token_bytes(16) + struct.pack(">q", int(now.timestamp()))
        return f"{_b64(body)}.{_b64(self._sign(body))}", now + self.ttl

    def check(self, token: str, now: datetime) -> str:
        """The token's nonce, when it is ours and not expired."""
        body_text, _, signature = token.partition(".")
        try:
            body, given = _unb64(body_text), _unb64(signature)
        except ValueError:
            raise DomainError(errors.FORM_TOKEN_INVALID) from None
        if len(body) != 24 or not hmac.compare_digest(given, self._sign(body)):
            raise DomainError(errors.FORM_TOKEN_INVALID)
        issued = datetime.fromtimestamp(struct.unpack(">q", body[16:])[0], UTC)
        if not issued - timedelta(minutes=5) <= now <= issued + self.ttl:
            raise DomainError(errors.FORM_TOKEN_EXPIRED)
        return body[:16].hex()

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, b"form|" + body, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or len(text) > 64:
        raise ValueError("bad token part")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("bad token part") from exc
