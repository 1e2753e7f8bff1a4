"""The report's files and the import file, rendered from what the database holds: they open in
openpyxl (and as a PDF) with the expected sheets, columns and counts; and the outcome an upload's
counts come to."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bkpsdm.common.uploads.export_file import export_header, export_rows, to_csv, to_xlsx
from bkpsdm.common.uploads.model import Outcome, Reason, RowState
from bkpsdm.common.uploads.outcome import outcome_of, reasons_of
from bkpsdm.common.uploads.report import (
    CountsView,
    ReasonView,
    ReportView,
    RowView,
    RuleSetView,
    TableView,
    UnitCountsView,
    UploadView,
)
from bkpsdm.common.uploads.report_pdf import render_pdf
from bkpsdm.common.uploads.report_xlsx import render_xlsx
from bkpsdm.common.uploads.repository import StoredRow
from bkpsdm.lapkin_uploader.domain.mapping import DETAIL_COLUMNS
from bkpsdm.lapkin_uploader.settings import DEFAULT_TARGETS

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ROWS = [
    StoredRow(2, "198503302010012001", "Sri", "Dinas Pendidikan", "skp22", RowState.STORED, "abc", False, (), 1,
              {"predikat": "Baik", "kuadran": 2, "aturan": "matriks PermenPANRB 6/2022"}),
    StoredRow(3, "198503302010012002", "Budi", "Dinas Ngawur", "skp22", RowState.REJECTED, None, False,
              (Reason("UNOR_NOT_FOUND", "Unit kerja (unorId) tidak dikenal", "unorId"),), 1, {"predikat": "Baik"}),
    StoredRow(4, "198503302010012003", "Ani – Dewi", "Dinas Pendidikan", "skp22", RowState.FAILED, None, False,
              (Reason("BKN_UNAVAILABLE", "Layanan BKN sedang gangguan (HTTP 503) (setelah 8 kali percobaan)"),), 8, {}),
]  # fmt: skip


def report() -> ReportView:
    upload = UploadView(
        request_id="req-1", submission_id="sub-1", case_id="case-1", service_code="E-LAPKIN",
        perangkat_daerah="DISDIK", period="2025", attempt=1, adapter="http", status="FINISHED",
        outcome="PARTIALLY_COMPLETED", rows_total=3, rows_stored=1, rows_rejected=1, rows_failed=1,
        reasons=["1 dari 3 baris ditolak"], rules_version="skp-predikat 2022.1", received_at=NOW,
        finished_at=NOW, report_url="/api/v1/uploads/req-1/report",
    )  # fmt: skip
    return ReportView(
        title="Laporan Data E-LAPKIN",
        upload=upload,
        rules=RuleSetView(id="skp-predikat", version="2022.1", source="PermenPANRB 6/2022"),
        counts=CountsView(total=3, stored=1, exported=0, rejected=1, failed=1, pending=0),
        per_unit=[
            UnitCountsView(
                unit_kerja="Dinas Pendidikan", total=2, stored=1, exported=0, rejected=0, failed=1, pending=0
            ),
            UnitCountsView(
                unit_kerja="Dinas Ngawur", total=1, stored=0, exported=0, rejected=1, failed=0, pending=0
            ),
        ],
        sections=[
            TableView(
                title="Per Predikat", columns=["Aturan", "Predikat", "Jumlah"], rows=[["matriks", "Baik", 2]]
            )
        ],
        rows_not_stored=[
            RowView(
                row=r.row_no,
                nip=r.nip,
                nama=r.nama,
                unit_kerja=r.unit_kerja,
                state=r.state.value,
                reasons=[ReasonView(code=x.code, message=x.message, field=x.field) for x in r.reasons],
                attempts=r.attempts,
            )
            for r in ROWS[1:]
        ],
        notes=[],
        generated_at=NOW,
    )


def test_the_report_workbook_has_the_summary_units_sections_and_every_row() -> None:
    workbook = load_workbook(io.BytesIO(render_xlsx(report(), ROWS, DETAIL_COLUMNS)), read_only=True)
    assert workbook.sheetnames == [
        "Ringkasan",
        "Per Unit Kerja",
        "Per Predikat",
        "Tidak Tersimpan",
        "Semua Baris",
    ]
    summary = {r[0]: r[1] for r in workbook["Ringkasan"].iter_rows(values_only=True) if len(r) > 1}
    assert (summary["Jumlah baris"], summary["Tersimpan di BKN"], summary["Ditolak"]) == (3, 1, 1)
    assert summary["Hasil"] == "Selesai sebagian"
    assert summary["Aturan"] == "skp-predikat versi 2022.1"
    problems = list(workbook["Tidak Tersimpan"].iter_rows(values_only=True))
    assert problems[0] == ("Baris", "NIP", "Nama", "Unit Kerja", "Hasil", "Alasan")
    assert [p[0] for p in problems[1:]] == [3, 4]
    assert problems[1][5] == "UNOR_NOT_FOUND: Unit kerja (unorId) tidak dikenal (unorId)"
    every = list(workbook["Semua Baris"].iter_rows(values_only=True))
    assert every[0][:6] == ("Baris", "NIP", "Nama", "Unit Kerja", "Hasil", "ID BKN")
    assert "Predikat" in every[0]
    assert len(every) == 4


def test_the_report_pdf_renders_every_row_not_stored_even_with_non_latin_text() -> None:
    pdf = render_pdf(report())
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1500


EXPECTED_EXPORT = [
    "Baris", "Jenis", "Unit Kerja", "nip", "tahun", "hasilKinerjaNilai", "perilakuKerjaNilai",
    "kuadranKinerjaNilai", "unorId", "penilaiNama", "penilaiNipNrp", "penilaiJabatan", "penilaiUnorNama",
    "penilaiGolongan", "statusPenilai", "nilaiSkp", "nilaiPerilakuKerja", "nilaiPrestasiKerja",
]  # fmt: skip
EXPORT_ROWS = [
    (2, "skp22", {"nip": "198503302010012001", "tahun": 2025, "hasil_kerja": 1, "perilaku": 2, "kuadran": 2,
                  "unit_kerja": "Dinas Pendidikan", "penilai_nama": "Kepala"}),
    (5, "skp-pp46", {"nip": "198503302010012004", "tahun": 2021, "nilai_prestasi": 90.4,
                     "unit_kerja": "Dinas Kesehatan"}),
]  # fmt: skip


def test_the_import_file_opens_in_openpyxl_with_bkn_field_names_as_columns() -> None:
    header = export_header(DEFAULT_TARGETS)
    lines = list(
        export_rows(DEFAULT_TARGETS, EXPORT_ROWS, {"Dinas Kesehatan": "06AFF2C7647E5DC89D95213DD092FE0B"})
    )
    sheet = load_workbook(io.BytesIO(to_xlsx(header, lines)), read_only=True)["Impor BKN"]
    read = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert read[0] == EXPECTED_EXPORT
    # openpyxl reads a row up to its last filled cell
    first, second = (
        dict(zip(read[0], line + [None] * (len(read[0]) - len(line)), strict=True)) for line in read[1:]
    )
    assert (first["Baris"], first["Jenis"], first["hasilKinerjaNilai"], first["nilaiPrestasiKerja"]) == (
        2, "skp22", 1, None,
    )  # fmt: skip
    assert (second["nilaiPrestasiKerja"], second["unorId"], second["kuadranKinerjaNilai"]) == (
        90.4, "06AFF2C7647E5DC89D95213DD092FE0B", None,
    )  # fmt: skip


def test_the_csv_import_file_has_the_same_columns_and_a_bom_for_excel() -> None:
    header = export_header(DEFAULT_TARGETS)
    data = to_csv(header, export_rows(DEFAULT_TARGETS, EXPORT_ROWS))
    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert read[0] == EXPECTED_EXPORT
    assert len(read) == 3


def counts(**n: int) -> dict[RowState, int]:
    return {state: n.get(state.value.lower(), 0) for state in RowState}


@pytest.mark.parametrize(
    ("by_state", "outcome"),
    [
        (counts(stored=10), Outcome.COMPLETED),
        (counts(exported=10), Outcome.COMPLETED),
        (counts(stored=9, rejected=1), Outcome.PARTIALLY_COMPLETED),
        (counts(stored=1, failed=9), Outcome.PARTIALLY_COMPLETED),
        (counts(rejected=5, failed=5), Outcome.FAILED),
        (counts(), Outcome.FAILED),
    ],
)
def test_the_outcome_of_an_upload(by_state: dict[RowState, int], outcome: Outcome) -> None:
    assert outcome_of(by_state) is outcome


def test_the_reasons_name_the_most_frequent_causes_in_indonesian() -> None:
    by_reason = [
        ("REJECTED", "UNOR_NOT_FOUND", "Unit kerja tidak dikenal", 5),
        ("REJECTED", "NIP_INVALID", "NIP harus 18 digit angka", 1),
        ("FAILED", "BKN_TIMEOUT", "BKN tidak menjawab", 2),
    ]
    reasons = reasons_of(
        counts(stored=92, rejected=6, failed=2), by_reason, "http", ["1 pegawai perlu ditinjau."]
    )
    assert reasons == [
        "6 dari 100 baris ditolak sebagai data tidak valid; perbaiki datanya, mengulang tidak membantu: "
        "UNOR_NOT_FOUND Unit kerja tidak dikenal (5 baris); NIP_INVALID NIP harus 18 digit angka (1 baris).",
        "2 dari 100 baris gagal dikirim karena gangguan layanan BKN; ajukan unggah ulang: "
        "BKN_TIMEOUT BKN tidak menjawab (2 baris).",
        "1 pegawai perlu ditinjau.",
    ]
