from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import openpyxl  # type: ignore[import-untyped]  # no stubs; pyproject.toml is not mine to change
import pytest

from bkpsdm.intake.adapters import recap_files
from bkpsdm.intake.adapters.recap_files import (
    DEFAULT_MAX_ROWS,
    MESSAGES,
    RecapFile,
    RecapFileRefused,
    read_recap_file,
)
from bkpsdm.intake.domain.recap import validate_recap

HEADER = ["NIP", "Nama", "Unit Kerja", "Periode", "Hasil Kerja", "Perilaku Kerja"]
ROW_A = ["198609262015051001", "Budi Santoso", "Dinas Kesehatan", "2025", "1", "2"]
ROW_B = ["199001012019032002", "Siti Aminah", "Dinas Kesehatan", "2025", "2", "2"]


def csv_bytes(rows: Sequence[Sequence[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\r\n".join(delimiter.join(r) for r in rows).encode(encoding) + b"\r\n"


def xlsx_bytes(rows: Sequence[Sequence[Any]], change: Callable[[Any], None] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    if change is not None:
        change(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def refused(data: bytes, filename: str | None = None, **options: Any) -> list[tuple[int | None, str]]:
    with pytest.raises(RecapFileRefused) as info:
        read_recap_file(data, filename, **options)
    assert info.value.code == info.value.issues[0].code
    assert all(issue.message and issue.column is None for issue in info.value.issues)
    return [(issue.row, issue.code) for issue in info.value.issues]


def rows_of(recap: RecapFile) -> list[tuple[int, list[Any]]]:
    return [(number, list(cells)) for number, cells in recap.sheet.rows]


# ---- CSV ----


def test_a_utf8_comma_csv_is_read_with_file_row_numbers() -> None:
    recap = read_recap_file(csv_bytes([HEADER, ROW_A, ROW_B]), "rekap.csv")
    assert (recap.format, recap.encoding, recap.delimiter) == ("csv", "utf-8", ",")
    assert list(recap.sheet.header) == HEADER
    assert rows_of(recap) == [(2, ROW_A), (3, ROW_B)]
    assert validate_recap("E-LAPKIN", recap.sheet).ok


def test_a_csv_with_a_byte_order_mark_keeps_its_first_column_name() -> None:
    data = codecs.BOM_UTF8 + csv_bytes([HEADER, ROW_A])
    recap = read_recap_file(data, "rekap.csv")
    assert recap.encoding == "utf-8-sig"
    assert recap.sheet.header[0] == "NIP"
    assert validate_recap("E-LAPKIN", recap.sheet).ok


def test_a_semicolon_csv_is_detected() -> None:
    # Indonesian-locale Excel writes ; and decimal commas.
    header = ["NIP", "Nama", "Unit Kerja", "Periode", "Nilai SKP", "Nilai Perilaku"]
    recap = read_recap_file(
        csv_bytes([header, ["198609262015051001", "Budi", "Dinkes", "2021", "85,5", "90"]], delimiter=";")
    )
    assert recap.delimiter == ";"
    validation = validate_recap("E-LAPKIN", recap.sheet)
    assert validation.ok
    assert validation.records[0].values["nilai_prestasi"] == 87.3


def test_a_windows_1252_csv_is_accepted_and_decoded() -> None:
    row = ["198609262015051001", "Andréa Müller", "Dinas Pendidikan – Bidang SD", "2025", "1", "2"]
    recap = read_recap_file(csv_bytes([HEADER, row], delimiter=";", encoding="cp1252"), "rekap.csv")
    assert recap.encoding == "cp1252"
    assert rows_of(recap) == [(2, row)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (codecs.BOM_UTF16_LE + "NIP,Nama\r\n".encode("utf-16-le"), "CSV_ENCODING_UNSUPPORTED"),
        ("NIP,Nama\r\n1,2\r\n".encode("utf-16-be"), "CSV_ENCODING_UNSUPPORTED"),
        (b"NIP,Nama\r\n1,Bud\x81i\xff\r\n", "CSV_ENCODING_UNSUPPORTED"),
        (codecs.BOM_UTF8 + b"NIP,Nama\r\n1,Bud\xe9i\r\n", "CSV_ENCODING_UNSUPPORTED"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "FILE_TYPE_UNSUPPORTED"),
        (b"%PDF-1.7\n\x01\x02\x03 binary", "FILE_TYPE_UNSUPPORTED"),
    ],
)
def test_a_csv_in_another_encoding_or_not_text_is_refused(data: bytes, code: str) -> None:
    assert refused(data) == [(None, code)]


def test_a_broken_quote_is_refused_at_its_row() -> None:
    data = b'NIP,Nama\r\n198609262015051001,Budi\r\n199001012019032002,"Siti "Ami" nah\r\n'
    assert refused(data, "rekap.csv") == [(3, "CSV_MALFORMED")]


def test_a_quoted_field_spanning_lines_is_one_row_and_blank_rows_keep_numbering() -> None:
    data = b'NIP,Nama\r\n"198609262015051001","Budi\r\nSantoso"\r\n,\r\n\r\n199001012019032002,Siti\r\n'
    recap = read_recap_file(data)
    assert rows_of(recap) == [
        (2, ["198609262015051001", "Budi\r\nSantoso"]),
        (5, ["199001012019032002", "Siti"]),
    ]


def test_a_header_below_blank_lines_keeps_the_files_row_numbers() -> None:
    recap = read_recap_file(b"\r\n;;\r\n" + csv_bytes([HEADER, ROW_A], delimiter=";"))
    assert recap.sheet.header_row == 3
    assert rows_of(recap) == [(4, ROW_A)]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b" , ,\n"])
def test_an_empty_csv_is_refused(data: bytes) -> None:
    assert refused(data, "rekap.csv") == [(None, "FILE_EMPTY")]


def test_a_csv_with_only_a_header_has_no_rows() -> None:
    recap = read_recap_file(csv_bytes([HEADER]))
    validation = validate_recap("E-LAPKIN", recap.sheet)
    assert [(e.row, e.code) for e in validation.errors] == [(None, "RECAP_NO_ROWS")]


def test_a_csv_over_the_row_limit_is_refused_and_one_at_the_limit_is_read() -> None:
    rows = [HEADER, *([ROW_A] * 5)]
    assert len(read_recap_file(csv_bytes(rows), max_rows=5).sheet.rows) == 5
    assert refused(csv_bytes([*rows, ROW_B]), max_rows=5) == [(None, "RECAP_TOO_MANY_ROWS")]
    assert DEFAULT_MAX_ROWS == 50_000


def test_csv_header_aliases_reach_the_rules() -> None:
    header = ["nip baru", "NAMA PEGAWAI", "unit_kerja", "TAHUN", "Rating Hasil Kerja", "perilaku"]
    recap = read_recap_file(csv_bytes([header, ROW_A]))
    validation = validate_recap("E-LAPKIN", recap.sheet)
    assert validation.ok
    assert validation.columns["nip"] == "nip baru"


def test_a_wrong_csv_header_is_one_error_naming_the_columns() -> None:
    recap = read_recap_file(csv_bytes([["NIP", "Nama Lengkap", "Gol", "Periode"], ROW_A[:4]]))
    (error,) = validate_recap("E-LAPKIN", recap.sheet).errors
    assert (error.row, error.code) == (1, "RECAP_HEADER_INVALID")
    assert "Unit Kerja" in error.message
    assert "Gol" in error.message


def test_an_unquoted_comma_in_a_name_is_caught_as_an_overlong_row() -> None:
    recap = read_recap_file(
        b"NIP,Nama,Unit Kerja,Periode,Hasil Kerja,Perilaku Kerja\r\n"
        + b"198609262015051001,Budi, S.Kom,Dinkes,2025,1,2\r\n"
    )
    errors = validate_recap("E-LAPKIN", recap.sheet).errors
    assert (2, None, "RECAP_ROW_TOO_LONG") in [(e.row, e.column, e.code) for e in errors]


# ---- XLSX ----


def test_an_xlsx_is_read_with_typed_cells_and_file_row_numbers() -> None:
    recap = read_recap_file(xlsx_bytes([HEADER, ROW_A, [None] * 6, ROW_B]), "rekap.xlsx")
    assert (recap.format, recap.encoding, recap.delimiter) == ("xlsx", None, None)
    assert [number for number, _ in recap.sheet.rows] == [2, 4]
    assert validate_recap("E-LAPKIN", recap.sheet).ok


def test_an_xlsx_header_below_a_blank_row_keeps_sheet_row_numbers() -> None:
    recap = read_recap_file(xlsx_bytes([[None], HEADER, ROW_A]))
    assert recap.sheet.header_row == 2
    assert [number for number, _ in recap.sheet.rows] == [3]


def test_an_nip_typed_as_a_number_in_excel_is_refused_row_by_row() -> None:
    recap = read_recap_file(xlsx_bytes([HEADER, [198609262015051001, *ROW_A[1:]], ROW_B]))
    validation = validate_recap("E-LAPKIN", recap.sheet)
    assert [(e.row, e.column, e.code) for e in validation.errors] == [(2, "NIP", "RECAP_NIP_NOT_TEXT")]


def test_excel_numbers_for_years_and_ratings_are_understood() -> None:
    recap = read_recap_file(xlsx_bytes([HEADER, [ROW_A[0], "Budi", "Dinkes", 2025, 1, 3]]))
    validation = validate_recap("E-LAPKIN", recap.sheet)
    assert validation.ok
    assert validation.records[0].values["predikat"] == 4


def _formula(workbook: Any) -> None:
    workbook.active["E2"] = "=1+0"


def _merged(workbook: Any) -> None:
    workbook.active.merge_cells("C2:C3")


def _hidden(workbook: Any) -> None:
    workbook.create_sheet("Referensi").sheet_state = "hidden"


def _two_sheets(workbook: Any) -> None:
    workbook.create_sheet("Sheet2").append(HEADER)


def _very_hidden(workbook: Any) -> None:
    workbook.create_sheet("Kode").sheet_state = "veryHidden"


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        (_formula, ["XLSX_FORMULA"]),
        (_merged, ["XLSX_MERGED_CELLS"]),
        (_hidden, ["XLSX_MULTIPLE_SHEETS", "XLSX_HIDDEN_SHEET"]),
        (_very_hidden, ["XLSX_MULTIPLE_SHEETS", "XLSX_HIDDEN_SHEET"]),
        (_two_sheets, ["XLSX_MULTIPLE_SHEETS"]),
    ],
)
def test_an_xlsx_that_could_be_read_wrongly_is_refused(
    change: Callable[[Any], None], codes: list[str]
) -> None:
    assert refused(xlsx_bytes([HEADER, ROW_A, ROW_B], change), "rekap.xlsx") == [(None, c) for c in codes]


