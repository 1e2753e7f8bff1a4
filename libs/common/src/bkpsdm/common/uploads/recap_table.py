"""Reading a recap file (CSV or XLSX) by its header, as intake's recap contract names the columns.

Intake has already refused files it could not read faithfully and rows that break a rule,
and the hash proves this is that file; so this reader is lenient: unknown columns are
ignored, blank rows skipped. Header names match case-, space- and punctuation-insensitively.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence

from python_calamine import CalamineError, CalamineWorkbook

from bkpsdm.common.errors import PermanentError
from bkpsdm.common.uploads.model import Cell, Column, RecapRow


class RecapUnreadable(PermanentError):
    """The recap cannot be read (after its hash matched): the request is dead-lettered."""


def words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")  # what Excel's plain "CSV" writes


def _csv_rows(data: bytes) -> list[tuple[int, Sequence[Cell]]]:
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    except csv.Error as exc:
        raise RecapUnreadable(f"RECAP_UNREADABLE: the CSV cannot be parsed ({exc})") from None


def _xlsx_rows(data: bytes) -> list[tuple[int, Sequence[Cell]]]:
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            table = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise RecapUnreadable(f"RECAP_UNREADABLE: the XLSX cannot be read ({type(exc).__name__})") from None
    return list(enumerate(table, start=1))


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_recap(data: bytes, file_format: str, columns: Sequence[Column]) -> list[RecapRow]:
    """The data rows by column key; raises RecapUnreadable when no header binds a column."""
    fmt = file_format.casefold()
    if fmt == "csv":
        numbered = _csv_rows(data)
    elif fmt == "xlsx":
        numbered = _xlsx_rows(data)
    else:
        raise RecapUnreadable(f"RECAP_FORMAT_UNSUPPORTED: {file_format!r} is neither csv nor xlsx")
    by_spelling = {words(name): column.key for column in columns for name in column.names}
    rows: list[RecapRow] = []
    bound: list[tuple[int, str]] | None = None
    for number, cells in numbered:
        if all(_blank(c) for c in cells):
            continue
        if bound is None:
            found: dict[str, int] = {}
            for index, cell in enumerate(cells):
                key = by_spelling.get(words(str(cell))) if not _blank(cell) else None
                if key is not None and key not in found:
                    found[key] = index
            bound = [(index, key) for key, index in found.items()]
            if not bound:
                raise RecapUnreadable("RECAP_HEADER_UNKNOWN: no column of the recap contract in the header")
            continue
        values: dict[str, Cell] = {}
        for index, key in bound:
            cell = cells[index] if index < len(cells) else None
            if isinstance(cell, str):
                cell = cell.strip()
            values[key] = None if _blank(cell) else cell
        if any(v is not None for v in values.values()):
            rows.append(RecapRow(number, values))
    if bound is None:
        raise RecapUnreadable("RECAP_EMPTY: the recap has no header row")
    return rows
