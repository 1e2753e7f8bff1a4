"""The complaints service's public figures over HTTP on the real database, signed in by nobody:
the year's IKM per semester (overall and per service) from survey answers, and the complaints
received per month and status, counted exactly and holding nothing of any complaint."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
CODES = [
    "persyaratan",
    "prosedur",
    "waktu_penyelesaian",
    "biaya_tarif",
    "produk",
    "kompetensi_pelaksana",
    "perilaku_pelaksana",
    "penanganan_pengaduan",
    "sarana_prasarana",
]
# IP-ASN: the hand-computed example of tests/unit/test_ikm.py (81.94, B); E-LAPKIN: all 4 (100, A).
# All five together: element means 3.6 3.6 2.6 4.0 3.4 3.6 4.0 2.8 3.2, mean 3.4222 x 25 = 85.56 (B).
ANSWERS = [
    ("IP-ASN", (4, 4, 3, 4, 3, 4, 4, 3, 3)),
    ("IP-ASN", (3, 4, 3, 4, 3, 3, 4, 2, 3)),
    ("IP-ASN", (4, 3, 2, 4, 3, 4, 4, 3, 3)),
    ("IP-ASN", (3, 3, 1, 4, 4, 3, 4, 2, 3)),
    ("E-LAPKIN", (4,) * 9),
]


async def test_the_public_figures_count_exactly_and_need_no_sign_in(
    infra: Infra, pool: asyncpg.Pool, start_complaints: Any
) -> None:
    services = {"IP-ASN": "Pelayanan IP-ASN", "E-LAPKIN": "Pelayanan Pelaporan Kinerja PNS"}
    async with start_complaints(infra, pool, survey_services=services) as running:
        client = running.client
        empty = await client.get("/api/v1/ikm/summary", params={"year": 2026})
        assert (empty.status_code, empty.json()["periods"]) == (200, [])

        for n, (code, answers) in enumerate(ANSWERS, start=1):
            receipt = f"{code}/2026/{n:05d}"
            delivered = await client.post(
                "/api/v1/survey/deliveries",
                json={"receipt_number": receipt, "service_code": code, "perangkat_daerah": "DISDIK"},
                headers=OFFICER,
            )
            assert delivered.status_code == 200, delivered.text
            rated = await client.post(
                f"/api/v1/survey/{code}/responses",
                json={"receipt_number": receipt, "answers": dict(zip(CODES, answers, strict=True))},
            )
            assert rated.status_code == 201, rated.text

        summary = await client.get("/api/v1/ikm/summary", params={"year": 2026})
        assert summary.status_code == 200, summary.text
        body = summary.json()
        assert body["year"] == 2026
        assert body["rule_set_version"] == "permenpanrb-14-2017/default/2026.1"
        (semester,) = body["periods"]
        assert semester["period"] == "2026-S2"
        overall = semester["overall"]
        assert (overall["respondents"], overall["ikm"], overall["grade"], overall["grade_label"]) == (
            5,
            85.56,
            "B",
            "Baik",
        )
        assert [e["score"] for e in overall["elements"]] == [
            90.0,
            90.0,
            65.0,
            100.0,
            85.0,
            90.0,
            100.0,
            70.0,
            80.0,
        ]
        assert semester["services"] == [
            {
                "service_code": "E-LAPKIN",
                "service_name": "Pelayanan Pelaporan Kinerja PNS",
                "respondents": 1,
                "ikm": 100.0,
                "grade": "A",
                "grade_label": "Sangat Baik",
            },
            {
                "service_code": "IP-ASN",
                "service_name": "Pelayanan IP-ASN",
                "respondents": 4,
                "ikm": 81.94,
                "grade": "B",
                "grade_label": "Baik",
            },
        ]
        assert (await client.get("/api/v1/ikm/summary", params={"year": 2025})).json()["periods"] == []

        ids = []
        for n, rahasia in enumerate((False, False, True)):
            recorded = await client.post(
                "/api/v1/complaints",
                json={
                    "channel": "TATAP_MUKA",
                    "content": f"Pengaduan nomor {n}",
                    "rahasia": rahasia,
                    "reporter": {"name": "Siti Rahasia", "phone": "081234567890"},
                },
                headers=OFFICER,
            )
            assert recorded.status_code == 201, recorded.text
            ids.append(recorded.json()["complaint_id"])
        await running.act(ids[0], OFFICER, action="VERIFY")
        await running.act(ids[1], OFFICER, action="ARCHIVE", note="Duplikat")

        figures = await client.get("/api/v1/public/complaint-statistics", params={"year": 2026})
        assert figures.status_code == 200, figures.text
        counted = figures.json()
        assert counted["received"] == 3  # the rahasia one too: a count shows nothing of it
        assert [m["received"] for m in counted["by_month"]] == [0] * 10 + [3, 0]
        by_status = {s["status"]: s["count"] for s in counted["by_status"]}
        assert by_status == {
            "DITERIMA": 1,
            "TERVERIFIKASI": 1,
            "DITUNDA": 0,
            "BUKAN_WEWENANG": 0,
            "DIARSIPKAN": 1,
            "DIDISPOSISI": 0,
            "DITINDAKLANJUTI": 0,
            "DIJAWAB": 0,
            "SELESAI": 0,
        }
        assert "Siti" not in figures.text
        assert "Pengaduan nomor" not in figures.text
        assert counted["generated_at"] == "2026-11-30T09:00:00+07:00"
        assert (await client.get("/api/v1/public/complaint-statistics", params={"year": 2027})).json()[
            "received"
        ] == 0

        for path in ("/api/v1/ikm/summary", "/api/v1/public/complaint-statistics"):
            for year in (1999, 2028):
                refused = await client.get(path, params={"year": year})
                # the bounds are in the OpenAPI schema: refused as any out-of-schema value is
                assert (refused.status_code, refused.json()["code"]) == (422, "REQUEST_INVALID")
                assert refused.json()["details"]
