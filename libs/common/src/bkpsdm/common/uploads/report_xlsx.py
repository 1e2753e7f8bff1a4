"""The upload report as a workbook a Kepala Bidang opens: a summary sheet, per unit, the
service's own sections, the rows not stored with their reasons, and every row with its outcome."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from bkpsdm.common.uploads.model import RowState
from bkpsdm.common.uploads.report import OUTCOME_LABELS, STATE_LABELS, STATUS_LABELS, ReportView
from bkpsdm.common.uploads.repository import StoredRow

BOLD = Font(bold=True)


def _bold(ws: Any, value: Any, size: int | None = None) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = Font(bold=True, size=size) if size else BOLD
    return cell


def _sheet(workbook: Any, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    # Write-only: a 20,000-row sheet streams out instead of building every cell object first.
    ws = workbook.create_sheet(title[:31])
    for index, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(60, len(str(name)) + 4))
    ws.freeze_panes = "A2"
    ws.append([_bold(ws, name) for name in header])
    for row in rows:
        ws.append(list(row))


def _reasons(row: StoredRow) -> str:
    return "; ".join(f"{r.code}: {r.message}" + (f" ({r.field})" if r.field else "") for r in row.reasons)


def render_xlsx(
    report: ReportView, rows: Sequence[StoredRow], detail_columns: Sequence[tuple[str, str]]
) -> bytes:
    u, c = report.upload, report.counts
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("Ringkasan")
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 90
    lines: list[tuple[str, Any]] = [
        (report.title, ""),
        ("Pengajuan", u.submission_id),
        ("Kasus", u.case_id),
        ("Perangkat Daerah", u.perangkat_daerah),
        ("Periode", u.period or "-"),
        ("Percobaan ke", u.attempt),
        ("Cara unggah", u.adapter),
        ("Status", STATUS_LABELS.get(u.status, u.status)),
        ("Hasil", OUTCOME_LABELS.get(u.outcome or "", "-")),
        ("Diterima", u.received_at.isoformat()),
        ("Selesai", u.finished_at.isoformat() if u.finished_at else "-"),
        ("Jumlah baris", c.total),
        (STATE_LABELS[RowState.STORED], c.stored),
        (STATE_LABELS[RowState.EXPORTED], c.exported),
        (STATE_LABELS[RowState.REJECTED], c.rejected),
        (STATE_LABELS[RowState.FAILED], c.failed),
        (STATE_LABELS[RowState.PENDING], c.pending),
        ("Aturan", f"{report.rules.id} versi {report.rules.version}"),
        ("Dasar aturan", report.rules.source),
        *(("Keterangan", reason) for reason in u.reasons),
    ]
    summary.append([_bold(summary, report.title, 14)])
    for label, value in lines[1:]:
        summary.append([_bold(summary, label), value])

    _sheet(
        workbook,
        "Per Unit Kerja",
        ["Unit Kerja", "Jumlah", "Tersimpan", "Berkas impor", "Ditolak", "Gagal", "Menunggu"],
        [
            [p.unit_kerja or "-", p.total, p.stored, p.exported, p.rejected, p.failed, p.pending]
            for p in report.per_unit
        ],
    )
    for section in report.sections:
        _sheet(workbook, section.title, section.columns, section.rows)
    problems = [r for r in rows if r.state in (RowState.REJECTED, RowState.FAILED)]
    _sheet(
        workbook,
        "Tidak Tersimpan",
        ["Baris", "NIP", "Nama", "Unit Kerja", "Hasil", "Alasan"],
        [[r.row_no, r.nip, r.nama, r.unit_kerja, STATE_LABELS[r.state], _reasons(r)] for r in problems],
    )
    _sheet(
        workbook,
        "Semua Baris",
        [
            "Baris",
            "NIP",
            "Nama",
            "Unit Kerja",
            "Hasil",
            "ID BKN",
            *(label for _, label in detail_columns),
            "Alasan",
        ],
        (
            [
                r.row_no,
                r.nip,
                r.nama,
                r.unit_kerja,
                STATE_LABELS[r.state],
                r.bkn_id,
                *(r.detail.get(key) for key, _ in detail_columns),
                _reasons(r),
            ]
            for r in rows
        ),
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
