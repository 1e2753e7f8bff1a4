"""The periodic IKM report as XLSX: one row per service with its respondents, IKM, grade and
the nine element scores; the rule set in force on every row (so the report can be explained)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import openpyxl  # type: ignore[import-untyped]  # no stubs
from openpyxl.styles import Font  # type: ignore[import-untyped]

from bkpsdm.complaints.domain.ikm import IkmResult, IkmRules


def ikm_workbook(
    period: str, results: Sequence[IkmResult], rules: IkmRules, services: Mapping[str, str]
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "IKM"
    sheet.append([f"Indeks Kepuasan Masyarakat (IKM) periode {period}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"Dasar: {rules.source}"])
    sheet.append([])
    header = [
        "Kode layanan",
        "Layanan",
        "Periode",
        "Responden",
        "IKM",
        "Mutu",
        "Kinerja",
        *(f"{e.label} (nilai unsur)" for e in rules.elements),
        "Unsur terendah",
        "Versi aturan",
    ]
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    labels = {e.code: e.label for e in rules.elements}
    for r in results:
        scores = {e.code: e.score for e in r.elements}
        sheet.append(
            [
                r.service_code,
                services.get(r.service_code, r.service_code),
                r.period,
                r.respondents,
                float(r.ikm),
                r.grade,
                r.grade_label,
                *(float(scores[e.code]) for e in rules.elements),
                ", ".join(labels[c] for c in r.weakest),
                r.rule_set_version,
            ]
        )
    if not results:
        sheet.append(["Belum ada jawaban survei pada periode ini."])
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