def test_every_structural_problem_of_an_xlsx_is_reported_at_once() -> None:
    def everything(workbook: Any) -> None:
        _formula(workbook)
        _merged(workbook)
        _hidden(workbook)

    assert [code for _, code in refused(xlsx_bytes([HEADER, ROW_A, ROW_B], everything))] == [
        "XLSX_MULTIPLE_SHEETS",
        "XLSX_HIDDEN_SHEET",
        "XLSX_FORMULA",
        "XLSX_MERGED_CELLS",
    ]
    message = refused(xlsx_bytes([HEADER, ROW_A], _hidden))
    assert message == [(None, "XLSX_MULTIPLE_SHEETS"), (None, "XLSX_HIDDEN_SHEET")]


def test_the_hidden_sheet_is_named_in_the_message() -> None:
    with pytest.raises(RecapFileRefused) as info:
        read_recap_file(xlsx_bytes([HEADER, ROW_A], _hidden))
    assert "Referensi" in info.value.issues[1].message


def test_a_formula_written_with_a_namespace_prefix_is_still_found() -> None:
    plain = xlsx_bytes([HEADER, ROW_A], _formula)
    source = zipfile.ZipFile(io.BytesIO(plain))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = (
                    content.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=")
                    .replace(b"</worksheet>", b"</x:worksheet>")
                    .replace(b"<f>", b"<x:f>")
                    .replace(b"</f>", b"</x:f>")
                )
                assert b"<x:f>" in content
            target.writestr(item, content)
    assert refused(out.getvalue()) == [(None, "XLSX_FORMULA")]


