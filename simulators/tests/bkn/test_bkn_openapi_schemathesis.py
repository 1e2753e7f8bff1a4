"""Schemathesis with every check over the BKN gateway simulator's OpenAPI schema, against
`python -m bkpsdm.simulators.bkn` (faults off, its default) with both the gateway and the SSO token:
every answer documented, schema-valid requests accepted, schema-violating ones refused."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bkpsdm.simulators.bkn import BknSimConfig
from bkpsdm.testing.processes import free_port
from bkpsdm.testing.schemathesis import assert_schemathesis_finds_nothing

CONFIG = BknSimConfig()
USER, PASSWORD = next(iter(CONFIG.sso_users.items()))

# Every /apisiasn call also needs the SSO token in `Auth` (per operation: the command line's
# `--header` replaces the configuration's top-level headers). Two save rules are arithmetic, which
# JSON Schema cannot state (the schema describes them): the IP-ASN total is the sum of its four
# dimensions, and a numeric SKP's nilaiPrestasiKerja is 60% + 40% of its two parts. A schema-valid
# body that breaks them is rightly 422; every other rule is in the schema.
SCHEMATHESIS_CONFIG = """
[[operations]]
include-path-regex = "/apisiasn/1.0/(skp|ipasn)/save$"
headers = { Auth = "bearer {sso}" }
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "409", "422"]

[[operations]]
include-path-regex = "^/apisiasn/"
headers = { Auth = "bearer {sso}" }
"""


@pytest.fixture
def bkn_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bkpsdm.simulators.bkn", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/sim/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the simulator did not come up"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


async def test_schemathesis_with_every_check_finds_nothing_in_the_bkn_simulator(
    bkn_url: str, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=bkn_url) as client:
        gateway = await client.post(
            "/oauth2/token",
            auth=(CONFIG.consumer_key, CONFIG.consumer_secret),
            data={"grant_type": "client_credentials"},
        )
        sso = await client.post(
            "/sso/token",
            data={
                "grant_type": "password",
                "client_id": CONFIG.sso_client_id,
                "username": USER,
                "password": PASSWORD,
            },
        )
    config = SCHEMATHESIS_CONFIG.replace("{sso}", sso.json()["access_token"])
    await assert_schemathesis_finds_nothing(bkn_url, gateway.json()["access_token"], tmp_path, config)
