"""The one image shape (deploy/docker): lint-clean, non-root, healthy-checked, built from the
lock; its two helpers work (the health check; the migration step, for real, concurrently)."""

from __future__ import annotations

import asyncio
import fnmatch
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import free_port

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "deploy" / "docker"


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [REPO / ".venv/bin/hadolint", DOCKER / "Dockerfile"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_multi_stage_non_root_health_checked_and_built_from_the_lock() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    assert sum(line.startswith("FROM ") for line in lines) >= 3  # uv, build, runtime
    assert "uv sync --frozen --no-dev --no-editable" in text
    (user,) = [line for line in lines if line.startswith("USER ")]
    assert user.split()[1].split(":")[0] not in ("0", "root")
    assert any(line.startswith("HEALTHCHECK ") and "/app/healthcheck.py" in line for line in lines)
    copied = [line for line in lines if line.startswith("COPY deploy/")]
    for source in copied[0].split()[1:-1]:
        assert (REPO / source).is_file(), source


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore-style `patterns` drop `path` (enough of Docker's syntax for ours)."""
    parts = path.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(p, pattern[3:]) for p in parts):
                return True
        elif fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(parts[0], pattern):
            return True
    return False


def test_the_build_context_keeps_what_uv_and_the_image_need(code: Any) -> None:
    patterns = [
        line.strip()
        for line in (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = ["uv.lock", "pyproject.toml", "deploy/docker/healthcheck.py", "deploy/docker/migrate.py"]
    for folder in code.workspace_packages.values():
        relative = folder.relative_to(REPO)
        needed += [f"{relative}/pyproject.toml", f"{relative}/src/bkpsdm"]
    for path in needed:
        assert not ignored(path, patterns), path
    for path in ["deploy/local/.state/auth/private.pem", ".venv/bin/python", "services/intake/tests/unit"]:
        assert ignored(path, patterns), path


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health/live" else 503)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def run_healthcheck(target: str, *, via_env: bool = False) -> int:
    env = {**os.environ, "HEALTHCHECK_URL": target} if via_env else os.environ.copy()
    args = [sys.executable, str(DOCKER / "healthcheck.py")] + ([] if via_env else [target])
    return subprocess.run(args, env=env, capture_output=True, timeout=30).returncode


def test_the_health_check_passes_on_2xx_and_an_open_port_and_fails_otherwise(http_server: int) -> None:
    assert run_healthcheck(f"http://127.0.0.1:{http_server}/health/live", via_env=True) == 0
    assert run_healthcheck(f"http://127.0.0.1:{http_server}/health/ready") == 1  # a 503
    closed = free_port()
    assert run_healthcheck(f"http://127.0.0.1:{closed}/health/live") == 1
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert run_healthcheck(f"tcp://127.0.0.1:{listening.getsockname()[1]}") == 0
    assert run_healthcheck(f"tcp://127.0.0.1:{closed}") == 1


@pytest.mark.integration
async def test_replicas_migrating_at_once_apply_each_migration_exactly_once(
    infra: Infra, pool: asyncpg.Pool
) -> None:
    schema = f"t_mig_{uuid.uuid4().hex[:10]}"
    env = {**os.environ, **infra.env(), "APP_MODULE": "bkpsdm.intake", "BKPSDM_INTAKE_DB_SCHEMA": schema}

    async def migrate() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(DOCKER / "migrate.py"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        return process.returncode or 0, out.decode()

    try:
        results = await asyncio.gather(migrate(), migrate())
        assert [code for code, _ in results] == [0, 0], results
        async with pool.acquire() as conn:
            versions = await conn.fetch(f'SELECT version FROM "{schema}".schema_migrations')
        applied = [r["version"] for r in versions]
        assert len(applied) == len(set(applied)) > 0
        assert any(v.startswith("intake:") for v in applied)
        # Every file was applied by exactly one of the two; the other found it done.
        counts = [int(re.findall(r"(\d+) migration\(s\) applied", out)[-1]) for _, out in results]
        assert sum(counts) == len(applied), results
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
