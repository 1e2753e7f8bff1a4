"""Recap rows an applicant uploads (E-LAPKIN, IP-ASN): the expected columns, the rule for each
cell, and every error at once with the row number the applicant sees. Pure: no I/O.

Header names match case-, space- and punctuation-insensitively ("Unit_Kerja" = "unit kerja"),
through aliases. A row is one employee. Values come normalised in `RecapRecord.values`
(ratings and predikat as SIASN codes, periods as `TTTT` or `TTTT-BB`), so later steps need
not parse them again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import partial

from bkpsdm.common.nip import MESSAGES as NIP_MESSAGES
from bkpsdm.common.nip import InvalidNip, NipKind, check_birth_date, parse_nip

Cell = str | int | float | bool | date | datetime | time | timedelta | None
Value = str | int | float | bool | None


class RecapKind(StrEnum):
    E_LAPKIN = "E-LAPKIN"
    IP_ASN = "IP-ASN"


MESSAGES: dict[str, str] = {
    "RECAP_HEADER_INVALID": "Baris judul kolom tidak sesuai format rekap {kind}. {details}",
    "RECAP_NO_ROWS": "Rekap tidak berisi data pegawai (hanya baris judul atau kosong).",
    "RECAP_ROW_TOO_LONG": (
        "Baris ini berisi lebih banyak nilai daripada judul kolom; periksa tanda pemisah (, atau ;)"
        " di dalam isian."
    ),
    "RECAP_VALUE_REQUIRED": "Kolom {column} wajib diisi.",
    "RECAP_TEXT_TOO_LONG": "Isian kolom {column} lebih dari {limit} karakter.",
    "RECAP_NIP_NOT_TEXT": (
        "NIP tersimpan sebagai angka sehingga digitnya dapat berubah; ketik NIP sebagai teks (format sel Teks)."
    ),
    "RECAP_NIP_DUPLICATE": "NIP ini sudah tercantum pada baris {first}.",
    "RECAP_NIP_ALREADY_ACCEPTED": (
        "NIP ini sudah tercantum pada rekap yang telah diterima untuk unit dan periode yang sama."
    ),
    "RECAP_PERIOD_INVALID": "Periode tidak sah; isi dengan {expected}.",
    "RECAP_PERIOD_MISMATCH": "Periode {found} berbeda dengan periode rekap {expected}.",
    "RECAP_EMPLOYEE_TYPE_INVALID": "Jenis ASN harus PNS atau PPPK.",
    "RECAP_DATE_INVALID": "Tanggal tidak sah; gunakan format TTTT-BB-HH atau HH-BB-TTTT.",
    "RECAP_RATING_INVALID": (
        "Rating {column} harus 1 (Di Atas Ekspektasi), 2 (Sesuai Ekspektasi) atau 3 (Di Bawah Ekspektasi)."
    ),
    "RECAP_PREDIKAT_INVALID": (
        "Predikat harus 1 (Sangat Baik), 2 (Baik), 3 (Butuh Perbaikan), 4 (Kurang) atau 5 (Sangat Kurang)."
    ),
    "RECAP_PREDIKAT_MISMATCH": (
        "Predikat tidak sesuai dengan rating hasil kerja dan perilaku; menurut PermenPANRB 6/2022"
        " predikatnya {expected}."
    ),
    "RECAP_SCORE_INVALID": "Nilai {column} harus angka 0 sampai 100.",
    "RECAP_SCORE_INCONSISTENT": (
        "Nilai Prestasi Kerja tidak sama dengan 60% Nilai SKP + 40% Nilai Perilaku ({expected})."
    ),
    "RECAP_SKP_MISSING": "Penilaian kinerja kosong: isi {expected}.",
    "RECAP_EDUCATION_INVALID": (
        "Kode pendidikan tidak dikenal; gunakan kode SIASN (05 SD, 10 SLTP, 15 SLTA, 20 D-I, 25 D-II,"
        " 30 D-III, 35 D-IV, 40 S-1, 45 S-2, 50 S-3) atau namanya."
    ),
    "RECAP_EDUCATION_REVIEW": (
        "Pendidikan kode {code} belum punya padanan tetap dalam penilaian IP-ASN; akan diperiksa petugas."
    ),
    "RECAP_POSITION_TYPE_INVALID": "Jenis jabatan harus struktural, fungsional atau pelaksana.",
    "RECAP_ECHELON_INVALID": "Eselon tidak sah; gunakan format seperti II.a, III.b atau IV.a.",
    "RECAP_ECHELON_NOT_APPLICABLE": "Eselon hanya diisi untuk jabatan struktural.",
    "RECAP_LEADERSHIP_TRAINING_INVALID": (
        "Diklat kepemimpinan tidak dikenal; isi PIM I, PIM II, PIM III, PIM IV, PKN I, PKN II, PKA, PKP"
        " atau Tidak."
    ),
    "RECAP_YES_NO_INVALID": "Kolom {column} harus diisi Ya atau Tidak.",
    "RECAP_TRAINING_HOURS_INVALID": "Jam pelatihan teknis harus angka 0 sampai {limit} JP.",
    "RECAP_SANCTION_INVALID": "Hukuman disiplin harus Tidak Ada, Ringan, Sedang atau Berat.",
}

RATING_LABELS = {1: "Di Atas Ekspektasi", 2: "Sesuai Ekspektasi", 3: "Di Bawah Ekspektasi"}
PREDIKAT_LABELS = {1: "Sangat Baik", 2: "Baik", 3: "Butuh Perbaikan", 4: "Kurang", 5: "Sangat Kurang"}

# PermenPANRB 6/2022: (hasil kerja, perilaku) -> predikat, in SIASN codes. An explicit table:
# max() of the two ratings is wrong (Di Atas + Di Bawah is Kurang, not Baik).
PREDIKAT_MATRIX: Mapping[tuple[int, int], int] = {
    (1, 1): 1, (1, 2): 2, (1, 3): 4,
    (2, 1): 2, (2, 2): 2, (2, 3): 4,
    (3, 1): 3, (3, 2): 3, (3, 3): 5,
}  # fmt: skip

# SIASN education codes (DOMAIN.md). 42 Profesi, 47 Sp-1 and 49 Subspesialis have no settled
# IP-ASN mapping yet: accepted, and flagged for an officer to review.
EDUCATION_CODES = {
    "05": "SD", "10": "SLTP", "15": "SLTA", "20": "D-I", "25": "D-II", "30": "D-III", "35": "D-IV",
    "40": "S-1", "42": "Profesi", "45": "S-2", "47": "Sp-1", "49": "Subspesialis", "50": "S-3",
}  # fmt: skip
EDUCATION_TO_REVIEW = frozenset({"42", "47", "49"})


@dataclass(frozen=True)
class RecapRules:
    """The rule set in force; its version is recorded with every validation."""

    version: str = "recap-rules/2026.1"
    predikat_matrix: Mapping[tuple[int, int], int] = field(default_factory=lambda: dict(PREDIKAT_MATRIX))
    max_text_length: int = 200
    score_tolerance: float = 0.01  # recaps round the weighted score to two decimals


DEFAULT_RULES = RecapRules()
MAX_TRAINING_HOURS = 2000  # more than a year of 37.5-hour weeks cannot all be training
PERIOD_YEARS = range(2000, 2100)


@dataclass(frozen=True)
class RecapSheet:
    """What a file reader hands over: the header cells and the data rows with their file row numbers."""

    header: Sequence[Cell]
    rows: Sequence[tuple[int, Sequence[Cell]]]
    header_row: int = 1


@dataclass(frozen=True)
class RecapIssue:
    row: int | None  # as the applicant sees it in the file; None for the file as a whole
    column: str | None  # the column's name as written in the file's header
    code: str
    message: str


@dataclass(frozen=True)
class RecapRecord:
    row: int
    values: Mapping[str, Value]  # by column key; None when blank or refused
    valid: bool


@dataclass(frozen=True)
class RecapValidation:
    kind: RecapKind
    rules_version: str
    period: str | None
    columns: Mapping[str, str]  # column key -> its name as written in the file
    records: tuple[RecapRecord, ...]
    errors: tuple[RecapIssue, ...]
    warnings: tuple[RecapIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def message(code: str, /, **details: object) -> str:
    return MESSAGES[code].format(**details)


class _Refused(Exception):
    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# ---- cell parsers: a stripped, non-blank cell in, a normalised value out (or _Refused) ----


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def _whole(cell: Cell) -> int | None:
    """An integer written as int, integral float or digits (spreadsheets store 2025 as 2025.0)."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, str) and cell.isascii() and cell.isdigit():
        return int(cell)
    return None


