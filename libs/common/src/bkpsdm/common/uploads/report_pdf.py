"""The upload report as a PDF for the Kepala BKPSDM (fpdf2): summary, counts, per unit, the
service's sections, every row not stored with its reason, the rule set."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bkpsdm.common.uploads.model import ReportCell
from bkpsdm.common.uploads.report import OUTCOME_LABELS, STATUS_LABELS, ReportView


def _latin(value: ReportCell) -> str:
    # The core fonts are Latin-1; a reason BKN wrote with other characters still prints.
    text = "-" if value is None else str(value)
    if isinstance(value, float):
        text = f"{value:g}".replace(".", ",")
    return text.replace("\u2013", "-").replace("\u2014", "-").encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, f"Halaman {self.page_no()}", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(0, 7, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=8)


def _table(pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[ReportCell]]) -> None:
    if not rows:
        pdf.cell(0, 6, "(tidak ada)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    with pdf.table(text_align="LEFT", line_height=4.5, first_row_as_headings=True) as table:
        heading = table.row()
        for name in header:
            heading.cell(_latin(name))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_latin(value))


def render_pdf(report: ReportView) -> bytes:
    u, c = report.upload, report.counts
    pdf = _Report(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.cell(0, 9, _latin(report.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    for label, value in (
        ("Perangkat Daerah", u.perangkat_daerah),
        ("Periode", u.period or "-"),
        ("Pengajuan / kasus", f"{u.submission_id} / {u.case_id} (percobaan ke-{u.attempt})"),
        ("Cara unggah", u.adapter),
        (
            "Status",
            f"{STATUS_LABELS.get(u.status, u.status)}; hasil {OUTCOME_LABELS.get(u.outcome or '', '-')}",
        ),
        ("Aturan", f"{report.rules.id} versi {report.rules.version}: {report.rules.source}"),
    ):
        pdf.multi_cell(0, 5, _latin(f"{label}: {value}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for reason in u.reasons:
        pdf.multi_cell(0, 5, _latin(f"- {reason}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, "Jumlah baris per hasil")
    _table(
        pdf,
        ["Jumlah", "Tersimpan di BKN", "Masuk berkas impor", "Ditolak", "Gagal terkirim", "Menunggu"],
        [[c.total, c.stored, c.exported, c.rejected, c.failed, c.pending]],
    )
    _heading(pdf, "Per unit kerja")
    _table(
        pdf,
        ["Unit Kerja", "Jumlah", "Tersimpan", "Berkas impor", "Ditolak", "Gagal", "Menunggu"],
        [
            [p.unit_kerja, p.total, p.stored, p.exported, p.rejected, p.failed, p.pending]
            for p in report.per_unit
        ],
    )
    for section in report.sections:
        _heading(pdf, section.title)
        _table(pdf, section.columns, section.rows)
    _heading(pdf, f"Baris yang tidak tersimpan ({len(report.rows_not_stored)})")
    _table(
        pdf,
        ["Baris", "NIP", "Nama", "Unit Kerja", "Hasil", "Alasan"],
        [
            [
                r.row,
                r.nip,
                r.nama,
                r.unit_kerja,
                r.state,
                "; ".join(f"{x.code}: {x.message}" for x in r.reasons),
            ]
            for r in report.rows_not_stored
        ],
    )
    if report.notes:
        _heading(pdf, "Catatan")
    for note in report.notes:
        pdf.multi_cell(0, 5, _latin(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
