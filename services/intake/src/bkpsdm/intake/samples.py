"""Sample submissions (documents and recaps) for the demo and the tests: files an applicant
unit would send, built in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

# The smallest files whose content says what they are.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "000154a24f5d0000000049454e44ae426082"
)

ELAPKIN_HEADER = ("No", "NIP", "Nama", "Unit Kerja", "Periode", "Hasil Kerja", "Perilaku Kerja", "Predikat")
IPASN_HEADER = (
    "NIP",
    "Nama",
    "Unit Kerja",
    "Periode",
    "Pendidikan",
    "Jenis Jabatan",
    "Nama Jabatan",
    "Eselon",
    "Diklat Kepemimpinan",
    "Diklat Fungsional",
    "JP Pelatihan Teknis",
    "Seminar/Workshop",
    "Nilai SKP",
    "Predikat SKP",
    "Hukuman Disiplin",
)


def nip(index: int) -> str:
    """A structurally valid PNS NIP, different for each index below 365 * 999."""
    born = date(1980, 1, 1) + timedelta(days=index // 999)
    return f"{born:%Y%m%d}200501{1 + index % 2}{1 + index % 999:03d}"


def elapkin_row(index: int, period: str, unit: str = "Dinas Pendidikan") -> dict[str, str]:
    return {
        "No": str(index + 1),
        "NIP": nip(index),
        "Nama": f"Pegawai {index + 1}",
        "Unit Kerja": unit,
        "Periode": period,
        "Hasil Kerja": "2",
        "Perilaku Kerja": "2",
        "Predikat": "2",
    }


def ipasn_row(index: int, period: str, unit: str = "Dinas Pendidikan") -> dict[str, str]:
    return {
        "NIP": nip(index),
        "Nama": f"Pegawai {index + 1}",
        "Unit Kerja": unit,
        "Periode": period,
        "Pendidikan": "40",
        "Jenis Jabatan": "Pelaksana",
        "Nama Jabatan": "Pengadministrasi Umum",
        "Eselon": "",
        "Diklat Kepemimpinan": "Tidak",
        "Diklat Fungsional": "Tidak",
        "JP Pelatihan Teknis": "24",
        "Seminar/Workshop": "Ya",
        "Nilai SKP": "88",
        "Predikat SKP": "",
        "Hukuman Disiplin": "Tidak Ada",
    }


def recap_csv(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def elapkin_recap(count: int, period: str, first: int = 0) -> bytes:
    return recap_csv(ELAPKIN_HEADER, [elapkin_row(i, period) for i in range(first, first + count)])


def ipasn_recap(count: int, period: str, first: int = 0) -> bytes:
    return recap_csv(IPASN_HEADER, [ipasn_row(i, period) for i in range(first, first + count)])


def recap_xlsx(header: Sequence[str], rows: Sequence[Mapping[str, str]], *, formula: bool = False) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]  # only the demo and tests write workbooks

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Rekap")
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(h, "") or None for h in header])
    if formula:
        sheet.append(["=1+1"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
