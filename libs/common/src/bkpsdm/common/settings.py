"""Settings shared by every service: endpoints and credentials come from the environment.

Local defaults match `deploy/local` (the Docker-free Kafka and PostgreSQL), so a fresh
checkout runs without any configuration. A wrong value stops the service at start with
one line naming the environment variable, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bkpsdm.common.auth.config import AuthConfig
from bkpsdm.common.kafka_security import KafkaClientSettings

LOCAL_KAFKA = "127.0.0.1:9092"
LOCAL_DATABASE_URL = "postgresql://bkpsdm:bkpsdm@127.0.0.1:54320/bkpsdm"


class ServiceSettings(KafkaClientSettings):
    """Base for each service's settings class; subclasses set `env_prefix`.

    Infrastructure endpoints are read from unprefixed variables (`KAFKA_BOOTSTRAP_SERVERS`,
    `DATABASE_URL`, and Kafka's `KAFKA_SECURITY_PROTOCOL` / `KAFKA_SASL_*` from
    `KafkaClientSettings`) because one deployment shares them; everything else carries the
    service's prefix, e.g. `BKPSDM_INTAKE_HTTP_PORT`.
    """

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    kafka_bootstrap_servers: str = Field(
        default=LOCAL_KAFKA, validation_alias="KAFKA_BOOTSTRAP_SERVERS", min_length=3
    )
    database_url: str = Field(
        default=LOCAL_DATABASE_URL, validation_alias="DATABASE_URL", pattern=r"^postgres(ql)?://"
    )
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)  # None: the service's own; 0: any free
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    db_schema: str = Field(default="", pattern=r"^([a-z_][a-z0-9_]*)?$")
    db_pool_min: int = Field(default=1, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    db_acquire_timeout_s: float = Field(default=10.0, gt=0)
    consumer_group_suffix: str = ""
    commit_every_messages: int = Field(default=100, ge=1)
    commit_interval_s: float = Field(default=0.5, gt=0)
    retry_attempts: int = Field(default=3, ge=1, le=20)
    retry_base_delay_s: float = Field(default=0.2, gt=0)
    retry_max_delay_s: float = Field(default=5.0, gt=0)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    topic_replication_factor: int = Field(default=1, ge=1, le=5)
    startup_timeout_s: float = Field(default=60.0, ge=0)
    outbox_claimers: int = Field(default=2, ge=1, le=8)
    outbox_retention_hours: float = Field(default=168.0, gt=0)
    outbox_park_after: int = Field(default=5, ge=1)
    inbox_retention_days: float = Field(default=30.0, gt=0)
    maintenance_interval_s: float = Field(default=600.0, gt=0)
    # Sign-in: one deployment trusts one token issuer, so these are unprefixed like the
    # infrastructure. Exactly one key source: a JWKS URL (the console or the agency's OpenID
    # provider), a JWKS file, or a public key file. `make up` / `make test` set a local one.
    auth_issuer: str = Field(default="bkpsdm-local", validation_alias="AUTH_ISSUER", min_length=1)
    auth_audience: str = Field(default="bkpsdm", validation_alias="AUTH_AUDIENCE", min_length=1)
    auth_jwks_url: str | None = Field(default=None, validation_alias="AUTH_JWKS_URL")
    auth_jwks_file: Path | None = Field(default=None, validation_alias="AUTH_JWKS_FILE")
    auth_public_key_file: Path | None = Field(default=None, validation_alias="AUTH_PUBLIC_KEY_FILE")

    def auth_config(self) -> AuthConfig:
        return AuthConfig(
            issuer=self.auth_issuer,
            audience=self.auth_audience,
            jwks_url=self.auth_jwks_url,
            jwks_file=self.auth_jwks_file,
            public_key_file=self.auth_public_key_file,
        )


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


class ConfigurationError(SystemExit):
    """Raised at start-up after the one line an operator reads was printed; exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message


def describe_validation_error(settings_cls: type[BaseSettings], exc: ValidationError) -> str:
    """One line per wrong setting, named as the environment variable the operator sets."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        aliases = {f.validation_alias for f in settings_cls.model_fields.values()}
        field = settings_cls.model_fields.get(name)
        if field is not None and isinstance(field.validation_alias, str):
            name = field.validation_alias  # a validator's error is located by the field's name
        env_name = name if name in aliases else f"{prefix}{name}".upper()
        lines.append(f"configuration error: {env_name}: {error['msg']}")
    return "; ".join(lines)


def load_settings(settings_cls: type[SettingsT]) -> SettingsT:
    """Build the settings or stop the process with one clear line naming the setting."""
    try:
        return settings_cls()
    except ValidationError as exc:
        message = describe_validation_error(settings_cls, exc)
        print(message, file=sys.stderr)
        raise ConfigurationError(message) from None
