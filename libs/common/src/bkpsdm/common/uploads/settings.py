"""Settings both uploaders have: where intake and BKN are, BKN's credentials and field mappings,
and how hard to try. Defaults point at the local intake (8001) and BKN simulator (8090)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from bkpsdm.common.settings import ServiceSettings
from bkpsdm.common.uploads.adapters import BknTarget
from bkpsdm.common.uploads.bkn_client import BknCredentials, Resilience


class UploaderSettings(ServiceSettings):
    # The recap, by reference, from intake's internal endpoint (role internal-service).
    intake_base_url: str = "http://127.0.0.1:8001"
    # Signs the uploader's own token; relative paths are taken from the working directory
    # (`make up` runs services from the checkout).
    intake_token_key_file: Path | None = Path("deploy/local/.state/auth/private.pem")
    intake_token: SecretStr | None = None  # a pre-issued token instead of the key file
    intake_timeout_s: float = Field(default=30.0, gt=0)

    adapter: Literal["http", "export-file"] = "http"
    bkn_base_url: str = "http://127.0.0.1:8090"
    bkn_gateway_token_path: str = Field(default="/oauth2/token", pattern=r"^/")
    bkn_sso_token_path: str = Field(default="/sso/token", pattern=r"^/")
    bkn_consumer_key: str = "bkpsdm-sim-consumer-key"
    bkn_consumer_secret: SecretStr = SecretStr("bkpsdm-sim-consumer-secret")
    bkn_sso_client_id: str = "bkpsdm-sim"
    bkn_sso_username: str = "operator.bkpsdm"
    bkn_sso_password: SecretStr = SecretStr("operator-secret")
    bkn_unor_path: str = Field(default="/apisiasn/1.0/referensi/ref-unor", pattern=r"^/")
    bkn_unor_ids: dict[str, str] = Field(default_factory=dict, description="unit name -> BKN unor id")
    bkn_targets: dict[str, BknTarget] = Field(default_factory=dict)  # each service sets its defaults

    bkn_timeout_s: float = Field(default=10.0, gt=0)
    bkn_concurrency: int = Field(default=8, ge=1, le=256)
    # Stay at or under BKN's quota; two uploaders share it (the demo's simulator allows 20/s).
    bkn_rate_limit_rps: float | None = Field(default=10.0, gt=0)
    # A small burst lets the limiter catch up after the event loop was late, without ever
    # exceeding the rate over time (keep it under BKN's own burst).
    bkn_rate_limit_burst: int = Field(default=5, ge=1)
    bkn_retry_attempts: int = Field(default=8, ge=1, le=50)
    bkn_retry_initial_s: float = Field(default=0.2, ge=0)
    bkn_retry_max_s: float = Field(default=10.0, ge=0)
    bkn_retry_jitter_s: float = Field(default=0.5, ge=0)
    bkn_retry_timeout_s: float = Field(default=120.0, gt=0)
    bkn_breaker_threshold: int = Field(default=10, ge=1)
    bkn_breaker_ttl_s: float = Field(default=15.0, gt=0)
    bkn_token_renew_margin_s: float = Field(default=30.0, ge=0)

    upload_parallel: int = Field(default=2, ge=1, le=32)  # uploads one process runs at once
    upload_poll_interval_s: float = Field(default=2.0, gt=0)
    upload_flush_rows: int = Field(default=100, ge=1)
    upload_flush_interval_s: float = Field(default=0.25, gt=0)
    upload_runner_enabled: bool = True

    def bkn_credentials(self) -> BknCredentials:
        return BknCredentials(
            consumer_key=self.bkn_consumer_key,
            consumer_secret=self.bkn_consumer_secret.get_secret_value(),
            sso_client_id=self.bkn_sso_client_id,
            sso_username=self.bkn_sso_username,
            sso_password=self.bkn_sso_password.get_secret_value(),
            gateway_token_path=self.bkn_gateway_token_path,
            sso_token_path=self.bkn_sso_token_path,
        )

    def bkn_resilience(self) -> Resilience:
        return Resilience(
            timeout_s=self.bkn_timeout_s,
            concurrency=self.bkn_concurrency,
            rate_limit_rps=self.bkn_rate_limit_rps,
            rate_limit_burst=self.bkn_rate_limit_burst,
            attempts=self.bkn_retry_attempts,
            wait_initial_s=self.bkn_retry_initial_s,
            wait_max_s=self.bkn_retry_max_s,
            wait_jitter_s=self.bkn_retry_jitter_s,
            retry_timeout_s=self.bkn_retry_timeout_s,
            breaker_threshold=self.bkn_breaker_threshold,
            breaker_ttl_s=self.bkn_breaker_ttl_s,
            token_renew_margin_s=self.bkn_token_renew_margin_s,
        )
