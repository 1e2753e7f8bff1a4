"""What the deployment files are checked against: facts read from the code, never copied.

Services come from their own declarations (`bkpsdm.common.identity.discover()`, plus any
`services/*/src/bkpsdm/*/settings.py` whose entry point is not installed yet), settings names
from their settings classes (pydantic fields with the identity's prefix, or their unprefixed
aliases), image-level variables from the Dockerfile.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from aiokafka import AIOKafkaProducer

from bkpsdm.common.events import Event, metadata_for
from bkpsdm.common.identity import ServiceIdentity, discover
from bkpsdm.common.kafka_security import KafkaClientSettings, client_options
from bkpsdm.common.settings import ServiceSettings
from bkpsdm.testing.infra import repo_root

REPO = repo_root()
DEPLOY = REPO / "deploy"
VENV_BIN = REPO / ".venv" / "bin"


def settings_env_names(settings_cls: type[ServiceSettings]) -> set[str]:
    """Every environment variable a settings class reads."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    names = set()
    for field_name, field in settings_cls.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"{prefix}{field_name}".upper())
    return names


@dataclass(frozen=True)
class CodeFacts:
    identities: dict[str, ServiceIdentity]
    settings: dict[str, type[ServiceSettings]]
    image_env: frozenset[str]  # ENV of deploy/docker/Dockerfile (APP_MODULE, HEALTHCHECK_URL, ...)
    workspace_packages: dict[str, Path]  # project name -> folder

    def service_env(self, name: str) -> set[str]:
        return settings_env_names(self.settings[name])

    @property
    def shared_env(self) -> set[str]:
        return settings_env_names(ServiceSettings)

    @property
    def any_service_env(self) -> set[str]:
        return set().union(*(self.service_env(n) for n in self.identities)) | set(self.image_env)

    def readers_of(self, variable: str) -> set[str]:
        """The services that read `variable` (all of them for an unprefixed one)."""
        return {n for n in self.identities if variable in self.service_env(n)}


def _identities() -> dict[str, ServiceIdentity]:
    found = {i.name: i for i in discover()}
    for settings_file in sorted(REPO.glob("services/*/src/bkpsdm/*/settings.py")):
        module = importlib.import_module(f"bkpsdm.{settings_file.parent.name}.settings")
        identity = getattr(module, "IDENTITY", None)
        if isinstance(identity, ServiceIdentity):
            found.setdefault(identity.name, identity)  # a new service before its entry point
    return dict(sorted(found.items(), key=lambda item: item[1].port))


def _settings_class(identity: ServiceIdentity) -> type[ServiceSettings]:
    module = importlib.import_module(f"{identity.module}.settings")
    (cls,) = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v.__module__ == module.__name__
    ]
    return cls


def _dockerfile_env() -> frozenset[str]:
    text = (DEPLOY / "docker" / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    names: set[str] = set()
    for line in text.splitlines():
        if line.strip().startswith("ENV "):
            names.update(re.findall(r"([A-Z_][A-Z0-9_]*)=", line))
    return frozenset(names)


def _workspace_packages() -> dict[str, Path]:
    found = {}
    for pyproject in [*REPO.glob("libs/*/pyproject.toml"), *REPO.glob("services/*/pyproject.toml")]:
        found[tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"]] = pyproject.parent
    simulators = REPO / "simulators" / "pyproject.toml"
    found[tomllib.loads(simulators.read_text(encoding="utf-8"))["project"]["name"]] = simulators.parent
    return found


@pytest.fixture(scope="session")
def code() -> CodeFacts:
    identities = _identities()
    return CodeFacts(
        identities=identities,
        settings={name: _settings_class(identity) for name, identity in identities.items()},
        image_env=_dockerfile_env(),
        workspace_packages=_workspace_packages(),
    )


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def env_file() -> dict[str, str]:
    return read_env_file(DEPLOY / "bkpsdm.env")


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def render_kustomization(folder: Path) -> list[dict[str, Any]]:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(rendered) if d]


@pytest.fixture(scope="session")
def manifests() -> dict[str, list[dict[str, Any]]]:
    """Every overlay (and the base) rendered by kubectl kustomize."""
    k8s = DEPLOY / "k8s"
    folders = {"base": k8s / "base"} | {p.name: p for p in sorted((k8s / "overlays").iterdir())}
    return {name: render_kustomization(folder) for name, folder in folders.items()}


GUIDE = REPO / "docs" / "AGENCY_CONSUMERS.md"


def guide_example() -> str:
    """The consumer example of docs/AGENCY_CONSUMERS.md, exactly as an agency copies it."""
    after_marker = GUIDE.read_text(encoding="utf-8").split("<!-- consumer-example", 1)[1]
    return after_marker.split("```python\n", 1)[1].split("```", 1)[0]


async def run_guide_example(env: dict[str, str], wanted: str, timeout_s: float = 90) -> str:
    """Run the guide's example until it prints a line containing `wanted`; that line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        guide_example(),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(timeout_s):
            while line := (await process.stdout.readline()).decode():
                if wanted in line:
                    return line
        raise AssertionError(f"the example ended without printing {wanted}")
    except TimeoutError:
        raise AssertionError(f"the example printed no {wanted} in {timeout_s} s") from None
    finally:
        if process.returncode is None:
            process.terminate()
        errors = (await process.stderr.read()).decode()
        await process.wait()
        if process.returncode not in (0, -15):
            print(errors)


async def publish(
    bootstrap: str, topic: str, event: Event, security: KafkaClientSettings | None = None
) -> str:
    """One event as the platform publishes it (JSON value, CloudEvents headers); its id."""
    meta = metadata_for(event, source="/bkpsdm/deploy-test", correlation_id=uuid.uuid4().hex)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **client_options(security))
    await producer.start()
    try:
        await producer.send_and_wait(
            topic,
            event.model_dump_json().encode(),
            key=str(getattr(event, "submission_id", meta.id)).encode(),
            headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
        )
    finally:
        await producer.stop()
    return meta.id


# Conftest modules cannot be imported by the tests (--import-mode=importlib): fixtures hand
# the helpers over.
@pytest.fixture
def example_code() -> str:
    return guide_example()


@pytest.fixture
def run_example() -> Callable[[dict[str, str], str], Awaitable[str]]:
    return run_guide_example


@pytest.fixture
def publish_event() -> Callable[..., Awaitable[str]]:
    return publish
