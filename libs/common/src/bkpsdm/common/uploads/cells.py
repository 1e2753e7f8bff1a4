"""Recap cells as intake's recap contract allows them to be written, read into plain values.

Intake accepted the file with these spellings (a rating as 1-3 or "Di Atas Ekspektasi", a
period as 2025 or 2025-06, an echelon as "II.a", education as "40" or "S1", "Ya"/"Tidak"...);
uploaders read the same file again and need the same meaning. Pure: no I/O. Each function
returns None for a cell it cannot read, and the caller's rules say what that means. The
classifying ones are memoised: a recap repeats the same few spellings on every row.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from bkpsdm.common.uploads.model import Cell


def squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def text(cell: Cell) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    value = str(cell).strip()
    return value or None


@lru_cache(maxsize=4096, typed=True)
def whole(cell: Cell) -> int | None:
    """An integer written as int, integral float or digits (spreadsheets store 2 as 2.0)."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, str) and cell.strip().isascii() and cell.strip().isdigit():
        return int(cell.strip())
    return None


@lru_cache(maxsize=4096, typed=True)
def number(cell: Cell) -> Decimal | None:
    """A number, Indonesian spreadsheets' decimal comma included (87,5)."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell)) if cell == cell and abs(cell) != float("inf") else None
    if isinstance(cell, str) and re.fullmatch(r"\s*-?\d+(?:[.,]\d+)?\s*", cell):
        try:
            return Decimal(cell.strip().replace(",", "."))
        except InvalidOperation:
            return None
    return None


_RATING_WORDS = {
    "diatasekspektasi": 1, "diatas": 1, "sesuaiekspektasi": 2, "sesuai": 2,
    "dibawahekspektasi": 3, "dibawah": 3,
}  # fmt: skip
_PREDIKAT_WORDS = {
    "sangatbaik": 1, "baik": 2, "butuhperbaikan": 3, "kurang": 4, "kurangmisconduct": 4, "sangatkurang": 5,
}  # fmt: skip


@lru_cache(maxsize=4096, typed=True)
def rating_code(cell: Cell) -> int | None:
    """SIASN rating: 1 Di Atas, 2 Sesuai, 3 Di Bawah Ekspektasi."""
    code = whole(cell)
    if code is None and isinstance(cell, str):
        code = _RATING_WORDS.get(squash(cell))
    return code if code in (1, 2, 3) else None


@lru_cache(maxsize=4096, typed=True)
def predikat_code(cell: Cell) -> int | None:
    """SIASN predikat (kuadran): 1 Sangat Baik .. 5 Sangat Kurang."""
    code = whole(cell)
    if code is None and isinstance(cell, str):
        code = _PREDIKAT_WORDS.get(squash(cell))
    return code if code in (1, 2, 3, 4, 5) else None


@lru_cache(maxsize=4096, typed=True)
def period(cell: Cell) -> str | None:
    """`YYYY` or `YYYY-MM` (also written MM-YYYY, YYYY/MM, or as a date)."""
    if isinstance(cell, datetime | date):
        return f"{cell.year:04d}-{cell.month:02d}"
    year = whole(cell)
    if year is not None:
        return f"{year:04d}" if 1900 <= year <= 2999 else None
    if not isinstance(cell, str):
        return None
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", cell.strip()) or re.fullmatch(
        r"(\d{1,2})[-/.](\d{4})", cell.strip()
    )
    if match is None:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    year, month = (first, second) if first > 12 else (second, first)
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None


_EDUCATION_WORDS = {
    "sd": "05", "sltp": "10", "smp": "10", "slta": "15", "sma": "15", "smk": "15",
    "d1": "20", "di": "20", "d2": "25", "dii": "25", "d3": "30", "diii": "30", "d4": "35", "div": "35",
    "s1": "40", "profesi": "42", "s2": "45", "sp1": "47", "subspesialis": "49", "s3": "50",
}  # fmt: skip


@lru_cache(maxsize=4096, typed=True)
def education_code(cell: Cell) -> str | None:
    """A SIASN education code ("40"), from a code or a name ("S1", "D-III")."""
    code = whole(cell)
    if code is not None:
        return f"{code:02d}"
    value = text(cell)
    return _EDUCATION_WORDS.get(squash(value)) if value else None


_POSITION_WORDS = {
    "struktural": "struktural", "jabatanstruktural": "struktural",
    "fungsional": "fungsional", "jabatanfungsional": "fungsional", "jft": "fungsional",
    "fungsionaltertentu": "fungsional",
    "pelaksana": "pelaksana", "jabatanpelaksana": "pelaksana", "jfu": "pelaksana", "fungsionalumum": "pelaksana",
}  # fmt: skip


@lru_cache(maxsize=4096, typed=True)
def position_type(cell: Cell) -> str | None:
    value = text(cell)
    return _POSITION_WORDS.get(squash(value)) if value else None


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_ECHELON = re.compile(r"(iii|ii|iv|i|v|[1-5])[ab]?")


@lru_cache(maxsize=4096, typed=True)
def echelon(cell: Cell) -> int | None:
    """The echelon's level, 1-5 ("II.a" and "II.b" are both 2)."""
    value = text(cell)
    if value is None:
        return None
    match = _ECHELON.fullmatch(squash(value).removeprefix("eselon"))
    return _ROMAN[match.group(1)] if match else None


_NO_WORDS = frozenset({"tidak", "t", "belum", "tidakada", "no", "n", "0", "false", "nihil"})
_YES_WORDS = frozenset({"ya", "y", "sudah", "ada", "yes", "1", "true"})


@lru_cache(maxsize=4096, typed=True)
def yes_no(cell: Cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    value = text(cell)
    if value is None:
        return None
    if value == "-":
        return False
    word = squash(value)
    if word in _YES_WORDS:
        return True
    return False if word in _NO_WORDS else None


_LEADERSHIP = re.compile(r"(?:diklat|pelatihan)?(?:pim|pkn|diklatpim)(?:tingkat|tk)?(iii|ii|iv|i|[1-4])")
_LEADERSHIP_WORDS = {
    "pka": 3, "pelatihankepemimpinanadministrator": 3, "pkp": 4, "pelatihankepemimpinanpengawas": 4,
}  # fmt: skip


@lru_cache(maxsize=4096, typed=True)
def leadership_level(cell: Cell) -> int | None:
    """The leadership training level attended (1-4), 0 for none, None when unreadable."""
    value = text(cell)
    if value is None or value == "-":
        return 0
    word = squash(value).replace("kepemimpinannasional", "pkn")
    if word in _NO_WORDS:
        return 0
    if word in _LEADERSHIP_WORDS:
        return _LEADERSHIP_WORDS[word]
    match = _LEADERSHIP.fullmatch(word)
    return _ROMAN[match.group(1)] if match else None


@lru_cache(maxsize=4096, typed=True)
def sanction(cell: Cell) -> str | None:
    """ "ringan", "sedang", "berat", or "tidak_ada"; None when unreadable."""
    value = text(cell)
    if value is None or value == "-":
        return "tidak_ada"
    levels = [level for level in ("ringan", "sedang", "berat") if level in squash(value)]
    if len(levels) == 1:
        return levels[0]
    if not levels and squash(value) in {"tidakada", "tidak", "nihil", "tidakpernah", "belumpernah"}:
        return "tidak_ada"
    return None
