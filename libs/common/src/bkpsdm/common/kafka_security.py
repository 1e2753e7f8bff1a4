"""How every Kafka client of the platform authenticates, from configuration.

One deployment talks to one cluster, so these settings are unprefixed like
`KAFKA_BOOTSTRAP_SERVERS`:

- `KAFKA_SECURITY_PROTOCOL`: `PLAINTEXT` (the local broker, the default), `SASL_PLAINTEXT`
  (a private network, or tests) or `SASL_SSL` (production: SCRAM over TLS);
- `KAFKA_SASL_MECHANISM`: `SCRAM-SHA-512` (default), `SCRAM-SHA-256` or `PLAIN`;
- `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`: the principal's credentials;
- `KAFKA_SSL_CAFILE`: the CA that signed the brokers' certificates (the system's CAs when unset).

Every client the platform builds (FastStream's broker, the outbox relay's producer, the admin
client, whole-topic reads, the dead-letter tool) takes its options from here, so a service
never opens an unauthenticated connection to a secured cluster.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aiokafka.helpers import create_ssl_context
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # FastStream takes seconds to import; the operators' tools never need it
    from faststream.security import BaseSecurity

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaClientSettings(BaseSettings):
    """The Kafka client settings every service shares (`ServiceSettings` inherits them)."""

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(default=None, validation_alias="KAFKA_SASL_PASSWORD")
    kafka_ssl_cafile: Path | None = Field(default=None, validation_alias="KAFKA_SSL_CAFILE")

    @field_validator("kafka_sasl_password")
    @classmethod
    def _credentials_with_sasl(cls, password: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        protocol = info.data.get("kafka_security_protocol", "PLAINTEXT")
        if protocol.startswith("SASL_") and not (
            info.data.get("kafka_sasl_username") and password and password.get_secret_value()
        ):
            raise ValueError(f"{protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        return password

    @property
    def uses_tls(self) -> bool:
        return self.kafka_security_protocol == "SASL_SSL"

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.uses_tls:
            return None
        # Hostname checking stays on: the brokers' certificates must name the advertised hosts.
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None
        )
        return context


def from_environment() -> KafkaClientSettings:
    """The settings as the process's environment gives them (operators' tools, tests)."""
    return KafkaClientSettings()


def client_options(settings: KafkaClientSettings | None = None) -> dict[str, Any]:
    """Keyword arguments for aiokafka's producer, consumer and admin client.
    `None`: read the environment, as the services' own settings do."""
    s = settings if settings is not None else from_environment()
    if s.kafka_security_protocol == "PLAINTEXT":
        return {"security_protocol": "PLAINTEXT"}
    assert s.kafka_sasl_password is not None  # checked when the settings were read
    return {
        "security_protocol": s.kafka_security_protocol,
        "ssl_context": s.ssl_context(),
        "sasl_mechanism": s.kafka_sasl_mechanism,
        "sasl_plain_username": s.kafka_sasl_username,
        "sasl_plain_password": s.kafka_sasl_password.get_secret_value(),
    }


def broker_security(settings: KafkaClientSettings | None = None) -> BaseSecurity | None:
    """The same settings as FastStream's `security=` object (its KafkaBroker takes no raw
    SASL options)."""
    from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

    s = settings if settings is not None else from_environment()
    if s.kafka_security_protocol == "PLAINTEXT":
        return None
    assert s.kafka_sasl_username is not None
    assert s.kafka_sasl_password is not None
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return sasl[s.kafka_sasl_mechanism](
        s.kafka_sasl_username,
        s.kafka_sasl_password.get_secret_value(),
        ssl_context=s.ssl_context(),
        use_ssl=s.uses_tls,
    )
