"""The console as the token issuer the services trust: it signs a short-lived token for the
signed-in person on every call it makes for them, and publishes its public key as a JWKS."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from typing import Any

from bkpsdm.common.auth import Principal, issue_token, public_jwk
from bkpsdm.common.auth.keys import load_private_key


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, *, issuer: str, audience: str, ttl: timedelta) -> None:
        self._pem = private_key_pem
        self._key = load_private_key(private_key_pem)  # refuses a broken file at start
        self.issuer, self.audience, self.ttl = issuer, audience, ttl

    @classmethod
    def from_file(cls, path: Path, *, issuer: str, audience: str, ttl: timedelta) -> TokenIssuer:
        return cls(path.read_bytes(), issuer=issuer, audience=audience, ttl=ttl)

    def token_for(self, principal: Principal) -> str:
        return issue_token(
            self._pem,
            subject=principal.subject,
            name=principal.name,
            roles=sorted(principal.roles),
            unit=principal.unit,
            ttl=self.ttl,
            issuer=self.issuer,
            audience=self.audience,
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self._key.public_key())]}

    def derived_secret(self, purpose: str) -> bytes:
        """A secret for `purpose` (the session cookie's signature) that follows the signing key:
        stable across restarts and replicas, replaced together with the key."""
        return hmac.new(self._pem, f"bkpsdm-console:{purpose}".encode(), hashlib.sha256).digest()
