"""NIP (Nomor Induk Pegawai) and NI PPPK: structure checks, birth-date cross-check, masking.

PNS (Perka BKN 22/2007 and 43/2007), 18 digits: YYYYMMDD birth date, YYYYMM TMT CPNS,
gender 1 (pria) | 2 (wanita), serial 001-999.
PPPK (Nomor Induk PPPK): also 18 digits with the same birth date, gender and serial
places, but digits 9-12 are the year of appointment and digits 13-14 are a BKN code
(commonly 21; 24 for part-time PPPK), not a month. They are kept as a separate kind and
only the checks that apply are run on them.

Decisions:
- a TMT (or PPPK appointment) before the birth date is refused: nobody is appointed
  before being born, so it can only be a typo;
- a TMT before the 18th birthday is accepted: NIPs converted from the old 9-digit numbers
  disagree with other records, so it is only flagged (`Nip.appointed_under_18`);
- a birth date stated elsewhere that differs from the NIP's is a warning, never a refusal;
- spaces are ignored, since NIPs are commonly printed as `19860926 201505 1 001`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

NIP_LENGTH = 18
# What a schema can say about a NIP (PNS or PPPK, without spaces): a birth date's shape, a
# year and two digits of TMT or appointment, gender, a serial that is not 000. The checks
# that relate the parts (a real calendar date, TMT after birth) are parse_nip's.
NIP_PATTERN = (
    r"^(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(19|20)[0-9]{4}[12]"
    r"([0-9]{2}[1-9]|[0-9][1-9][0-9]|[1-9][0-9]{2})$"
)
_EARLIEST_YEAR = 1900
_LATEST_YEAR = 2099  # as NIP_PATTERN: years 19xx and 20xx only

MESSAGES: dict[str, str] = {
    "NIP_LENGTH": "NIP harus terdiri dari 18 digit.",
    "NIP_NOT_NUMERIC": "NIP hanya boleh berisi angka.",
    "NIP_BIRTH_DATE_INVALID": "Tanggal lahir pada NIP (digit 1-8, TTTTBBHH) bukan tanggal yang sah.",
    "NIP_TMT_INVALID": (
        "TMT CPNS pada NIP (digit 9-14, TTTTBB) tidak sah: bulan harus 01-12."
        " Untuk PPPK, tandai jenis pegawainya sebagai PPPK."
    ),
    "NIP_APPOINTMENT_YEAR_INVALID": "Tahun pengangkatan pada Nomor Induk PPPK (digit 9-12) tidak sah.",
    "NIP_TMT_BEFORE_BIRTH": "TMT pengangkatan pada NIP lebih awal dari tanggal lahir pada NIP.",
    "NIP_GENDER_INVALID": "Digit jenis kelamin pada NIP (digit ke-15) harus 1 (pria) atau 2 (wanita).",
    "NIP_SERIAL_INVALID": "Nomor urut pada NIP (digit 16-18) tidak boleh 000.",
    # Warnings: the NIP is accepted.
    "NIP_BIRTH_DATE_MISMATCH": "Tanggal lahir pada NIP berbeda dengan tanggal lahir yang tercantum.",
    "NIP_TMT_UNDER_18": "TMT pengangkatan pada NIP sebelum pegawai berusia 18 tahun; mohon diperiksa.",
}


class NipKind(StrEnum):
    PNS = "PNS"
    PPPK = "PPPK"


class Gender(StrEnum):
    MALE = "pria"
    FEMALE = "wanita"


@dataclass(frozen=True)
class NipProblem:
    code: str
    message: str

    @classmethod
    def of(cls, code: str) -> NipProblem:
        return cls(code, MESSAGES[code])


class InvalidNip(ValueError):
    """Every structural problem found, not only the first; `code` is the first one's."""

    def __init__(self, problems: tuple[NipProblem, ...]) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems
        self.code = problems[0].code


@dataclass(frozen=True)
class Nip:
    value: str
    kind: NipKind
    birth_date: date
    appointed_year: int
    appointed_month: int | None  # None for PPPK: digits 13-14 are a code there
    gender: Gender
    serial: int

    def __str__(self) -> str:
        return self.value

    @property
    def masked(self) -> str:
        return mask_nip(self.value)

    @property
    def appointed_under_18(self) -> bool:
        month = self.appointed_month or 12  # PPPK: the latest the year allows, to flag only sure cases
        eighteen = (self.birth_date.year + 18, self.birth_date.month)
        return (self.appointed_year, month) < eighteen


def _birth_date(digits: str) -> date | None:
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born if _EARLIEST_YEAR <= born.year <= _LATEST_YEAR else None


def parse_nip(text: str, kind: NipKind = NipKind.PNS) -> Nip:
    """Raise InvalidNip listing every problem; a well-formed number returns its parts."""
    digits = "".join(text.split())
    problems: list[NipProblem] = []
    if len(digits) != NIP_LENGTH:
        problems.append(NipProblem.of("NIP_LENGTH"))
    if not (digits.isascii() and digits.isdigit()):
        problems.append(NipProblem.of("NIP_NOT_NUMERIC"))
    if problems:
        raise InvalidNip(tuple(problems))

    born = _birth_date(digits)
    if born is None:
        problems.append(NipProblem.of("NIP_BIRTH_DATE_INVALID"))
    year, month_or_code = int(digits[8:12]), int(digits[12:14])
    month: int | None = None
    if kind is NipKind.PNS:
        if not _EARLIEST_YEAR <= year <= _LATEST_YEAR or not 1 <= month_or_code <= 12:
            problems.append(NipProblem.of("NIP_TMT_INVALID"))
        else:
            month = month_or_code
    elif not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
        problems.append(NipProblem.of("NIP_APPOINTMENT_YEAR_INVALID"))
    if born is not None and not problems and (year, month or 12) < (born.year, born.month):
        problems.append(NipProblem.of("NIP_TMT_BEFORE_BIRTH"))
    if digits[14] not in "12":
        problems.append(NipProblem.of("NIP_GENDER_INVALID"))
    if digits[15:] == "000":
        problems.append(NipProblem.of("NIP_SERIAL_INVALID"))
    if problems or born is None:
        raise InvalidNip(tuple(problems))
    return Nip(
        value=digits,
        kind=kind,
        birth_date=born,
        appointed_year=year,
        appointed_month=month,
        gender=Gender.MALE if digits[14] == "1" else Gender.FEMALE,
        serial=int(digits[15:]),
    )


def check_birth_date(nip: Nip, stated: date) -> NipProblem | None:
    """A warning when another record states a different birth date (converted NIPs do)."""
    return None if nip.birth_date == stated else NipProblem.of("NIP_BIRTH_DATE_MISMATCH")


def mask_nip(nip: str | Nip) -> str:
    """For logs: only the last 4 characters stay readable."""
    text = str(nip)
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]
