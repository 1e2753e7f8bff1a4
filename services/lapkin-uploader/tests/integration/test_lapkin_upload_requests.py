"""Upload requests end to end on the real broker, database and BKN simulator: rows BKN refuses
are reported (not retried), older numeric recaps go to the numeric SKP save, the report agrees
with what BKN stored and is shown only to those allowed; bad requests are dead-lettered with a
readable error and the consumer keeps going; another service's request is left alone."""

from __future__ import annotations

import functools
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import LAPKIN_UPLOADS, UPLOAD_REQUESTS
from bkpsdm.common.topics import dead_letter_topic
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.uploads import (
    ELAPKIN_HEADER,
    RecapServer,
    elapkin_row,
    publish,
    recap_csv,
    simulator_records,
    simulator_stats,
    topic_tail,
    upload_request,
)

pytestmark = pytest.mark.integration

NUMERIC_HEADER = ("NIP", "Nama", "Unit Kerja", "Periode", "Nilai SKP", "Nilai Perilaku")


def keyed(key: str, record: Any) -> bool:
    return bool(record.key == key.encode())


def _sid() -> str:
    return f"sub-{uuid.uuid4().hex[:10]}"


async def test_rows_bkn_refuses_are_reported_once_and_the_report_matches_bkn(
    infra: Infra,
    recaps: RecapServer,
    simulator: Callable[..., str],
    lapkin_settings: Callable[..., Any],
    lapkin: Callable[..., Any],
) -> None:
    bkn = simulator({"seed": 7, "rules": [{"kind": "error_5xx", "rate": 0.1}]})
    submission = _sid()
    rows = [elapkin_row(i, "2025") for i in range(40)]
    for i in (3, 17, 29):
        rows[i]["Unit Kerja"] = "Dinas Yang Tidak Ada"  # BKN does not know the unit: refused
    rows[35]["Hasil Kerja"] = ""  # a rating missing: refused before sending
    request = upload_request(
        submission, "E-LAPKIN", recaps.add(submission, recap_csv(ELAPKIN_HEADER, rows), 40), unit="DISDIK"
    )
    async with (
        topic_tail(infra.kafka_bootstrap_servers, LAPKIN_UPLOADS.name) as results,
        lapkin(lapkin_settings(bkn)) as (_, client),
    ):
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, request, "cid-partial")
        finished = results.value(await results.wait_for(lambda r: r.key == submission.encode(), 60))
        report_url = finished["report_url"]
        officials = {
            role: await client.get(report_url, headers=bearer(role))
            for role in (Role.UNIT_PENGOLAH, Role.KEPALA_BIDANG, Role.KEPALA_BADAN)
        }
        own_unit = await client.get(report_url, headers=bearer(Role.PERANGKAT_DAERAH, unit="DISDIK"))
        other_unit = await client.get(report_url, headers=bearer(Role.PERANGKAT_DAERAH, unit="DINKES"))
        sekretaris = await client.get(report_url, headers=bearer(Role.SEKRETARIS))
        anonymous = await client.get(report_url)
        listed_other = await client.get(
            "/api/v1/uploads", headers=bearer(Role.PERANGKAT_DAERAH, unit="DINKES")
        )
        xlsx = await client.get(f"{report_url}.xlsx", headers=bearer(Role.KEPALA_BIDANG))
        pdf = await client.get(f"{report_url}.pdf", headers=bearer(Role.KEPALA_BADAN))
        export_by_unit = await client.get(
            f"/api/v1/uploads/{request.request_id}/export.csv",
            headers=bearer(Role.PERANGKAT_DAERAH, unit="DISDIK"),
        )

    stored = await simulator_records(bkn, "skp")
    assert stored["count"] == 36
    assert finished["outcome"] == "PARTIALLY_COMPLETED"
    assert (finished["rows_stored"], finished["rows_rejected"], finished["rows_failed"]) == (36, 4, 0)
    assert any("UNOR_NOT_FOUND" in reason and "3 baris" in reason for reason in finished["reasons"])

    assert {r.status_code for r in officials.values()} == {200}
    report = officials[Role.KEPALA_BADAN].json()
    assert report["title"] == "Laporan Data E-LAPKIN"
    assert report["counts"] == {
        "total": 40,
        "stored": 36,
        "exported": 0,
        "rejected": 4,
        "failed": 0,
        "pending": 0,
    }
    assert report["rules"]["version"] == "2022.1"
    refused = {r["row"]: r for r in report["rows_not_stored"]}
    assert set(refused) == {5, 19, 31, 37}  # file rows: the header is row 1
    assert [x["code"] for x in refused[5]["reasons"]] == ["UNOR_NOT_FOUND"]
    assert (await simulator_stats(bkn))["validation_failures"] == 3  # each refused once, never retried
    assert [x["code"] for x in refused[37]["reasons"]] == ["SKP_INPUT_INCOMPLETE"]
    assert refused[37]["attempts"] == 0  # never sent
    assert {u["unit_kerja"]: u["stored"] for u in report["per_unit"]} == {
        "Dinas Pendidikan": 36,
        "Dinas Yang Tidak Ada": 0,
    }

    assert own_unit.status_code == 200
    assert (other_unit.status_code, other_unit.json()["code"]) == (404, "UPLOAD_NOT_FOUND")
    assert (sekretaris.status_code, sekretaris.json()["code"]) == (403, "FORBIDDEN_ROLE")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "TOKEN_MISSING")
    assert listed_other.json() == []
    assert (export_by_unit.status_code, export_by_unit.json()["code"]) == (403, "FORBIDDEN_ROLE")

    workbook = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert workbook.sheetnames == [
        "Ringkasan",
        "Per Unit Kerja",
        "Per Predikat",
        "Tidak Tersimpan",
        "Semua Baris",
    ]
    assert len(list(workbook["Tidak Tersimpan"].iter_rows(min_row=2))) == 4
    assert len(list(workbook["Semua Baris"].iter_rows(min_row=2))) == 40
    assert pdf.content.startswith(b"%PDF")


