"""Which Kafka and PostgreSQL the tests use, in the design's order of preference:

1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment (what `make test` sets);
2. testcontainers, when a Docker engine answers;
3. the project's own local processes (`deploy/local/infra.sh`), started here if needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "deploy" / "local" / "infra.sh").exists():
            return parent
    raise RuntimeError("cannot find the repository root (deploy/local/infra.sh)")


@dataclass
class Infra:
    kafka_bootstrap_servers: str
    database_url: str
    origin: str
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for step in reversed(self.cleanup):
            step()

    def env(self) -> dict[str, str]:
        """What a service process needs: the infrastructure and the token issuer it trusts."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "DATABASE_URL": self.database_url,
            **{k: v for k, v in os.environ.items() if k.startswith("AUTH_")},
        }


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _from_testcontainers() -> Infra:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft()
    postgres = PostgresContainer("postgres:15", driver=None)
    kafka.start()
    postgres.start()
    infra = Infra(kafka.get_bootstrap_server(), postgres.get_connection_url(), "testcontainers")
    infra.cleanup += [kafka.stop, postgres.stop]
    return infra


def _from_local_processes() -> Infra:
    script = repo_root() / "deploy" / "local" / "infra.sh"
    was_running = subprocess.run([str(script), "status"], capture_output=True).returncode == 0
    if not was_running:
        subprocess.run([str(script), "start"], check=True, stdout=subprocess.DEVNULL)
    infra = Infra(LOCAL_KAFKA, LOCAL_DATABASE_URL, "local processes")
    if not was_running:

        def stop() -> None:
            subprocess.run([str(script), "stop"], check=False)

        infra.cleanup.append(stop)
    return infra


def local_auth_dir() -> Path:
    return repo_root() / "deploy" / "local" / ".state" / "auth"


def ensure_local_auth() -> Path:
    """The local token issuer's keys (as `infra.sh start` makes them); the services under
    test trust its JWKS unless the environment names another issuer. Returns the key folder."""
    folder = local_auth_dir()
    if not (folder / "private.pem").exists() or not (folder / "jwks.json").exists():
        from bkpsdm.common.auth import write_key_pair

        write_key_pair(folder, overwrite=True)
    if not any(os.environ.get(k) for k in ("AUTH_JWKS_URL", "AUTH_JWKS_FILE", "AUTH_PUBLIC_KEY_FILE")):
        os.environ["AUTH_JWKS_FILE"] = str(folder / "jwks.json")
    return folder


def acquire_infra() -> Infra:
    ensure_local_auth()
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    if kafka and database:
        return Infra(kafka, database, "environment")
    if docker_answers():
        return _from_testcontainers()
    return _from_local_processes()
