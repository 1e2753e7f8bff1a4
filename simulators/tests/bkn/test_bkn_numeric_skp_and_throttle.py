"""The numeric SKP save (PP 46/2011, for recaps that still carry numbers) and the injected 429
("throttle") fault with a chosen Retry-After, over a real uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bkpsdm.simulators.bkn import BknSimConfig, FaultConfig, FaultRule, serve_in_thread
from bkpsdm.simulators.bkn.__main__ import build_config, parse_args
from bkpsdm.simulators.bkn.reference import DEFAULT_UNOR

CONFIG = BknSimConfig()
URL = "/apisiasn/1.0/skp/save"
NIP = "199001012015031001"


def numeric(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nip": NIP,
        "tahun": 2021,
        "nilaiSkp": 100,
        "nilaiPerilakuKerja": 76,
        "nilaiPrestasiKerja": 90.4,
        "unorId": DEFAULT_UNOR[1].id,
        "penilaiNama": "Dra. Siti Rahmawati",
        "penilaiNipNrp": "197501012000032001",
        "penilaiJabatan": "Kepala Bidang Mutasi",
        "penilaiUnorNama": "BKPSDM",
        "penilaiGolongan": "IV/a",
    }
    return {k: v for k, v in {**body, **changes}.items() if v is not None}


def tokens(client: httpx.Client) -> dict[str, str]:
    gateway = client.post(
        "/oauth2/token",
        auth=(CONFIG.consumer_key, CONFIG.consumer_secret),
        data={"grant_type": "client_credentials"},
    ).json()["access_token"]
    user, password = next(iter(CONFIG.sso_users.items()))
    sso = client.post(
        "/sso/token",
        data={
            "grant_type": "password",
            "client_id": CONFIG.sso_client_id,
            "username": user,
            "password": password,
        },
    ).json()["access_token"]
    return {"Authorization": f"Bearer {gateway}", "Auth": f"bearer {sso}"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(CONFIG) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5) as c:
        c.delete("/sim/records")
        c.put("/sim/faults", json=FaultConfig().model_dump())
        c.headers.update(tokens(c))
        yield c


def test_a_numeric_skp_is_stored_per_employee_and_year_and_read_back(client: httpx.Client) -> None:
    first = client.post(URL, json=numeric(), headers={"Idempotency-Key": "n-1"})
    again = client.post(URL, json=numeric(nilaiSkp=None, nilaiPerilakuKerja=None, nilaiPrestasiKerja=88))
    records = client.get("/sim/records", params={"kind": "skp-pp46"}).json()
    history = client.get(f"/apisiasn/1.0/pns/rw-skp/{NIP}").json()
    assert first.status_code == again.status_code == 200
    assert records["count"] == 1
    assert records["records"][0]["natural_key"] == f"{NIP}/2021"
    assert records["records"][0]["writes"] == 2
    assert history["data"][0]["nilaiPrestasiKerja"] == 88
    assert client.get("/sim/records", params={"kind": "skp"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"nilaiPrestasiKerja": 95}, "nilaiPrestasiKerja", "PRESTASI_MISMATCH"),
        ({"nilaiSkp": 101}, "nilaiSkp", "SCORE_OUT_OF_RANGE"),
        ({"tahun": 2013}, "tahun", "TAHUN_OUT_OF_RANGE"),
        ({"nilaiPrestasiKerja": None}, "nilaiPrestasiKerja", "FIELD_REQUIRED"),
        ({"unorId": "X"}, "unorId", "UNOR_NOT_FOUND"),
        ({"penilaiNipNrp": "123"}, "penilaiNipNrp", "NIP_INVALID"),
    ],
)
def test_a_numeric_skp_is_validated_in_bkn_style(
    client: httpx.Client, changes: dict[str, Any], field: str, code: str
) -> None:
    answer = client.post(URL, json=numeric(**changes))
    assert answer.status_code == 422
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in answer.json()["errors"]
    ]


def test_the_throttle_fault_answers_429_with_the_chosen_retry_after(client: httpx.Client) -> None:
    rule = FaultRule(kind="throttle", rate=1.0, count=2, retry_after_s=0)
    client.put("/sim/faults", json=FaultConfig(rules=[rule]).model_dump())
    answers = [client.post(URL, json=numeric()) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "0"
    assert answers[0].json()["fault"]["code"] == 900800
    assert client.get("/sim/stats").json()["faults"]["throttle"] == {"before": 2, "after": 0}


def test_the_throttle_fault_can_be_switched_on_from_the_command_line() -> None:
    config = build_config(parse_args(["--fault", "throttle:0.05", "--fault", "drop:0.05:after:save"]))
    assert [(r.kind, r.rate, r.retry_after_s) for r in config.faults.rules] == [
        ("throttle", 0.05, 1),
        ("drop", 0.05, 1),
    ]