async def test_a_numeric_recap_goes_to_the_numeric_skp_with_the_pp46_predikat(
    infra: Infra,
    recaps: RecapServer,
    simulator: Callable[..., str],
    lapkin_settings: Callable[..., Any],
    lapkin: Callable[..., Any],
) -> None:
    bkn = simulator()
    submission = _sid()
    scores = [(100, 76), (90, 90), (50, 100)]  # 90,4 Sangat Baik; 90 Baik; 70 Cukup
    rows = [
        {**elapkin_row(i, "2021"), "Nilai SKP": skp, "Nilai Perilaku": perilaku}
        for i, (skp, perilaku) in enumerate(scores)
    ]
    request = upload_request(
        submission, "E-LAPKIN", recaps.add(submission, recap_csv(NUMERIC_HEADER, rows), 3)
    )
    async with (
        topic_tail(infra.kafka_bootstrap_servers, LAPKIN_UPLOADS.name) as results,
        lapkin(lapkin_settings(bkn)) as (_, client),
    ):
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, request)
        finished = results.value(await results.wait_for(lambda r: r.key == submission.encode(), 60))
        xlsx = await client.get(f"{finished['report_url']}.xlsx", headers=bearer(Role.UNIT_PENGOLAH))

    assert finished["outcome"] == "COMPLETED"
    stored = await simulator_records(bkn, "skp-pp46")
    by_nip = {r["record"]["nip"]: r["record"] for r in stored["records"]}
    assert [by_nip[row["NIP"]]["nilaiPrestasiKerja"] for row in rows] == [90.4, 90.0, 70.0]
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True)["Semua Baris"]
    header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [v[header.index("Predikat")] for v in values] == ["Sangat Baik", "Baik", "Cukup"]
    assert {v[header.index("Aturan")] for v in values} == {"skala angka PP 46/2011"}


async def test_bad_requests_are_dead_lettered_with_a_readable_error_and_the_next_is_handled(
    infra: Infra,
    recaps: RecapServer,
    simulator: Callable[..., str],
    lapkin_settings: Callable[..., Any],
    lapkin: Callable[..., Any],
) -> None:
    bkn = simulator()
    rows = [elapkin_row(i, "2025") for i in range(3)]
    data = recap_csv(ELAPKIN_HEADER, rows)
    unknown, tampered, malformed, foreign, good = (_sid() for _ in range(5))
    reference = recaps.add(tampered, data, 3)
    recaps.add(tampered, data + b"\r\n199001012015031999,Penyusup,Dinas Pendidikan,2025,1,1,1\r\n", 4)
    requests = {
        unknown: upload_request(
            unknown,
            "E-LAPKIN",
            recaps.add(good, data, 3).model_copy(update={"url": f"/internal/v1/submissions/{unknown}/recap"}),
        ),
        tampered: upload_request(tampered, "E-LAPKIN", reference),
        foreign: upload_request(foreign, "IP-ASN", recaps.add(foreign, data, 3)),
        good: upload_request(good, "E-LAPKIN", recaps.add(good, data, 3)),
    }
    dlq = dead_letter_topic(UPLOAD_REQUESTS.name)
    async with (
        topic_tail(infra.kafka_bootstrap_servers, dlq) as dead,
        topic_tail(infra.kafka_bootstrap_servers, LAPKIN_UPLOADS.name) as results,
        lapkin(lapkin_settings(bkn)) as (_, client),
    ):
        for submission in (unknown, tampered):
            await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, requests[submission])
        await publish(
            infra.kafka_bootstrap_servers,
            UPLOAD_REQUESTS,
            requests[good].model_copy(update={"submission_id": malformed}),
            raw=b'{"request_id": "x", "submission_id": "' + malformed.encode() + b'"}',
        )
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, requests[foreign])
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, requests[good])
        errors = {}
        for submission in (unknown, tampered, malformed):
            record = await dead.wait_for(functools.partial(keyed, submission), 60)
            errors[submission] = dead.headers(record)["dlq_error"]
        finished = results.value(await results.wait_for(lambda r: r.key == good.encode(), 60))
        foreign_seen = await client.get(
            "/api/v1/uploads", params={"submission_id": foreign}, headers=bearer(Role.UNIT_PENGOLAH)
        )

    assert errors[unknown].startswith("SUBMISSION_UNKNOWN: intake answered 404")
    assert errors[tampered].startswith("RECAP_HASH_MISMATCH:")
    assert "case_id: Field required" in errors[malformed]
    assert finished["outcome"] == "COMPLETED"
    assert foreign_seen.json() == []  # the IP-ASN uploader's request
