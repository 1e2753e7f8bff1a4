"""console's identity (declared once: port, settings prefix, schema, event source) and settings."""

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator

from bkpsdm.common.auth import Role
from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("console", port=8007)


class ConsoleSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()

    # The services the console talks to, over their documented HTTP APIs only.
    intake_url: str = Field(default="http://127.0.0.1:8001", pattern=r"^https?://")
    routing_url: str = Field(default="http://127.0.0.1:8002", pattern=r"^https?://")
    lapkin_uploader_url: str = Field(default="http://127.0.0.1:8003", pattern=r"^https?://")
    ipasn_uploader_url: str = Field(default="http://127.0.0.1:8004", pattern=r"^https?://")
    attendance_gateway_url: str = Field(default="http://127.0.0.1:8005", pattern=r"^https?://")
    complaints_url: str = Field(default="http://127.0.0.1:8006", pattern=r"^https?://")
    service_timeout_s: float = Field(default=10.0, gt=0)

    # The console signs the tokens every service verifies; its public half is served as the
    # console's JWKS. Relative paths are taken from the working directory (`make up` runs
    # services from the checkout, where `infra.sh start` wrote the local key pair).
    signing_key_file: Path = Path("deploy/local/.state/auth/private.pem")
    token_ttl_minutes: float = Field(default=15.0, gt=0, le=60)
    # Signs the session cookie; None: derived from the signing key (stable across restarts).
    session_secret: SecretStr | None = None
    session_hours: float = Field(default=9.0, gt=0, le=24)  # one working day and some
    # Off only for plain-http local use on a host name browsers do not treat as secure.
    cookie_secure: bool = True
    lockout_threshold: int = Field(default=5, ge=1, le=100)  # failed sign-ins in a row
    lockout_minutes: float = Field(default=15.0, gt=0)
    calendar_file: Path | None = None  # None: libs/common's default service calendar

    # Sign-in through the agency's OpenID Connect provider (authorization code flow with PKCE);
    # unset issuer: the console's own accounts only.
    oidc_issuer: str | None = Field(default=None, pattern=r"^https?://")
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    # None: this console's own address + /masuk/sso/kembali, as the browser reached it. Set it
    # behind a proxy, and register exactly this address with the provider.
    oidc_redirect_url: str | None = Field(default=None, pattern=r"^https?://")
    oidc_scopes: str = "openid profile email"
    oidc_roles_claim: str = "groups"  # dotted for nested claims, e.g. realm_access.roles
    oidc_unit_claim: str = "unit"
    # The provider's group/role names -> the console's roles, as JSON: {"bkpsdm-kabid": "kepala-bidang"}.
    oidc_role_map: dict[str, Role] = Field(default_factory=dict)
    # With a provider configured: whether the console's own passwords still sign in (a fallback).
    oidc_allow_local_passwords: bool = True
    oidc_timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _oidc_complete(self) -> Self:
        if self.oidc_issuer is None:
            return self
        missing = [
            name
            for name, value in (
                ("OIDC_CLIENT_ID", self.oidc_client_id),
                ("OIDC_CLIENT_SECRET", self.oidc_client_secret),
                ("OIDC_ROLE_MAP", self.oidc_role_map),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"OIDC_ISSUER is set, so {', '.join(missing)} must be set too")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("OIDC_SCOPES must include openid")
        if Role.INTERNAL_SERVICE in self.oidc_role_map.values():
            raise ValueError("OIDC_ROLE_MAP may not grant internal-service")
        return self
