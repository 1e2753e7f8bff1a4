"""Reading an uploaded recap (CSV or XLSX) into a header and rows, refusing files whose
content could be read wrongly.

The content decides what a file is (zip magic for XLSX), not its name; a name whose
extension contradicts the content is refused.
CSV: UTF-8 with or without BOM, or Windows-1252 (what Excel's plain "CSV" writes on
Indonesian and English Windows); UTF-16 and bytes Windows-1252 does not define are refused.
The delimiter is `;` when the header line has more semicolons than commas, else `,`.
XLSX: one visible sheet, no formulas (calamine gives cached values only, which may be stale
or absent), no merged cells (the value sits in the first cell only). These are found by
streaming the sheet XML inside the zip, which also counts rows so that a huge file is
refused before it is parsed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Literal
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook

from bkpsdm.intake.domain.recap import Cell, RecapIssue, RecapSheet

DEFAULT_MAX_ROWS = 50_000

MESSAGES: dict[str, str] = {
    "FILE_EMPTY": "Berkas kosong atau tidak berisi data.",
    "FILE_TYPE_UNSUPPORTED": "Berkas rekap harus berformat XLSX atau CSV.",
    "FILE_TYPE_MISMATCH": "Isi berkas tidak sesuai dengan ekstensinya ({extension}).",
    "XLSX_LEGACY_OR_PROTECTED": (
        "Berkas Excel lama (.xls) atau yang dilindungi kata sandi tidak dapat dibaca;"
        " simpan ulang sebagai .xlsx tanpa kata sandi."
    ),
    "XLSX_INVALID": "Berkas XLSX rusak atau tidak dapat dibaca.",
    "XLSX_MULTIPLE_SHEETS": "Berkas XLSX harus berisi tepat satu sheet; ditemukan {count} sheet.",
    "XLSX_HIDDEN_SHEET": "Berkas XLSX berisi sheet tersembunyi ({names}); hapus sheet tersebut.",
    "XLSX_FORMULA": (
        "Berkas XLSX berisi rumus (formula); salin lalu tempel sebagai nilai (Paste Values) sebelum mengunggah."
    ),
    "XLSX_MERGED_CELLS": "Berkas XLSX berisi sel yang digabung (merge); pisahkan sel tersebut.",
    "CSV_ENCODING_UNSUPPORTED": (
        'Pengodean karakter berkas CSV tidak didukung; simpan sebagai "CSV UTF-8" atau "CSV (dipisahkan koma)".'
    ),
    "CSV_MALFORMED": 'Berkas CSV tidak dapat dibaca mulai baris {row}: periksa tanda kutip (").',
    "RECAP_TOO_MANY_ROWS": "Rekap berisi lebih dari {limit} baris data; bagi menjadi beberapa berkas.",
}

_ZIP = b"PK\x03\x04"
_OLE = bytes.fromhex("d0cf11e0a1b11ae1")  # .xls, and any password-protected Office file
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_FIRST_WORDS = re.compile(r"^.*\w.*$", re.MULTILINE)
_CHUNK = 1 << 20
_TAIL = 64  # longer than any token scanned for, so a token split across chunks is still seen
_MAX_WORKBOOK_XML = 10 << 20


class RecapFileRefused(Exception):
    """The file cannot be read as a recap; `issues` lists every reason found."""

    def __init__(self, issues: Sequence[RecapIssue]) -> None:
        super().__init__(", ".join(i.code for i in issues))
        self.issues = tuple(issues)
        self.code = self.issues[0].code


@dataclass(frozen=True)
class RecapFile:
    sheet: RecapSheet
    format: Literal["csv", "xlsx"]
    encoding: str | None = None  # CSV only: utf-8, utf-8-sig or cp1252
    delimiter: str | None = None  # CSV only


def _issue(code: str, /, at_row: int | None = None, **details: object) -> RecapIssue:
    return RecapIssue(at_row, None, code, MESSAGES[code].format(**details))


def _refuse(code: str, /, at_row: int | None = None, **details: object) -> RecapFileRefused:
    return RecapFileRefused([_issue(code, at_row, **details)])


def read_recap_file(
    data: bytes, filename: str | None = None, *, max_rows: int = DEFAULT_MAX_ROWS
) -> RecapFile:
    """Raise RecapFileRefused when the file cannot be read faithfully or has more than
    `max_rows` data rows. Row numbers in the result are the file's own (header = 1)."""
    if not data:
        raise _refuse("FILE_EMPTY")
    extension = PurePath(filename).suffix.lower() if filename else ""
    if data.startswith(_OLE):
        raise _refuse("XLSX_LEGACY_OR_PROTECTED")
    if extension not in ("", ".csv", ".xlsx"):
        raise _refuse("FILE_TYPE_UNSUPPORTED")
    if data.startswith(_ZIP):
        if extension == ".csv":
            raise _refuse("FILE_TYPE_MISMATCH", extension=extension)
        return _read_xlsx(data, max_rows)
    if extension == ".xlsx":
        raise _refuse("FILE_TYPE_MISMATCH", extension=extension)
    return _read_csv(data, max_rows)


