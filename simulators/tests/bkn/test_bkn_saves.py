"""SKP and IP-ASN saves over a real uvicorn server: validation, upserts, idempotency, read-back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bkpsdm.simulators.bkn import BknSimConfig, serve_in_thread
from bkpsdm.simulators.bkn.reference import DEFAULT_JABATAN, DEFAULT_UNOR
from bkpsdm.simulators.bkn.validation import KUADRAN_BY_RATINGS

CONFIG = BknSimConfig()
NIP = "199001012015031001"
UNOR_BKPSDM = DEFAULT_UNOR[1].id
SKP_URL = "/apisiasn/1.0/skp22/save"
DROP = object()  # marks a field left out of the body
IPASN_URL = "/apisiasn/1.0/ipasn/save"


def skp(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nip": NIP,
        "tahun": 2024,
        "hasilKinerjaNilai": 2,
        "perilakuKerjaNilai": 1,
        "kuadranKinerjaNilai": 2,
        "unorId": UNOR_BKPSDM,
        "jabatanId": DEFAULT_JABATAN[1].id,
        "penilaiNama": "Dra. Siti Rahmawati",
        "penilaiNipNrp": "197501012000032001",
        "penilaiJabatan": "Kepala Bidang Mutasi",
        "penilaiUnorNama": "BKPSDM",
        "penilaiGolongan": "41",
        "statusPenilai": "ASN",
        "path": [
            {"dok_id": "873", "dok_nama": "SKP 2024", "dok_uri": "dok/873", "object": "skp", "slug": "873"}
        ],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not DROP}


def ipasn(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nip": NIP,
        "periode": "2024",
        "unorId": UNOR_BKPSDM,
        "jabatanId": DEFAULT_JABATAN[1].id,
        "tingkatPendidikanId": "40",
        "nilaiKualifikasi": 15,
        "nilaiKompetensi": 25,
        "nilaiKinerja": 25,
        "nilaiDisiplin": 5,
        "nilaiTotal": 70,
        "kategori": "Rendah",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not DROP}


def token_headers(client: httpx.Client, config: BknSimConfig) -> dict[str, str]:
    gateway = client.post(
        "/oauth2/token",
        auth=(config.consumer_key, config.consumer_secret),
        data={"grant_type": "client_credentials"},
    )
    user, password = next(iter(config.sso_users.items()))
    sso = client.post(
        "/sso/token",
        data={
            "grant_type": "password",
            "client_id": config.sso_client_id,
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
        c.delete("/sim/records")
        c.delete("/sim/stats")
        c.headers.update(token_headers(c, CONFIG))
        yield c


def stored(client: httpx.Client, kind: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get("/sim/records", params={"kind": kind}).json()
    return answer


def test_skp_save_is_stored_and_read_back(client: httpx.Client) -> None:
    r = client.post(SKP_URL, json=skp())
    assert r.status_code == 200
    assert r.json()["success"] is True
    record_id = r.json()["mapData"]["id"]

    records = stored(client, "skp")
    assert records["count"] == 1
    assert records["total_writes"] == 1
    assert records["records"][0]["id"] == record_id
    assert records["records"][0]["natural_key"] == f"{NIP}/2024"
    assert records["records"][0]["record"] == skp()
    history = client.get(f"/apisiasn/1.0/pns/rw-skp22/{NIP}").json()["data"]
    assert [h["id"] for h in history] == [record_id]
    assert stored(client, "ipasn")["count"] == 0


def test_ipasn_save_is_stored_and_read_back(client: httpx.Client) -> None:
    r = client.post(IPASN_URL, json=ipasn())
    assert r.status_code == 200
    records = stored(client, "ipasn")
    assert records["count"] == 1
    assert records["records"][0]["natural_key"] == f"{NIP}/2024"
    assert client.get(f"/apisiasn/1.0/pns/rw-ipasn/{NIP}").json()["data"][0]["nilaiTotal"] == 70


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (skp(nip="12345"), "nip", "NIP_INVALID"),
        (skp(nip="19900101201503100A"), "nip", "NIP_INVALID"),
        (skp(nip="١٩٩٠٠١٠١٢٠١٥٠٣١٠٠١"), "nip", "NIP_INVALID"),  # Arabic-Indic digits
        (skp(penilaiNipNrp="1975"), "penilaiNipNrp", "NIP_INVALID"),
        (skp(unorId="UNKNOWN-UNIT"), "unorId", "UNOR_NOT_FOUND"),
        (skp(jabatanId="UNKNOWN-JAB"), "jabatanId", "JABATAN_NOT_FOUND"),
        (
            skp(hasilKinerjaNilai=2, perilakuKerjaNilai=1, kuadranKinerjaNilai=1),
            "kuadranKinerjaNilai",
            "KUADRAN_INCONSISTENT",
        ),
        (skp(kuadranKinerjaNilai=6), "kuadranKinerjaNilai", "KUADRAN_OUT_OF_RANGE"),
        (skp(hasilKinerjaNilai=4), "hasilKinerjaNilai", "RATING_OUT_OF_RANGE"),
        (skp(perilakuKerjaNilai=0), "perilakuKerjaNilai", "RATING_OUT_OF_RANGE"),
        (skp(tahun=2021), "tahun", "TAHUN_OUT_OF_RANGE"),
        (skp(tahun=2999), "tahun", "TAHUN_OUT_OF_RANGE"),
        (skp(tahun="dua ribu"), "tahun", "FIELD_TYPE"),
        (skp(penilaiNama=DROP), "penilaiNama", "FIELD_REQUIRED"),
        (skp(penilaiGolongan=""), "penilaiGolongan", "FIELD_REQUIRED"),
        (skp(statusPenilai="PEJABAT"), "statusPenilai", "FIELD_INVALID"),
    ],
)
def test_invalid_skp_record_is_rejected_with_field_error(
    client: httpx.Client, body: dict[str, Any], field: str, code: str
) -> None:
    r = client.post(SKP_URL, json=body)
    assert r.status_code == 422
    answer = r.json()
    assert answer["success"] is False
    assert answer["code"] == "VALIDATION_FAILED"
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in answer["errors"]
    ]
    assert all(e["message"] for e in answer["errors"])
    assert stored(client, "skp")["count"] == 0


def test_non_asn_assessor_may_have_an_nrp(client: httpx.Client) -> None:
    assert (
        client.post(SKP_URL, json=skp(statusPenilai="NON ASN", penilaiNipNrp="NRP 65010123")).status_code
        == 200
    )


def test_every_kuadran_is_checked_against_the_predikat_matrix(client: httpx.Client) -> None:
    for (hasil, perilaku), expected in KUADRAN_BY_RATINGS.items():
        for kuadran in range(1, 6):
            body = skp(hasilKinerjaNilai=hasil, perilakuKerjaNilai=perilaku, kuadranKinerjaNilai=kuadran)
            status = client.post(SKP_URL, json=body).status_code
            assert status == (200 if kuadran == expected else 422), (hasil, perilaku, kuadran)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (ipasn(nip="1990"), "nip", "NIP_INVALID"),
        (ipasn(unorId="NOPE"), "unorId", "UNOR_NOT_FOUND"),
        (ipasn(periode="24"), "periode", "PERIODE_INVALID"),
        (ipasn(periode="2018"), "periode", "PERIODE_INVALID"),
        (ipasn(tingkatPendidikanId="99"), "tingkatPendidikanId", "PENDIDIKAN_NOT_FOUND"),
        (
            ipasn(nilaiKualifikasi=26, nilaiTotal=81, kategori="Tinggi"),
            "nilaiKualifikasi",
            "SCORE_OUT_OF_RANGE",
        ),
        (ipasn(nilaiKompetensi=-1), "nilaiKompetensi", "SCORE_OUT_OF_RANGE"),
        (ipasn(nilaiKinerja=31), "nilaiKinerja", "SCORE_OUT_OF_RANGE"),
        (ipasn(nilaiDisiplin=6), "nilaiDisiplin", "SCORE_OUT_OF_RANGE"),
        (ipasn(nilaiTotal=101, kategori="Sangat Tinggi"), "nilaiTotal", "SCORE_OUT_OF_RANGE"),
        (ipasn(nilaiTotal=75, kategori="Sedang"), "nilaiTotal", "TOTAL_MISMATCH"),
        (ipasn(kategori="Sedang"), "kategori", "KATEGORI_INCONSISTENT"),
        (ipasn(nilaiKinerja="tinggi"), "nilaiKinerja", "FIELD_TYPE"),
        (ipasn(kategori=DROP), "kategori", "FIELD_REQUIRED"),
    ],
)
def test_invalid_ipasn_record_is_rejected_with_field_error(
    client: httpx.Client, body: dict[str, Any], field: str, code: str
) -> None:
    r = client.post(IPASN_URL, json=body)
    assert r.status_code == 422
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert stored(client, "ipasn")["count"] == 0


@pytest.mark.parametrize(
    ("scores", "kategori"),
    [
        ((25, 40, 30, 5), "Sangat Tinggi"),
        ((25, 40, 25.5, 0), "Sangat Tinggi"),  # 90.5
        ((25, 40, 25, 0), "Tinggi"),  # 90 is the top of (80, 90]
        ((15, 40, 25, 0.5), "Tinggi"),  # 80.5
        ((15, 40, 25, 0), "Sedang"),  # 80
        ((15, 22.5, 30, 3), "Sedang"),  # 70.5
        ((15, 22.5, 25, 2), "Rendah"),  # 64.5
        ((15, 15, 25, 5), "Sangat Rendah"),  # 60 belongs to [0, 60]
        ((1, 0, 1, 1), "Sangat Rendah"),
    ],
)
def test_ipasn_kategori_follows_half_open_bands(
    client: httpx.Client, scores: tuple[float, float, float, float], kategori: str
) -> None:
    kualifikasi, kompetensi, kinerja, disiplin = scores
    body = ipasn(
        nilaiKualifikasi=kualifikasi,
        nilaiKompetensi=kompetensi,
        nilaiKinerja=kinerja,
        nilaiDisiplin=disiplin,
        nilaiTotal=sum(scores),
        kategori=kategori,
    )
    assert client.post(IPASN_URL, json=body).status_code == 200


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b"null"])
def test_body_that_is_not_a_json_object_is_400(client: httpx.Client, content: bytes) -> None:
    r = client.post(SKP_URL, content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "BAD_REQUEST"


def test_resave_of_same_nip_and_year_replaces_and_counts_writes(client: httpx.Client) -> None:
    first = client.post(SKP_URL, json=skp()).json()["mapData"]["id"]
    second = client.post(SKP_URL, json=skp(hasilKinerjaNilai=1, kuadranKinerjaNilai=1)).json()["mapData"][
        "id"
    ]
    client.post(SKP_URL, json=skp(tahun=2023))

    records = {r["natural_key"]: r for r in stored(client, "skp")["records"]}
    assert first == second
    assert records[f"{NIP}/2024"]["writes"] == 2
    assert records[f"{NIP}/2024"]["record"]["kuadranKinerjaNilai"] == 1
    assert records[f"{NIP}/2023"]["writes"] == 1
    assert stored(client, "skp")["total_writes"] == 3


def test_same_idempotency_key_and_body_replays_first_result_without_storing(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "lapkin-42-row-7"}
    first = client.post(SKP_URL, json=skp(), headers=headers)
    again = client.post(SKP_URL, json=skp(), headers=headers)

    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    records = stored(client, "skp")
    assert records["total_writes"] == 1
    assert records["records"][0]["idempotency_keys"] == ["lapkin-42-row-7"]
    assert records["idempotency_keys"]["lapkin-42-row-7"] == {
        "natural_key": f"{NIP}/2024",
        "writes": 1,
        "replays": 1,
        "conflicts": 0,
        "status": 200,
    }
    assert client.get("/sim/stats").json()["idempotent_replays"] == 1


def test_same_idempotency_key_with_other_body_is_409_and_stores_nothing(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-1"}
    client.post(SKP_URL, json=skp(), headers=headers)
    r = client.post(SKP_URL, json=skp(tahun=2023), headers=headers)

    assert r.status_code == 409
    assert r.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    records = stored(client, "skp")
    assert records["count"] == 1
    assert records["idempotency_keys"]["k-1"]["conflicts"] == 1


def test_idempotency_key_is_not_shared_between_skp_and_ipasn(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "shared"}
    assert client.post(SKP_URL, json=skp(), headers=headers).status_code == 200
    assert client.post(IPASN_URL, json=ipasn(), headers=headers).status_code == 409


def test_rejected_record_does_not_use_up_its_idempotency_key(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "retry-after-fix"}
    assert client.post(SKP_URL, json=skp(nip="1"), headers=headers).status_code == 422
    assert client.post(SKP_URL, json=skp(), headers=headers).status_code == 200


def test_reference_lookups_serve_units_positions_and_education_codes(client: httpx.Client) -> None:
    unor = client.get("/apisiasn/1.0/referensi/ref-unor").json()["data"]
    jabatan = client.get("/apisiasn/1.0/referensi/ref-jabatan").json()["data"]
    pendidikan = client.get("/apisiasn/1.0/referensi/ref-tingkat-pendidikan").json()["data"]

    assert UNOR_BKPSDM in {u["id"] for u in unor}
    assert {j["jenis"] for j in jabatan} == {"STRUKTURAL", "FUNGSIONAL", "PELAKSANA"}
    codes = {p["id"]: p["nama"] for p in pendidikan}
    assert codes["05"] == "SD"
    assert codes["40"] == "S-1"
    assert codes["50"] == "S-3"
    assert set(codes) == {"05", "10", "15", "20", "25", "30", "35", "40", "42", "45", "47", "49", "50"}


def test_delete_records_resets_the_store(client: httpx.Client) -> None:
    client.post(SKP_URL, json=skp(), headers={"Idempotency-Key": "x"})
    client.post(IPASN_URL, json=ipasn())
    assert client.delete("/sim/records").status_code == 200
    assert stored(client, "skp") == {
        "kind": "skp",
        "count": 0,
        "total_writes": 0,
        "records": [],
        "idempotency_keys": {},
    }
    assert stored(client, "ipasn")["count"] == 0
    assert client.post(SKP_URL, json=skp(tahun=2023), headers={"Idempotency-Key": "x"}).status_code == 200


def test_records_endpoint_rejects_unknown_kind(client: httpx.Client) -> None:
    assert client.get("/sim/records", params={"kind": "cuti"}).status_code == 422
