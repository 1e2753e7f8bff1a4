"""Fault injection seen by httpx: 429 with Retry-After, 5xx, timeouts, dropped connections, HTML answers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bkpsdm.simulators.bkn import BknSimConfig, FaultConfig, FaultRule, serve_in_thread
from bkpsdm.simulators.bkn.__main__ import build_config, parse_args
from bkpsdm.simulators.bkn.reference import DEFAULT_UNOR
from bkpsdm.testing.processes import free_port

CONFIG = BknSimConfig()
SKP_URL = "/apisiasn/1.0/skp22/save"
REF_UNOR = "/apisiasn/1.0/referensi/ref-unor"
SKP = {
    "nip": "198503302010012001",
    "tahun": 2024,
    "hasilKinerjaNilai": 3,
    "perilakuKerjaNilai": 3,
    "kuadranKinerjaNilai": 5,
    "unorId": DEFAULT_UNOR[2].id,
    "penilaiNama": "dr. Bambang Susilo",
    "penilaiNipNrp": "197001011995031001",
    "penilaiJabatan": "Kepala Dinas Kesehatan",
    "penilaiUnorNama": "Dinas Kesehatan",
    "penilaiGolongan": "42",
}


def token_headers(client: httpx.Client) -> dict[str, str]:
    gateway = client.post(
        "/oauth2/token",
        auth=(CONFIG.consumer_key, CONFIG.consumer_secret),
        data={"grant_type": "client_credentials"},
    )
    user, password = next(iter(CONFIG.sso_users.items()))
    sso = client.post(
        "/sso/token",
        data={
            "grant_type": "password",
            "client_id": CONFIG.sso_client_id,
            "username": user,
            "password": password,
        },
    )
    return {
        "Authorization": f"Bearer {gateway.json()['access_token']}",
        "Auth": f"bearer {sso.json()['access_token']}",
    }


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(CONFIG) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5) as c:
        c.put("/sim/faults", json={})
        c.delete("/sim/records")
        c.headers.update(token_headers(c))
        c.delete("/sim/stats")
        yield c


def set_faults(client: httpx.Client, **config: Any) -> None:
    r = client.put("/sim/faults", json=FaultConfig.model_validate(config).model_dump())
    assert r.status_code == 200


def skp_writes(client: httpx.Client) -> int:
    total: int = client.get("/sim/records", params={"kind": "skp"}).json()["total_writes"]
    return total


def test_rate_limit_answers_429_with_retry_after(client: httpx.Client) -> None:
    set_faults(client, rate_limit_rps=1, rate_limit_burst=2)
    statuses = [client.get(REF_UNOR).status_code for _ in range(3)]
    throttled = client.get(REF_UNOR)

    assert statuses[:2] == [200, 200]
    assert statuses[2] == throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["fault"]["code"] == 900800
    assert client.get("/sim/stats").json()["rate_limited"] == 2
    time.sleep(1.05)  # one request per second refills one token
    assert client.get(REF_UNOR).status_code == 200


def test_rate_limited_save_stores_nothing(client: httpx.Client) -> None:
    set_faults(client, rate_limit_rps=1, rate_limit_burst=1)
    client.get(REF_UNOR)
    assert client.post(SKP_URL, json=SKP).status_code == 429
    assert skp_writes(client) == 0


@pytest.mark.parametrize(("phase", "writes"), [("before", 0), ("after", 1)])
@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_fault_before_or_after_storing(
    client: httpx.Client, phase: str, writes: int, status: int
) -> None:
    set_faults(client, rules=[{"kind": "error_5xx", "rate": 1.0, "phase": phase, "statuses": [status]}])
    r = client.post(SKP_URL, json=SKP)
    assert r.status_code == status
    assert r.json()["success"] is False
    assert skp_writes(client) == writes


@pytest.mark.parametrize(("phase", "writes"), [("before", 0), ("after", 1)])
def test_timeout_fault_makes_the_client_time_out(client: httpx.Client, phase: str, writes: int) -> None:
    set_faults(client, rules=[{"kind": "timeout", "rate": 1.0, "phase": phase, "delay_s": 0.8}])
    with pytest.raises(httpx.ReadTimeout):
        client.post(SKP_URL, json=SKP, timeout=0.3)
    assert skp_writes(client) == writes


@pytest.mark.parametrize(("phase", "status", "writes"), [("before", 504, 0), ("after", 200, 1)])
def test_timeout_fault_answers_late_for_a_patient_client(
    client: httpx.Client, phase: str, status: int, writes: int
) -> None:
    set_faults(client, rules=[{"kind": "timeout", "rate": 1.0, "phase": phase, "delay_s": 0.3}])
    started = time.monotonic()
    r = client.post(SKP_URL, json=SKP)
    assert time.monotonic() - started >= 0.3
    assert r.status_code == status
    assert skp_writes(client) == writes


@pytest.mark.parametrize(("phase", "writes"), [("before", 0), ("after", 1)])
def test_dropped_connection_gives_no_response(client: httpx.Client, phase: str, writes: int) -> None:
    set_faults(client, rules=[{"kind": "drop", "rate": 1.0, "phase": phase}])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(SKP_URL, json=SKP)
    assert skp_writes(client) == writes
    assert client.get("/sim/stats").json()["faults"] == {"drop": {"before": 1 - writes, "after": writes}}


@pytest.mark.parametrize(("phase", "status", "writes"), [("before", 502, 0), ("after", 200, 1)])
def test_non_json_fault_answers_an_html_page(
    client: httpx.Client, phase: str, status: int, writes: int
) -> None:
    set_faults(client, rules=[{"kind": "non_json", "rate": 1.0, "phase": phase, "statuses": [status]}])
    r = client.post(SKP_URL, json=SKP)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert skp_writes(client) == writes


def test_drop_after_storing_turns_a_blind_retry_into_a_duplicate_write(client: httpx.Client) -> None:
    set_faults(client, rules=[{"kind": "drop", "rate": 1.0, "phase": "after", "count": 1}])
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(SKP_URL, json=SKP)
    assert client.post(SKP_URL, json=SKP).status_code == 200
    assert skp_writes(client) == 2


def test_drop_after_storing_is_harmless_to_a_retry_with_the_same_idempotency_key(
    client: httpx.Client,
) -> None:
    set_faults(client, rules=[{"kind": "drop", "rate": 1.0, "phase": "after", "count": 1}])
    key = {"Idempotency-Key": "upload-9/row-1"}
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(SKP_URL, json=SKP, headers=key)
    retry = client.post(SKP_URL, json=SKP, headers=key)

    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    records = client.get("/sim/records", params={"kind": "skp"}).json()
    assert records["total_writes"] == 1
    assert records["idempotency_keys"]["upload-9/row-1"]["replays"] == 1


def test_fault_budget_stops_injecting_after_count(client: httpx.Client) -> None:
    set_faults(client, rules=[{"kind": "error_5xx", "rate": 1.0, "statuses": [503], "count": 2}])
    assert [client.get(REF_UNOR).status_code for _ in range(4)] == [503, 503, 200, 200]


def test_faults_are_reproducible_for_a_seed(client: httpx.Client) -> None:
    def run(seed: int) -> list[int]:
        set_faults(client, seed=seed, rules=[{"kind": "error_5xx", "rate": 0.5}])
        return [client.get(REF_UNOR).status_code for _ in range(24)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    assert {200} < set(first) <= {200, 500, 502, 503}


def test_save_scope_leaves_reads_alone(client: httpx.Client) -> None:
    set_faults(client, rules=[{"kind": "error_5xx", "rate": 1.0, "scope": "save", "statuses": [500]}])
    assert client.get(REF_UNOR).status_code == 200
    assert client.post(SKP_URL, json=SKP).status_code == 500


def test_all_scope_reaches_the_token_endpoints_but_never_sim(client: httpx.Client) -> None:
    set_faults(client, rules=[{"kind": "error_5xx", "rate": 1.0, "scope": "all", "statuses": [503]}])
    r = client.post(
        "/oauth2/token",
        auth=(CONFIG.consumer_key, CONFIG.consumer_secret),
        data={"grant_type": "client_credentials"},
    )
    assert r.status_code == 503
    assert client.get("/sim/stats").json()["faults"] == {"error_5xx": {"before": 1, "after": 0}}


def test_api_scope_spares_the_token_endpoints(client: httpx.Client) -> None:
    set_faults(client, rules=[{"kind": "drop", "rate": 1.0}])
    r = client.post(
        "/oauth2/token",
        auth=(CONFIG.consumer_key, CONFIG.consumer_secret),
        data={"grant_type": "client_credentials"},
    )
    assert r.status_code == 200


def test_latency_delays_every_answer(client: httpx.Client) -> None:
    set_faults(client, latency_ms=150, latency_jitter_ms=50)
    started = time.monotonic()
    assert client.get(REF_UNOR).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_fault_config_is_read_back_and_validated(client: httpx.Client) -> None:
    set_faults(client, seed=3, rules=[{"kind": "timeout", "rate": 0.25, "phase": "after", "delay_s": 2}])
    current = client.get("/sim/faults").json()
    assert current["seed"] == 3
    assert current["rules"][0]["kind"] == "timeout"
    assert current["rules"][0]["phase"] == "after"
    assert client.put("/sim/faults", json={"rules": [{"kind": "drop", "rate": 2}]}).status_code == 422
    assert client.put("/sim/faults", json={"rules": [{"kind": "melt", "rate": 0.1}]}).status_code == 422


def test_faults_configured_at_start_apply_from_the_first_request() -> None:
    config = BknSimConfig(faults=FaultConfig(rules=[FaultRule(kind="error_5xx", rate=1.0, statuses=[502])]))
    with serve_in_thread(config) as url, httpx.Client(base_url=url, timeout=5) as client:
        client.headers.update(token_headers(client))
        assert client.get(REF_UNOR).status_code == 502


def test_cli_flags_build_the_fault_config(tmp_path: Path) -> None:
    file = tmp_path / "sim.json"
    file.write_text(
        json.dumps({"sso_users": {"op": "pw"}, "faults": {"rules": [{"kind": "drop", "rate": 0.1}]}})
    )
    args = parse_args(
        [
            "--config",
            str(file),
            "--seed",
            "11",
            "--rate-limit-rps",
            "5",
            "--latency-ms",
            "20",
            "--fault",
            "timeout:0.2:after:save",
            "--fault",
            "non_json:0.05",
            "--sso-token-ttl-s",
            "30",
        ]
    )
    config = build_config(args)
    assert config.sso_users == {"op": "pw"}
    assert config.sso_token_ttl_s == 30
    assert config.faults.seed == 11
    assert config.faults.rate_limit_rps == 5
    assert config.faults.latency_ms == 20
    assert [(r.kind, r.rate, r.phase, r.scope) for r in config.faults.rules] == [
        ("drop", 0.1, "before", "api"),
        ("timeout", 0.2, "after", "save"),
        ("non_json", 0.05, "before", "api"),
    ]


def test_module_runs_as_a_server_process() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bkpsdm.simulators.bkn", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/sim/stats", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200
        assert answer.json()["requests"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
