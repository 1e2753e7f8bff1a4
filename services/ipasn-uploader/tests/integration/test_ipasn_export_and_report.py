"""IP-ASN through the export-file adapter (BKN's API down or absent): every computed person goes
into the import file, which opens in openpyxl with BKN's field names; the report carries the
per-unit and per-category tables, each person's lost points and the results to review."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import IPASN_UPLOADS, UPLOAD_REQUESTS
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.uploads import (
    IPASN_HEADER,
    RecapServer,
    ipasn_row,
    publish,
    recap_csv,
    simulator_stats,
    topic_tail,
    upload_request,
)

pytestmark = pytest.mark.integration

EXPORT_COLUMNS = [
    "Baris",
    "Jenis",
    "Unit Kerja",
    "nip",
    "periode",
    "unorId",
    "tingkatPendidikanId",
    "nilaiKualifikasi",
    "nilaiKompetensi",
    "nilaiKinerja",
    "nilaiDisiplin",
    "nilaiTotal",
    "kategori",
]


async def test_the_export_file_adapter_writes_every_person_into_the_import_file(
    infra: Infra,
    recaps: RecapServer,
    simulator: Callable[..., str],
    ipasn_settings: Callable[..., Any],
    ipasn: Callable[..., Any],
) -> None:
    bkn = simulator()  # up, but the adapter must not call it
    submission = f"sub-{uuid.uuid4().hex[:10]}"
    rows = [ipasn_row(i, "2025", unit=("Dinas Pendidikan", "Dinas Kesehatan")[i % 2]) for i in range(30)]
    rows[4]["Pendidikan"] = "42"  # Profesi: unsettled mapping, flagged for review
    rows[7]["Pendidikan"] = "S9"  # unknown: refused before anything is sent
    request = upload_request(
        submission, "IP-ASN", recaps.add(submission, recap_csv(IPASN_HEADER, rows), 30), period="2025"
    )
    async with (
        topic_tail(infra.kafka_bootstrap_servers, IPASN_UPLOADS.name) as results,
        ipasn(ipasn_settings(bkn, adapter="export-file")) as (_, client),
    ):
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, request)
        finished = results.value(await results.wait_for(lambda r: r.key == submission.encode(), 60))
        export = await client.get(
            f"/api/v1/uploads/{request.request_id}/export.xlsx", headers=bearer(Role.UNIT_PENGOLAH)
        )
        report = (await client.get(finished["report_url"], headers=bearer(Role.KEPALA_BIDANG))).json()
        workbook = await client.get(f"{finished['report_url']}.xlsx", headers=bearer(Role.KEPALA_BIDANG))

    assert (await simulator_stats(bkn))["api_requests"] == 0
    assert finished["adapter"] == "export-file"
    assert finished["outcome"] == "PARTIALLY_COMPLETED"
    assert (finished["rows_stored"], finished["rows_rejected"]) == (29, 1)
    assert any("berkas impor" in reason for reason in finished["reasons"])
    assert any("kode 42, 47, 49" in reason for reason in finished["reasons"])

    sheet = load_workbook(io.BytesIO(export.content), read_only=True)["Impor BKN"]
    header, *lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == EXPORT_COLUMNS
    assert len(lines) == 29
    first = dict(zip(header, lines[0], strict=True))
    assert (first["Baris"], first["nip"], first["periode"], first["Unit Kerja"]) == (
        2,
        rows[0]["NIP"],
        "2025",
        "Dinas Pendidikan",
    )
    assert first["nilaiTotal"] == sum(
        first[k] for k in ("nilaiKualifikasi", "nilaiKompetensi", "nilaiKinerja", "nilaiDisiplin")
    )

    assert report["counts"]["exported"] == 29
    assert [r["reasons"][0]["code"] for r in report["rows_not_stored"]] == ["EDUCATION_UNKNOWN"]
    per_unit, per_kategori = report["sections"]
    assert per_unit["title"] == "IP-ASN per Unit Kerja dan Kategori"
    assert [row[0] for row in per_unit["rows"]] == ["Dinas Kesehatan", "Dinas Pendidikan", "Semua unit kerja"]
    assert per_unit["rows"][-1][1] == 29
    assert sum(row[1] for row in per_kategori["rows"]) == 29
    everyone = load_workbook(io.BytesIO(workbook.content), read_only=True)["Semua Baris"]
    header, *lines = [list(r) for r in everyone.iter_rows(values_only=True)]
    profesi = dict(zip(header, lines[4], strict=True))
    assert "pendidikan 42 (Profesi)" in profesi["Perlu ditinjau"]
    assert profesi["Hasil"] == "Masuk berkas impor"