def test_an_xlsx_with_only_a_header_has_no_rows_and_an_empty_one_is_refused() -> None:
    recap = read_recap_file(xlsx_bytes([HEADER]))
    assert [e.code for e in validate_recap("E-LAPKIN", recap.sheet).errors] == ["RECAP_NO_ROWS"]
    assert refused(xlsx_bytes([])) == [(None, "FILE_EMPTY")]


def test_an_xlsx_over_the_row_limit_is_refused_and_one_at_the_limit_is_read() -> None:
    assert len(read_recap_file(xlsx_bytes([HEADER, *([ROW_A] * 20)]), max_rows=20).sheet.rows) == 20
    assert refused(xlsx_bytes([HEADER, *([ROW_A] * 21)]), max_rows=20) == [(None, "RECAP_TOO_MANY_ROWS")]


def test_a_huge_xlsx_is_refused_from_the_zip_scan_without_parsing_the_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = xlsx_bytes([HEADER, *([ROW_A] * 300)])

    class Untouchable:
        @classmethod
        def from_filelike(cls, *_: Any, **__: Any) -> None:
            raise AssertionError("the sheet must not be parsed")

    monkeypatch.setattr(recap_files, "CalamineWorkbook", Untouchable)
    monkeypatch.setattr(recap_files, "_CHUNK", 7)  # tokens split across every chunk boundary
    assert refused(data, max_rows=100) == [(None, "RECAP_TOO_MANY_ROWS")]
    assert refused(xlsx_bytes([HEADER, ROW_A], _formula)) == [(None, "XLSX_FORMULA")]


