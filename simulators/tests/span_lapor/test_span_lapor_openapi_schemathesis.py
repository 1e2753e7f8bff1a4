"""Schemathesis with every check over the SP4N-LAPOR! simulator's OpenAPI schema, against
`python -m bkpsdm.simulators.span_lapor` signed in as the local client: every answer documented,
schema-valid requests accepted, schema-violating ones refused, 405s name their methods."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bkpsdm.testing.processes import free_port
from bkpsdm.testing.schemathesis import assert_schemathesis_finds_nothing


@pytest.fixture
def lapor_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bkpsdm.simulators.span_lapor", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the simulator did not come up"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


async def test_schemathesis_with_every_check_finds_nothing_in_the_lapor_simulator(
    lapor_url: str, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=lapor_url) as client:
        answer = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "bkpsdm-singkawang",
                "client_secret": "bkpsdm-lokal-lapor",
            },
        )
    await assert_schemathesis_finds_nothing(lapor_url, answer.json()["access_token"], tmp_path)