# ---- CSV ----


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _refuse("CSV_ENCODING_UNSUPPORTED") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse("CSV_ENCODING_UNSUPPORTED")
    if b"\x00" in data:
        # UTF-16 without a BOM puts a NUL beside every ASCII letter; anything else is binary.
        nuls = max(data[0::2].count(0), data[1::2].count(0))
        raise _refuse("CSV_ENCODING_UNSUPPORTED" if nuls * 4 > len(data) else "FILE_TYPE_UNSUPPORTED")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _refuse("CSV_ENCODING_UNSUPPORTED")


def _read_csv(data: bytes, max_rows: int) -> RecapFile:
    text, encoding = _decode(data)
    if _CONTROL.search(text):
        raise _refuse("FILE_TYPE_UNSUPPORTED")
    header_line = _FIRST_WORDS.search(text)  # the header: the first line with a letter or digit
    line = header_line.group(0) if header_line else ""
    delimiter = ";" if line.count(";") > line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_row = 1
    rows: list[tuple[int, Sequence[Cell]]] = []
    number = 0
    try:
        # A record is one spreadsheet row even when a quoted field spans lines.
        for number, record in enumerate(reader, start=1):
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header, header_row = record, number
                continue
            if len(rows) == max_rows:
                raise _refuse("RECAP_TOO_MANY_ROWS", limit=max_rows)
            rows.append((number, record))
    except csv.Error as exc:
        raise _refuse("CSV_MALFORMED", number + 1, row=number + 1) from exc
    if header is None:
        raise _refuse("FILE_EMPTY")
    return RecapFile(RecapSheet(header, rows, header_row), "csv", encoding, delimiter)


# ---- XLSX ----


@dataclass
class _SheetScan:
    rows: int = 0
    formulas: bool = False
    merged: bool = False


def _sheets(workbook_xml: bytes) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(workbook_xml)
    return [
        (el.get("name", ""), el.get("state", "visible"))
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "sheet"
    ]


def _scan(stream: IO[bytes], row_limit: int) -> _SheetScan:
    """Count rows and find formulas and merged cells by byte tokens, chunk by chunk.

    Element text cannot hold a raw `<`, so a token can only be markup. Rows that carry only
    formatting count too: the exact count of data rows is made after parsing.
    """
    scan = _SheetScan()
    chunk = stream.read(_CHUNK)
    match = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]", chunk)
    prefix = (match.group(1) or b"") if match else b""
    row_tokens = (b"<" + prefix + b"row ", b"<" + prefix + b"row>")
    formula_tokens = (b"<" + prefix + b"f>", b"<" + prefix + b"f ", b"<" + prefix + b"f/>")
    merge_token = b"<" + prefix + b"mergeCell "
    tail = b""
    while chunk:
        window = tail + chunk
        # Tokens wholly inside the tail were counted with the previous chunk.
        scan.rows += sum(window.count(t) - tail.count(t) for t in row_tokens)
        scan.formulas = scan.formulas or any(t in window for t in formula_tokens)
        scan.merged = scan.merged or merge_token in window
        if scan.rows > row_limit:
            break
        tail = window[-_TAIL:]
        chunk = stream.read(_CHUNK)
    return scan


def _read_xlsx(data: bytes, max_rows: int) -> RecapFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise _refuse("XLSX_INVALID") from exc
    issues: list[RecapIssue] = []
    # Row elements a little beyond the limit may be blank formatted rows; the exact count follows.
    row_limit = max_rows + 1 + max_rows // 10
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise _refuse("FILE_TYPE_UNSUPPORTED")  # another zip: .ods, .docx, an archive
        try:
            if archive.getinfo("xl/workbook.xml").file_size > _MAX_WORKBOOK_XML:
                raise _refuse("XLSX_INVALID")
            sheets = _sheets(archive.read("xl/workbook.xml"))
            parts = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
            scans = []
            for part in parts:
                with archive.open(part) as stream:
                    scans.append(_scan(stream, row_limit))
        except (zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError) as exc:
            raise _refuse("XLSX_INVALID") from exc
    if len(sheets) > 1:
        issues.append(_issue("XLSX_MULTIPLE_SHEETS", count=len(sheets)))
    hidden = [name for name, state in sheets if state != "visible"]
    if hidden:
        issues.append(_issue("XLSX_HIDDEN_SHEET", names=", ".join(hidden)))
    if any(s.formulas for s in scans):
        issues.append(_issue("XLSX_FORMULA"))
    if any(s.merged for s in scans):
        issues.append(_issue("XLSX_MERGED_CELLS"))
    if any(s.rows > row_limit for s in scans):
        issues.append(_issue("RECAP_TOO_MANY_ROWS", limit=max_rows))
    if not sheets or not parts:
        issues.append(_issue("XLSX_INVALID"))
    if issues:
        raise RecapFileRefused(issues)

    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            table = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise _refuse("XLSX_INVALID") from exc
    header: Sequence[Cell] | None = None
    header_row = 1
    rows: list[tuple[int, Sequence[Cell]]] = []
    for number, cells in enumerate(table, start=1):
        if all(c == "" for c in cells):  # calamine reads an empty cell as ""
            continue
        if header is None:
            header, header_row = cells, number
            continue
        if len(rows) == max_rows:
            raise _refuse("RECAP_TOO_MANY_ROWS", limit=max_rows)
        rows.append((number, cells))
    if header is None:
        raise _refuse("FILE_EMPTY")
    return RecapFile(RecapSheet(header, rows, header_row), "xlsx")
