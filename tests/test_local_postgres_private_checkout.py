"""`make test` and `make demo` work from a checkout under a folder the `postgres` user cannot
enter (as root, a clone under /root, mode 0700): the local PostgreSQL keeps its data in a
place it owns outside the tree, tied to the checkout, and `reset` removes it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import asyncpg
import pytest

from bkpsdm.testing.processes import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "local" / "postgres.sh"


def run(script: Path, *args: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PG_PORT": str(port)}
    env.pop("PG_STATE_DIR", None)
    env.pop("PG_STATE_NAME", None)
    return subprocess.run(
        ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def select_one(port: int) -> int:
    conn = await asyncpg.connect(f"postgresql://bkpsdm:bkpsdm@127.0.0.1:{port}/bkpsdm")
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


def test_the_local_postgres_starts_from_a_checkout_under_a_private_folder(tmp_path: Path) -> None:
    private = tmp_path / "root-home"
    private.mkdir(mode=0o700)
    clone = private / "bkpsdm" / "deploy" / "local"
    clone.mkdir(parents=True)
    script = clone / "postgres.sh"
    shutil.copy(SCRIPT, script)
    port = free_port()

    where = Path(run(script, "where", port=port).stdout.strip())
    started = run(script, "start", port=port)
    try:
        assert started.returncode == 0, started.stderr
        if os.geteuid() == 0:
            assert private not in where.parents, "as root the data lives outside the private tree"
        assert (where / "data" / "PG_VERSION").is_file()
        assert asyncio.run(select_one(port)) == 1
    finally:
        reset = run(script, "reset", port=port)
    assert reset.returncode == 0, reset.stderr
    assert not where.exists(), "reset deleted the checkout's data"
