"""Schemathesis with every check against a running service's OpenAPI, as a user would run it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

# The checkout's own configuration: what a user running schemathesis in the checkout gets.
PROJECT_CONFIG = Path(__file__).resolve().parents[5] / "schemathesis.toml"


async def run_schemathesis(base_url: str, token: str, config: str, workdir: Path) -> tuple[int, str, str]:
    """`schemathesis run --checks all` with a signed-in caller; (exit code, stdout, report tail).
    `config` is a whole schemathesis.toml for this run (written to `workdir`); empty: the
    checkout's own `schemathesis.toml`, whose project for this API applies."""
    config_file = workdir / "schemathesis.toml"
    config_file.write_text(config or PROJECT_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config_file),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        "25",
        "--seed",
        "20261123",
        "--workers",
        "1",
    ]
    result = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=480)
    return result.returncode, result.stdout, result.stdout[-6000:] + result.stderr[-2000:]


def summary_has_failures(stdout: str) -> bool:
    return "failure" in stdout.rsplit("SUMMARY", 1)[-1].lower().replace("0 failures", "")


async def assert_schemathesis_finds_nothing(
    base_url: str, token: str, workdir: Path, config: str = ""
) -> None:
    """`run_schemathesis` must exit 0 with no failure of any check in its summary."""
    returncode, stdout, report = await run_schemathesis(base_url, token, config, workdir)
    assert returncode == 0, report
    assert not summary_has_failures(stdout), report