def test_a_20000_row_xlsx_reads_and_validates_completely() -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Rekap")
    sheet.append(["No", *HEADER, "Predikat"])
    for i in range(20_000):
        nip = f"19{60 + i % 30:02d}{1 + i % 12:02d}{1 + i % 28:02d}2010{1 + i % 12:02d}{1 + i % 2}{1 + i % 999:03d}"
        sheet.append([i + 1, nip, f"Pegawai {i}", f"Dinas {i % 40}", 2025, 1 + i % 3, 1 + (i // 3) % 3, None])
    out = io.BytesIO()
    workbook.save(out)
    recap = read_recap_file(out.getvalue(), "rekap.xlsx")
    validation = validate_recap("E-LAPKIN", recap.sheet)
    assert validation.ok
    assert len(validation.records) == 20_000
    assert validation.records[-1].row == 20_001


# ---- not a recap file at all ----


def _zip_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "rekap.xlsx", "FILE_EMPTY"),
        (csv_bytes([HEADER, ROW_A]), "rekap.xlsx", "FILE_TYPE_MISMATCH"),
        (xlsx_bytes([HEADER, ROW_A]), "rekap.csv", "FILE_TYPE_MISMATCH"),
        (csv_bytes([HEADER, ROW_A]), "rekap.pdf", "FILE_TYPE_UNSUPPORTED"),
        (xlsx_bytes([HEADER, ROW_A]), "rekap.ods", "FILE_TYPE_UNSUPPORTED"),
        (_zip_without_workbook(), None, "FILE_TYPE_UNSUPPORTED"),
        (b"PK\x03\x04" + b"\x00" * 40, "rekap.xlsx", "XLSX_INVALID"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 100, "rekap.xls", "XLSX_LEGACY_OR_PROTECTED"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 100, "rekap.xlsx", "XLSX_LEGACY_OR_PROTECTED"),
    ],
)
def test_a_file_that_is_not_really_xlsx_or_csv_is_refused(
    data: bytes, filename: str | None, code: str
) -> None:
    assert refused(data, filename) == [(None, code)]


def test_a_truncated_xlsx_is_refused_as_unreadable() -> None:
    data = xlsx_bytes([HEADER, ROW_A])
    assert refused(data[: len(data) // 2], "rekap.xlsx") == [(None, "XLSX_INVALID")]


def test_file_messages_are_indonesian_sentences() -> None:
    for code, text in MESSAGES.items():
        assert code.isupper()
        assert text.endswith(".")
    assert "Paste Values" in MESSAGES["XLSX_FORMULA"]