def _number(cell: Cell) -> float | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, str) and re.fullmatch(r"\d+(?:[.,]\d+)?", cell):
        return float(cell.replace(",", "."))  # Indonesian spreadsheets write 87,5
    return None


def _plain(number: float) -> int | float:
    return int(number) if number.is_integer() else number


def _text(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


_SCIENTIFIC = re.compile(r"\d(?:[.,]\d+)?e\+?\d+", re.IGNORECASE)


def _nip_text(cell: Cell) -> str:
    # An 18-digit number does not survive a spreadsheet's floating point (15-16 digits), and
    # a CSV saved from such a sheet shows it as 1,98609E+17: the digits are already lost.
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise _Refused("RECAP_NIP_NOT_TEXT")
    text = _text(cell)
    if _SCIENTIFIC.fullmatch(text):
        raise _Refused("RECAP_NIP_NOT_TEXT")
    return text


def _employee_type(cell: Cell) -> str:
    word = _squash(_text(cell))
    if word in ("pns", "cpns"):
        return NipKind.PNS.value
    if word in ("pppk", "p3k"):
        return NipKind.PPPK.value
    raise _Refused("RECAP_EMPLOYEE_TYPE_INVALID")


def _birth_date(cell: Cell) -> str:
    if isinstance(cell, date):
        return (cell.date() if isinstance(cell, datetime) else cell).isoformat()
    text = _text(cell)
    patterns = (
        (r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", (1, 2, 3)),
        (r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", (3, 2, 1)),
    )
    for pattern, (y, m, d) in patterns:
        match = re.fullmatch(pattern, text)
        if match:
            try:
                return date(int(match.group(y)), int(match.group(m)), int(match.group(d))).isoformat()
            except ValueError:
                break
    raise _Refused("RECAP_DATE_INVALID")


_RATING_WORDS = {
    "diatasekspektasi": 1, "diatas": 1, "sesuaiekspektasi": 2, "sesuai": 2,
    "dibawahekspektasi": 3, "dibawah": 3,
}  # fmt: skip


def _rating(cell: Cell) -> int:
    code = _whole(cell)
    if code is None and isinstance(cell, str):
        code = _RATING_WORDS.get(_squash(cell))
    if code not in RATING_LABELS:
        raise _Refused("RECAP_RATING_INVALID")
    return code


_PREDIKAT_WORDS = {
    "sangatbaik": 1, "baik": 2, "butuhperbaikan": 3, "kurang": 4, "kurangmisconduct": 4, "sangatkurang": 5,
}  # fmt: skip


def _predikat(cell: Cell) -> int:
    code = _whole(cell)
    if code is None and isinstance(cell, str):
        code = _PREDIKAT_WORDS.get(_squash(cell))
    if code not in PREDIKAT_LABELS:
        raise _Refused("RECAP_PREDIKAT_INVALID")
    return code


def _score(cell: Cell) -> int | float:
    number = _number(cell)
    if number is None or not 0 <= number <= 100:
        raise _Refused("RECAP_SCORE_INVALID")
    return _plain(number)


_EDUCATION_WORDS = {
    "sd": "05", "sltp": "10", "smp": "10", "slta": "15", "sma": "15", "smk": "15",
    "d1": "20", "di": "20", "d2": "25", "dii": "25", "d3": "30", "diii": "30", "d4": "35", "div": "35",
    "s1": "40", "profesi": "42", "s2": "45", "sp1": "47", "subspesialis": "49", "s3": "50",
}  # fmt: skip


def _education(cell: Cell) -> str:
    number = _whole(cell)
    code = f"{number:02d}" if number is not None else _EDUCATION_WORDS.get(_squash(_text(cell)))
    if code not in EDUCATION_CODES:
        raise _Refused("RECAP_EDUCATION_INVALID")
    return code


class PositionType(StrEnum):
    STRUKTURAL = "struktural"
    FUNGSIONAL = "fungsional"
    PELAKSANA = "pelaksana"


_POSITION_WORDS = {
    "struktural": PositionType.STRUKTURAL, "jabatanstruktural": PositionType.STRUKTURAL,
    "fungsional": PositionType.FUNGSIONAL, "jabatanfungsional": PositionType.FUNGSIONAL,
    "jft": PositionType.FUNGSIONAL, "fungsionaltertentu": PositionType.FUNGSIONAL,
    "pelaksana": PositionType.PELAKSANA, "jabatanpelaksana": PositionType.PELAKSANA,
    "jfu": PositionType.PELAKSANA, "fungsionalumum": PositionType.PELAKSANA,
}  # fmt: skip


def _position_type(cell: Cell) -> str:
    kind = _POSITION_WORDS.get(_squash(_text(cell)))
    if kind is None:
        raise _Refused("RECAP_POSITION_TYPE_INVALID")
    return kind.value


_ROMAN = {
    "1": "I",
    "2": "II",
    "3": "III",
    "4": "IV",
    "5": "V",
    "i": "I",
    "ii": "II",
    "iii": "III",
    "iv": "IV",
}
# I to IV only: the IP-ASN rules map these to a Diklat PIM level; eselon V has none there.
_ECHELON = re.compile(r"(iii|ii|iv|i|[1-4])([ab])")


def _echelon(cell: Cell) -> str:
    match = _ECHELON.fullmatch(_squash(_text(cell)).removeprefix("eselon"))
    if match is None:
        raise _Refused("RECAP_ECHELON_INVALID")
    return f"{_ROMAN[match.group(1)]}.{match.group(2)}"


_NO_WORDS = frozenset({"tidak", "t", "belum", "tidakada", "no", "n", "0", "false", "nihil"})
_YES_WORDS = frozenset({"ya", "y", "sudah", "ada", "yes", "1", "true"})
_LEADERSHIP = re.compile(
    r"(?:(?:diklat|pelatihan) ?)?(?:pim|pkn|diklatpim)(?: ?(?:tingkat|tk))? ?(iii|ii|iv|i|[1-4])"
)
_LEADERSHIP_WORDS = {
    "pka": "III", "pelatihankepemimpinanadministrator": "III",
    "pkp": "IV", "pelatihankepemimpinanpengawas": "IV",
}  # fmt: skip


def _leadership(cell: Cell) -> str:
    """The level of leadership training attended (I-IV), or "tidak"."""
    squashed = _squash(_text(cell))
    if squashed in _NO_WORDS or _text(cell).strip() == "-":
        return "tidak"
    if squashed in _LEADERSHIP_WORDS:
        return _LEADERSHIP_WORDS[squashed]
    match = _LEADERSHIP.fullmatch(_words(_text(cell)).replace("kepemimpinan nasional", "pkn"))
    if match is None:
        raise _Refused("RECAP_LEADERSHIP_TRAINING_INVALID")
    return _ROMAN[match.group(1)]


def _yes_no(cell: Cell) -> bool:
    if isinstance(cell, bool):
        return cell
    word = _squash(_text(cell))
    if word in _YES_WORDS:
        return True
    if word in _NO_WORDS or _text(cell).strip() == "-":
        return False
    raise _Refused("RECAP_YES_NO_INVALID")


_SANCTION_LEVELS = ("ringan", "sedang", "berat")


def _sanction(cell: Cell) -> str:
    text = _text(cell)
    words = set(_words(text).split())
    levels = [level for level in _SANCTION_LEVELS if level in words]
    if len(levels) == 1:
        return levels[0]
    if not levels and (
        _squash(text) in {"tidakada", "tidak", "nihil", "tidakpernah", "belumpernah"} or text == "-"
    ):
        return "tidak ada"
    raise _Refused("RECAP_SANCTION_INVALID")


_PERIOD_FORMAT = {True: "tahun (TTTT) atau tahun-bulan (TTTT-BB)", False: "tahun (TTTT)"}


def _period(cell: Cell, *, monthly: bool) -> str:
    if isinstance(cell, date):
        if not monthly:
            raise _Refused("RECAP_PERIOD_INVALID", expected=_PERIOD_FORMAT[monthly])
        return f"{cell.year:04d}-{cell.month:02d}"
    year = _whole(cell)
    month: int | None = None
    if year is None and monthly and isinstance(cell, str):
        match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", cell) or re.fullmatch(r"(\d{1,2})[-/.](\d{4})", cell)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            year, month = (first, second) if first > 12 else (second, first)
    if year is None or year not in PERIOD_YEARS:
        raise _Refused("RECAP_PERIOD_INVALID", expected=_PERIOD_FORMAT[monthly])
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        raise _Refused("RECAP_PERIOD_INVALID", expected=_PERIOD_FORMAT[monthly])
    return f"{year:04d}-{month:02d}"


def _hours(cell: Cell) -> int | float:
    number = _number(cell)
    if number is None or not 0 <= number <= MAX_TRAINING_HOURS:
        raise _Refused("RECAP_TRAINING_HOURS_INVALID", limit=MAX_TRAINING_HOURS)
    return _plain(number)


# ---- columns ----


@dataclass(frozen=True)
class Column:
    key: str
    name: str  # the canonical Indonesian header, used when the column is missing
    parse: Callable[[Cell], Value]
    aliases: tuple[str, ...] = ()
    in_header: bool = True  # the header must have this column
    value_required: bool = True  # every row must fill it
    cached: bool = True  # values repeat (units, ratings): parse each distinct cell once

    @property
    def spellings(self) -> tuple[str, ...]:
        return (_words(self.name), *(_words(a) for a in self.aliases))


_IDENTITY = (
    Column("nip", "NIP", _nip_text, ("nip baru", "nomor induk pegawai", "nip pegawai", "ni pppk"), cached=False),
    Column("nama", "Nama", _text, ("nama pegawai", "nama lengkap", "nama asn"), cached=False),
    Column("unit_kerja", "Unit Kerja", _text, ("unit", "unor", "satuan kerja", "perangkat daerah", "opd")),
    Column("jenis_asn", "Jenis ASN", _employee_type, ("jenis pegawai", "status pegawai", "status kepegawaian", "status asn"), in_header=False, value_required=False),
    Column("tanggal_lahir", "Tanggal Lahir", _birth_date, ("tgl lahir", "tgl. lahir"), in_header=False, value_required=False),
)  # fmt: skip

_ELAPKIN_COLUMNS = (
    *_IDENTITY,
    Column("periode", "Periode", partial(_period, monthly=True), ("periode penilaian", "tahun", "tahun penilaian")),
    Column("hasil_kerja", "Hasil Kerja", _rating, ("rating hasil kerja", "nilai hasil kerja", "hasil kerja pegawai"), in_header=False, value_required=False),
    Column("perilaku", "Perilaku Kerja", _rating, ("perilaku", "rating perilaku", "rating perilaku kerja"), in_header=False, value_required=False),
    Column("predikat", "Predikat", _predikat, ("predikat kinerja", "predikat skp", "kuadran", "kuadran kinerja"), in_header=False, value_required=False),
    Column("nilai_skp", "Nilai SKP", _score, ("nilai sasaran kerja pegawai",), in_header=False, value_required=False),
    Column("nilai_perilaku", "Nilai Perilaku", _score, ("nilai perilaku kerja",), in_header=False, value_required=False),
    Column("nilai_prestasi", "Nilai Prestasi Kerja", _score, ("nilai ppk", "nilai akhir", "prestasi kerja"), in_header=False, value_required=False),
)  # fmt: skip

_IPASN_COLUMNS = (
    *_IDENTITY,
    Column("periode", "Periode", partial(_period, monthly=False), ("tahun", "tahun pengukuran", "periode pengukuran")),
    Column("pendidikan", "Pendidikan", _education, ("pendidikan terakhir", "kode pendidikan", "tingkat pendidikan")),
    Column("jenis_jabatan", "Jenis Jabatan", _position_type, ("jenis jab",)),
    Column("nama_jabatan", "Nama Jabatan", _text, ("jabatan",)),
    Column("eselon", "Eselon", _echelon, (), value_required=False),
    Column("diklat_kepemimpinan", "Diklat Kepemimpinan", _leadership, ("diklat pim", "diklatpim", "pelatihan kepemimpinan"), value_required=False),
    Column("diklat_fungsional", "Diklat Fungsional", _yes_no, ("pelatihan fungsional",), value_required=False),
    Column("jp_pelatihan_teknis", "JP Pelatihan Teknis", _hours, ("jp diklat teknis", "jam pelatihan teknis", "pelatihan teknis jp", "diklat teknis jp", "jp")),
    Column("seminar_workshop", "Seminar/Workshop", _yes_no, ("seminar", "workshop", "seminar workshop 2 tahun terakhir")),
    Column("nilai_skp", "Nilai SKP", _score, ("nilai skp tahun lalu", "nilai kinerja"), in_header=False, value_required=False),
    Column("predikat_skp", "Predikat SKP", _predikat, ("predikat", "predikat kinerja", "predikat skp tahun lalu"), in_header=False, value_required=False),
    Column("hukuman_disiplin", "Hukuman Disiplin", _sanction, ("hukdis", "tingkat hukuman disiplin", "hukuman disiplin 5 tahun terakhir")),
)  # fmt: skip

COLUMNS: Mapping[RecapKind, tuple[Column, ...]] = {
    RecapKind.E_LAPKIN: _ELAPKIN_COLUMNS,
    RecapKind.IP_ASN: _IPASN_COLUMNS,
}
# Columns applicants commonly add that carry nothing to check.
IGNORED_HEADERS = frozenset({"no", "no urut", "nomor", "nomor urut", "keterangan", "catatan"})


_SKP_EXPECTED = {
    RecapKind.E_LAPKIN: "rating Hasil Kerja dan Perilaku Kerja, atau Nilai Prestasi Kerja, atau Nilai SKP dan Nilai Perilaku",
    RecapKind.IP_ASN: "Nilai SKP atau Predikat SKP tahun lalu",
}  # fmt: skip


# ---- header ----


@dataclass(frozen=True)
class _Bound:
    column: Column
    index: int
    label: str  # as written in the file


def _bind_header(kind: RecapKind, header: Sequence[Cell]) -> tuple[list[_Bound], int, str | None]:
    """The columns found, the header's width, and what is wrong with it (None when usable)."""
    by_spelling = {spelling: column for column in COLUMNS[kind] for spelling in column.spellings}
    bound: dict[str, _Bound] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    width = 0
    for index, cell in enumerate(header):
        label = _text(cell).strip() if cell is not None else ""
        if not label:
            continue
        width = index + 1
        spelling = _words(label)
        column = by_spelling.get(spelling)
        if column is None:
            if spelling not in IGNORED_HEADERS:
                unknown.append(label)
        elif column.key in bound:
            repeated.append(label)
        else:
            bound[column.key] = _Bound(column, index, label)
    missing = [c.name for c in COLUMNS[kind] if c.in_header and c.key not in bound]
    problems = []
    if missing:
        problems.append(f"Kolom wajib yang tidak ada: {', '.join(missing)}.")
    if not _has_skp_columns(kind, bound.keys()):
        problems.append(f"Kolom penilaian kinerja tidak ada: sertakan {_SKP_EXPECTED[kind]}.")
    if unknown:
        problems.append(f"Kolom tidak dikenal: {', '.join(unknown)}.")
    if repeated:
        problems.append(f"Kolom ganda: {', '.join(repeated)}.")
    return list(bound.values()), width, " ".join(problems) or None


def _has_skp_columns(kind: RecapKind, keys: Collection[str]) -> bool:
    present = set(keys)
    if kind is RecapKind.IP_ASN:
        return bool(present & {"nilai_skp", "predikat_skp"})
    return (
        {"hasil_kerja", "perilaku"} <= present
        or "nilai_prestasi" in present
        or {"nilai_skp", "nilai_perilaku"} <= present
    )


# ---- rows ----


@dataclass
class _Row:
    number: int
    labels: Mapping[str, str]  # every column of the kind: the file's name, else the canonical one
    present: Collection[str]  # keys of the columns the file has
    errors: list[RecapIssue]
    warnings: list[RecapIssue]
    values: dict[str, Value]
    refused: set[str]

    def error(self, key: str | None, code: str, **details: object) -> None:
        label = self.labels[key] if key else None
        self.errors.append(RecapIssue(self.number, label, code, message(code, column=label, **details)))

    def warn(self, key: str, code: str, text: str) -> None:
        self.warnings.append(RecapIssue(self.number, self.labels[key], code, text))

    def filled(self, key: str) -> bool:
        return self.values.get(key) is not None

    def touched(self, key: str) -> bool:
        """Filled in, validly or not."""
        return self.values.get(key) is not None or key in self.refused

    def require(self, key: str) -> None:
        if not self.filled(key) and key not in self.refused:
            self.error(key, "RECAP_VALUE_REQUIRED")


def _check_elapkin(row: _Row, rules: RecapRules) -> None:
    ratings = ("hasil_kerja", "perilaku")
    components = ("nilai_skp", "nilai_perilaku")
    if row.touched("hasil_kerja") or row.touched("perilaku"):  # PermenPANRB 6/2022 ratings
        for key in ratings:
            row.require(key)
        if row.filled("hasil_kerja") and row.filled("perilaku"):
            pair = (int(row.values["hasil_kerja"] or 0), int(row.values["perilaku"] or 0))
            expected = rules.predikat_matrix[pair]
            given = row.values.get("predikat")
            if given is not None and given != expected:
                row.error(
                    "predikat",
                    "RECAP_PREDIKAT_MISMATCH",
                    expected=f"{expected} ({PREDIKAT_LABELS[expected]})",
                )
            elif "predikat" not in row.refused:
                row.values["predikat"] = expected
        return
    if row.touched("nilai_skp") or row.touched("nilai_perilaku"):  # PP 46/2011 scores
        if not row.filled("nilai_prestasi"):
            for key in components:
                row.require(key)
        if row.filled("nilai_skp") and row.filled("nilai_perilaku"):
            skp, behaviour = float(row.values["nilai_skp"] or 0), float(row.values["nilai_perilaku"] or 0)
            weighted = round(0.6 * skp + 0.4 * behaviour, 2)
            given = row.values.get("nilai_prestasi")
            if given is not None and abs(float(given) - weighted) > rules.score_tolerance:
                row.error(
                    "nilai_prestasi", "RECAP_SCORE_INCONSISTENT", expected=f"{weighted:g}".replace(".", ",")
                )
            elif given is None and "nilai_prestasi" not in row.refused:
                row.values["nilai_prestasi"] = _plain(weighted)
        return
    if row.touched("nilai_prestasi"):
        return
    first = next(k for k in ("hasil_kerja", "nilai_prestasi", "nilai_skp") if k in row.present)
    row.error(first, "RECAP_SKP_MISSING", expected=_SKP_EXPECTED[RecapKind.E_LAPKIN])


def _check_ipasn(row: _Row, rules: RecapRules) -> None:
    position = row.values.get("jenis_jabatan")
    if position == PositionType.STRUKTURAL:
        row.require("eselon")
        row.require("diklat_kepemimpinan")
    elif position is not None and row.filled("eselon"):
        row.error("eselon", "RECAP_ECHELON_NOT_APPLICABLE")
    if position == PositionType.FUNGSIONAL:
        row.require("diklat_fungsional")
    kinerja = ("nilai_skp", "predikat_skp")
    if not (row.touched("nilai_skp") or row.touched("predikat_skp")):
        first = next(k for k in kinerja if k in row.present)
        row.error(first, "RECAP_SKP_MISSING", expected=_SKP_EXPECTED[RecapKind.IP_ASN])
    code = row.values.get("pendidikan")
    if code in EDUCATION_TO_REVIEW:
        row.warn("pendidikan", "RECAP_EDUCATION_REVIEW", message("RECAP_EDUCATION_REVIEW", code=code))


_ROW_CHECKS: Mapping[RecapKind, Callable[[_Row, RecapRules], None]] = {
    RecapKind.E_LAPKIN: _check_elapkin,
    RecapKind.IP_ASN: _check_ipasn,
}


def _check_nip(row: _Row) -> str | None:
    text = row.values.get("nip")
    if not isinstance(text, str):
        return None
    kind = NipKind.PPPK if row.values.get("jenis_asn") == NipKind.PPPK.value else NipKind.PNS
    try:
        nip = parse_nip(text, kind)
    except InvalidNip as exc:
        for problem in exc.problems:
            row.errors.append(RecapIssue(row.number, row.labels["nip"], problem.code, problem.message))
        row.refused.add("nip")
        row.values["nip"] = None
        return None
    row.values["nip"] = nip.value
    if nip.appointed_under_18:
        row.warn("nip", "NIP_TMT_UNDER_18", NIP_MESSAGES["NIP_TMT_UNDER_18"])
    stated = row.values.get("tanggal_lahir")
    if isinstance(stated, str):
        warning = check_birth_date(nip, date.fromisoformat(stated))
        if warning is not None:
            row.warn("tanggal_lahir", warning.code, warning.message)
    return nip.value


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def validate_recap(
    kind: RecapKind | str,
    sheet: RecapSheet,
    *,
    period: str | None = None,
    already_accepted: Set[str] = frozenset(),
    rules: RecapRules = DEFAULT_RULES,
) -> RecapValidation:
    """Check every row; returns every error (and warning), never stops at the first.

    `period` is the period the submission declares (then every row must carry it); without
    it the first row's period is the recap's. `already_accepted` holds the NIPs of recaps
    already accepted for the same unit and period (the caller fetches them).
    """
    kind = RecapKind(kind)
    bound, width, header_problem = _bind_header(kind, sheet.header)
    if header_problem is not None:
        issue = RecapIssue(
            sheet.header_row,
            None,
            "RECAP_HEADER_INVALID",
            message("RECAP_HEADER_INVALID", kind=kind.value, details=header_problem),
        )
        return RecapValidation(kind, rules.version, period, {}, (), (issue,), ())
    present = {b.column.key: b.label for b in bound}
    labels = {c.key: c.name for c in COLUMNS[kind]} | present
    check = _ROW_CHECKS[kind]
    cache: dict[tuple[str, type, Cell], Value | _Refused] = {}
    errors: list[RecapIssue] = []
    warnings: list[RecapIssue] = []
    records: list[RecapRecord] = []
    first_row_of: dict[str, int] = {}
    recap_period = period

    plan = [(b.index, b.column.key, b.column.parse, b.column.cached, b.column.value_required) for b in bound]
    free_text = {b.column.key for b in bound if b.column.parse is _text}
    position: dict[str | None, int] = {b.label: b.index for b in bound}  # a row's errors read left to right

    for number, cells in sheet.rows:
        values: dict[str, Value] = {}
        row = _Row(number, labels, present.keys(), [], [], values, set())
        size = len(cells)
        filled = False
        for index, key, parse, cached, required in plan:
            cell = cells[index] if index < size else None
            if isinstance(cell, str):
                cell = cell.strip() or None
            if cell is None:
                values[key] = None
                if required:
                    row.error(key, "RECAP_VALUE_REQUIRED")
                    row.refused.add(key)
                continue
            filled = True
            cache_key = (key, type(cell), cell)  # True == 1, but they are not the same cell
            result = cache.get(cache_key) if cached else None
            if result is None:
                try:
                    result = parse(cell)
                except _Refused as refused:
                    result = refused
                if cached:
                    cache[cache_key] = result
            if isinstance(result, _Refused):
                row.error(key, result.code, **result.details)
                row.refused.add(key)
                values[key] = None
                continue
            values[key] = result
            if key in free_text and isinstance(result, str) and len(result) > rules.max_text_length:
                row.error(key, "RECAP_TEXT_TOO_LONG", limit=rules.max_text_length)
        extra = size > width and any(not _blank(c) for c in cells[width:])
        if not filled and not extra:
            continue  # blank, or only a pre-numbered "No" column from a template
        if extra:
            row.error(None, "RECAP_ROW_TOO_LONG")
        nip = _check_nip(row)
        if nip is not None:
            first = first_row_of.setdefault(nip, number)
            if first != number:
                row.error("nip", "RECAP_NIP_DUPLICATE", first=first)
            elif nip in already_accepted:
                row.error("nip", "RECAP_NIP_ALREADY_ACCEPTED")
        found = row.values.get("periode")
        if isinstance(found, str):
            if recap_period is None:
                recap_period = found
            elif found != recap_period:
                row.error("periode", "RECAP_PERIOD_MISMATCH", found=found, expected=recap_period)
        check(row, rules)
        if len(row.errors) > 1:
            row.errors.sort(key=lambda issue: position.get(issue.column, width))
        errors.extend(row.errors)
        warnings.extend(row.warnings)
        records.append(RecapRecord(number, row.values, valid=not row.errors))

    if not records:
        errors.append(RecapIssue(None, None, "RECAP_NO_ROWS", message("RECAP_NO_ROWS")))
    return RecapValidation(
        kind, rules.version, recap_period, present, tuple(records), tuple(errors), tuple(warnings)
    )


def check_already_accepted(validation: RecapValidation, already_accepted: Set[str]) -> RecapValidation:
    """The cross-recap duplicate check on its own, for a caller that learns the period from
    `validate_recap`'s result before fetching the NIPs already accepted for it."""
    repeated = {i.row for i in validation.errors if i.code == "RECAP_NIP_DUPLICATE"}
    hits = {
        r.row for r in validation.records if r.row not in repeated and r.values.get("nip") in already_accepted
    }
    if not hits:
        return validation
    label = validation.columns.get("nip", "NIP")
    added = [
        RecapIssue(row, label, "RECAP_NIP_ALREADY_ACCEPTED", message("RECAP_NIP_ALREADY_ACCEPTED"))
        for row in sorted(hits)
    ]
    records = tuple(replace(r, valid=False) if r.row in hits else r for r in validation.records)
    errors = tuple(sorted((*validation.errors, *added), key=lambda i: i.row or 0))
    return replace(validation, records=records, errors=errors)
