"""Reading the recap intake served (CSV or XLSX) by intake's column contract, and its cells as
intake allowed them to be written."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from bkpsdm.common.uploads import cells
from bkpsdm.common.uploads.model import Cell, Column
from bkpsdm.common.uploads.recap_table import RecapUnreadable, read_recap
from bkpsdm.lapkin_uploader.domain.mapping import COLUMNS

CSV = (
    "No;NIP;Nama Pegawai;UNIT_KERJA;Periode;Hasil Kerja;Perilaku Kerja;Keterangan\r\n"
    "1;198503302010012001;Sri;Dinas Pendidikan;2025;1;2;baik\r\n"
    ";;;;;;;\r\n"
    "2;  198503302010012002 ;Budi, S.Kom;Dinas Kesehatan;2025;Sesuai;Di Bawah Ekspektasi;\r\n"
    "3;;;;;;;\r\n"
)


def _xlsx(rows: list[list[Cell]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        CSV.encode(),
        b"\xef\xbb\xbf" + CSV.encode(),
        CSV.replace(";", ",").replace("Budi, S.Kom", "Budi").encode(),
    ],
    ids=["semicolon", "bom", "comma"],
)
def test_a_csv_recap_is_read_by_its_header_aliases_blank_rows_skipped(data: bytes) -> None:
    rows = read_recap(data, "csv", COLUMNS)
    assert [r.row_no for r in rows] == [2, 4]
    assert rows[0].values["nip"] == "198503302010012001"
    assert rows[1].values["nip"] == "198503302010012002"  # trimmed
    assert rows[1].values["unit_kerja"] == "Dinas Kesehatan"
    assert rows[1].values["perilaku"] == "Di Bawah Ekspektasi"
    assert "keterangan" not in rows[0].values


def test_a_windows_1252_csv_keeps_its_characters() -> None:
    data = "NIP,Nama,Unit Kerja,Periode,Hasil Kerja,Perilaku Kerja\r\n1,Andrés,Dinas,2025,1,1\r\n".encode(
        "cp1252"
    )
    (row,) = read_recap(data, "csv", COLUMNS)
    assert row.values["nama"] == "Andrés"


def test_an_xlsx_recap_keeps_numbers_and_dates_as_cells() -> None:
    data = _xlsx(
        [
            ["NIP", "Nama", "Periode", "Hasil Kerja", "Perilaku Kerja"],
            ["198503302010012001", "Sri", 2025, 1, 2.0],
        ]
    )
    (row,) = read_recap(data, "xlsx", COLUMNS)
    assert row.values["periode"] == 2025
    assert cells.rating_code(row.values["perilaku"]) == 2


@pytest.mark.parametrize(
    ("data", "file_format"),
    [
        (b"Kolom A,Kolom B\r\n1,2\r\n", "csv"),
        (b"", "csv"),
        (b"PK\x03\x04rusak", "xlsx"),
        (b"NIP\r\n1\r\n", "ods"),
    ],
)
def test_a_recap_that_cannot_be_read_is_refused_permanently(data: bytes, file_format: str) -> None:
    with pytest.raises(RecapUnreadable):
        read_recap(
            data, file_format, (Column("nip", ("NIP",)), Column("nama", ("Nama",))) if data else COLUMNS
        )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2025", "2025"),
        (2025, "2025"),
        (2025.0, "2025"),
        ("2025-6", "2025-06"),
        ("06/2025", "2025-06"),
        (date(2025, 6, 1), "2025-06"),
        (datetime(2025, 6, 1, 8, 0), "2025-06"),
        ("2025-13", None),
        ("tahun ini", None),
    ],
)
def test_periods(cell: Cell, expected: str | None) -> None:
    assert cells.period(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (87, Decimal(87)),
        (87.5, Decimal("87.5")),
        ("87,5", Decimal("87.5")),
        (" 90 ", Decimal(90)),
        ("9O", None),
        (True, None),
    ],
)
def test_numbers(cell: Cell, expected: Decimal | None) -> None:
    assert cells.number(cell) == expected


@pytest.mark.parametrize(
    ("cell", "rating", "predikat"),
    [
        (1, 1, 1),
        ("3", 3, 3),
        (2.0, 2, 2),
        ("Di Atas Ekspektasi", 1, None),
        ("sesuai", 2, None),
        ("Sangat Kurang", None, 5),
        ("Kurang (misconduct)", None, 4),
        ("Butuh Perbaikan", None, 3),
        (6, None, None),
    ],
)
def test_ratings_and_predikat(cell: Cell, rating: int | None, predikat: int | None) -> None:
    assert (cells.rating_code(cell), cells.predikat_code(cell)) == (rating, predikat)


@pytest.mark.parametrize(
    ("cell", "education", "echelon", "leadership"),
    [
        ("S1", "40", None, None),
        ("D-III", "30", None, None),
        (5, "05", 5, None),
        ("II.a", None, 2, None),
        ("Eselon IV.b", None, 4, None),
        ("PIM III", None, None, 3),
        ("Diklat PIM Tk. II", None, None, 2),
        ("PKN I", None, None, 1),
        ("Tidak", None, None, 0),
    ],
)
def test_education_echelon_and_leadership(
    cell: Cell, education: str | None, echelon: int | None, leadership: int | None
) -> None:
    assert cells.education_code(cell) == education
    assert cells.echelon(cell) == echelon
    assert cells.leadership_level(cell) == leadership


@pytest.mark.parametrize(
    ("cell", "yes", "sanction"),
    [
        ("Ya", True, None),
        ("tidak", False, "tidak_ada"),
        ("-", False, "tidak_ada"),
        (None, None, "tidak_ada"),
        ("Ringan", None, "ringan"),
        ("hukuman disiplin berat", None, "berat"),
        ("ringan dan berat", None, None),
    ],
)
def test_yes_no_and_sanctions(cell: Cell, yes: bool | None, sanction: str | None) -> None:
    assert cells.yes_no(cell) == yes
    assert cells.sanction(cell) == sanction
