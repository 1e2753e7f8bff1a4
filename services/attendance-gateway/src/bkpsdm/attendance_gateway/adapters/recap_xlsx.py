"""A unit's monthly recap as an XLSX workbook (labels in Bahasa Indonesia)."""

from __future__ import annotations

import io

from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs
from openpyxl.styles import Font  # type: ignore[import-untyped]

from bkpsdm.attendance_gateway.domain.recap import UnitMonthlyRecap
from bkpsdm.common.nip import mask_nip

_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def render_recap(recap: UnitMonthlyRecap, *, mask_nips: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Rekap"
    codes = list(recap.counts)
    sheet.append(["Rekapitulasi Kehadiran Pegawai"])
    sheet.append(["Unit kerja", recap.unit])
    sheet.append(["Periode", f"{_MONTHS[recap.month - 1]} {recap.year}"])
    sheet.append(["Aturan yang berlaku", ", ".join(recap.rule_set_versions)])
    sheet.append([])
    header = ["NIP", "Hari kerja", "Tepat waktu", "Tanpa keterangan", *codes, "Potongan (%)"]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=13)
    for e in recap.employees:
        sheet.append(
            [
                mask_nip(e.nip) if mask_nips else e.nip,
                e.working_days,
                e.on_time_days,
                e.no_record_days,
                *(e.counts.get(c, 0) for c in codes),
                float(e.deduction_percent),
            ]
        )
    sheet.append(["Jumlah", "", "", "", *(recap.counts[c] for c in codes), float(recap.deduction_percent)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 22
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
