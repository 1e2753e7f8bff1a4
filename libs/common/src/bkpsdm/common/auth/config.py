"""Auth settings a service embeds (AUTH_ISSUER, AUTH_AUDIENCE, AUTH_PUBLIC_KEY_FILE, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from bkpsdm.common.auth.sources import JwksFileSource, JwksUrlSource, KeySource, StaticKeySource
from bkpsdm.common.auth.tokens import (
    DEFAULT_ALGORITHMS,
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    DEFAULT_LEEWAY_S,
    TokenVerifier,
)

_MIN_SECRET_BYTES = 32  # RFC 7518 section 3.2: an HS256 key at least as long as the hash


class AuthConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(default=DEFAULT_ISSUER, min_length=1)
    audience: str = Field(default=DEFAULT_AUDIENCE, min_length=1)
    # Exactly one key source is used; build_verifier refuses none or several.
    public_key_file: Path | None = None
    jwks_url: str | None = Field(default=None, pattern=r"^https?://")
    jwks_file: Path | None = None
    hs256_secret: SecretStr | None = None
    leeway_s: float = Field(default=DEFAULT_LEEWAY_S, ge=0, le=300)
    # Public-key algorithms; with hs256_secret the allow-list is HS256 alone.
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    jwks_cache_s: float = Field(default=300.0, gt=0)
    jwks_timeout_s: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        sources = [self.public_key_file, self.jwks_url, self.jwks_file, self.hs256_secret]
        if sum(s is not None for s in sources) > 1:
            raise ValueError("set only one of public_key_file, jwks_url, jwks_file, hs256_secret")
        if not self.algorithms or any(
            a.lower() == "none" or a.upper().startswith("HS") for a in self.algorithms
        ):
            raise ValueError(
                "algorithms: public-key algorithms only (never 'none'; HS256 comes with hs256_secret)"
            )
        if (
            self.hs256_secret is not None
            and len(self.hs256_secret.get_secret_value().encode()) < _MIN_SECRET_BYTES
        ):
            raise ValueError(f"hs256_secret must be at least {_MIN_SECRET_BYTES} bytes")
        return self

    @property
    def configured(self) -> bool:
        return any(
            s is not None for s in (self.public_key_file, self.jwks_url, self.jwks_file, self.hs256_secret)
        )

    def build_verifier(self) -> TokenVerifier:
        """Reads key files now, so a wrong path stops the service at start, not at the first request."""
        keys: KeySource
        algorithms = self.algorithms
        if self.public_key_file is not None:
            keys = StaticKeySource.from_public_key_file(self.public_key_file)
        elif self.jwks_file is not None:
            keys = JwksFileSource.from_file(self.jwks_file)
        elif self.jwks_url is not None:
            keys = JwksUrlSource(self.jwks_url, lifespan_s=self.jwks_cache_s, timeout_s=self.jwks_timeout_s)
        elif self.hs256_secret is not None:
            keys = StaticKeySource.from_hs256_secret(self.hs256_secret.get_secret_value())
            algorithms = ("HS256",)
        else:
            raise ValueError(
                "no token key configured: set AUTH_PUBLIC_KEY_FILE, AUTH_JWKS_URL, AUTH_JWKS_FILE or AUTH_HS256_SECRET"
            )
        return TokenVerifier(
            keys,
            issuer=self.issuer,
            audience=self.audience,
            leeway_s=self.leeway_s,
            algorithms=algorithms,
            # A verified token is trusted no longer than the keys that verified it are cached.
            cache_max_age_s=self.jwks_cache_s,
        )
