"""SKP predikat: the PermenPANRB 6/2022 matrix, and the older PP 46/2011 numeric scale.

The predikat is read from an explicit hasil kerja x perilaku table (a max() of the two
ratings is wrong: Di Atas x Di Bawah is Kurang, not Sangat Baik). Recaps of older years
may still carry numbers; those are banded on the numeric scale. Both tables come from a
versioned rules file, validated once at load, and every result names the rule set and
which of the two rules produced it.

Numeric bands are half-open on the exact weighted score, upper bound inclusive:
(90,100] Sangat Baik, (75,90] Baik, (60,75] Cukup, (50,60] Kurang, [0,50] Buruk. On whole
numbers this is the regulation's 91-100 / 76-90 / 61-75 / 51-60 / <=50; a fractional score
between two listed ranges (90.5) goes to the upper band, because it is above the lower
band's last value. The score is not rounded before banding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bkpsdm.common.domain_errors import DomainError, validation_problems
from bkpsdm.lapkin_uploader.domain import errors

DEFAULT_RULES = "predikat-2022.json"
_PACKAGE = "bkpsdm.lapkin_uploader.domain"
_HUNDRED = Decimal(100)


class Rating(StrEnum):
    DI_ATAS = "Di Atas Ekspektasi"
    SESUAI = "Sesuai Ekspektasi"
    DI_BAWAH = "Di Bawah Ekspektasi"


class Predikat(StrEnum):
    SANGAT_BAIK = "Sangat Baik"
    BAIK = "Baik"
    BUTUH_PERBAIKAN = "Butuh Perbaikan"
    KURANG = "Kurang"
    SANGAT_KURANG = "Sangat Kurang"


class PredikatPp46(StrEnum):
    SANGAT_BAIK = "Sangat Baik"
    BAIK = "Baik"
    CUKUP = "Cukup"
    KURANG = "Kurang"
    BURUK = "Buruk"


class PredikatRule(StrEnum):
    MATRIX = "matrix"
    NUMERIC = "numeric"


# SIASN's own codes: part of BKN's interface, not of the regulation, so not configurable.
RATING_CODES: dict[Rating, int] = {Rating.DI_ATAS: 1, Rating.SESUAI: 2, Rating.DI_BAWAH: 3}
KUADRAN: dict[Predikat, int] = {
    Predikat.SANGAT_BAIK: 1,
    Predikat.BAIK: 2,
    Predikat.BUTUH_PERBAIKAN: 3,
    Predikat.KURANG: 4,
    Predikat.SANGAT_KURANG: 5,
}


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


_RATING_BY_TEXT: dict[str, Rating] = {}
for _rating, _code in RATING_CODES.items():
    _RATING_BY_TEXT[str(_code)] = _rating
    _RATING_BY_TEXT[_squash(_rating.value)] = _rating
    # Recaps often drop the word "Ekspektasi" ("Di Atas", "Sesuai").
    _RATING_BY_TEXT[_squash(_rating.value.removesuffix(" Ekspektasi"))] = _rating


def parse_rating(value: str | int) -> Rating:
    """A rating given as a SIASN code (1-3) or an Indonesian label, case and spacing ignored."""
    if isinstance(value, bool):
        raise DomainError(errors.SKP_RATING_UNKNOWN)
    rating = _RATING_BY_TEXT.get(str(value) if isinstance(value, int) else _squash(value))
    if rating is None:
        raise DomainError(errors.SKP_RATING_UNKNOWN)
    return rating


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NumericBand(_Frozen):
    above: Decimal | None = Field(ge=0, lt=100)  # exclusive lower bound; None: from 0 inclusive
    predikat: PredikatPp46


class NumericScale(_Frozen):
    source: str = Field(min_length=1)
    skp_weight: Decimal = Field(ge=0, le=1)
    perilaku_weight: Decimal = Field(ge=0, le=1)
    bands: tuple[NumericBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.skp_weight + self.perilaku_weight != 1:
            raise ValueError("skp_weight + perilaku_weight must be 1")
        *upper, last = self.bands
        bounds = [b.above for b in upper if b.above is not None]
        if last.above is not None or len(bounds) != len(upper):
            raise ValueError("the last band, and only it, must have above = null")
        if any(a <= b for a, b in pairwise(bounds)):
            raise ValueError("band bounds must strictly decrease")
        return self


class PredikatRules(_Frozen):
    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    matrix_source: str = Field(min_length=1)
    matrix: dict[Rating, dict[Rating, Predikat]]
    numeric: NumericScale

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [
            f"{hasil} x {perilaku}"
            for hasil in Rating
            for perilaku in Rating
            if perilaku not in self.matrix.get(hasil, {})
        ]
        if missing:
            raise ValueError(f"matrix misses cells: {', '.join(missing)}")
        return self


def parse_predikat_rules(data: str | bytes | Mapping[str, Any]) -> PredikatRules:
    try:
        if isinstance(data, Mapping):
            return PredikatRules.model_validate(data)
        return PredikatRules.model_validate_json(data)
    except ValidationError as exc:
        # Field path and problem only: the rules file is configuration, but keep the habit.
        details = validation_problems(exc)
        raise DomainError(errors.SKP_RULES_INVALID, details) from exc


def load_predikat_rules(path: Path | None = None) -> PredikatRules:
    """The rules file at `path`, or the bundled PermenPANRB 6/2022 + PP 46/2011 default."""
    if path is None:
        text = (resources.files(_PACKAGE) / "rules" / DEFAULT_RULES).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_predikat_rules(text)


@dataclass(frozen=True)
class SkpRow:
    """One recap row. Ratings win over numbers; weighted parts win over a stated final score."""

    hasil_kerja: str | int | None = None
    perilaku: str | int | None = None
    nilai_skp: Decimal | int | None = None
    nilai_perilaku: Decimal | int | None = None
    nilai_prestasi: Decimal | int | None = None


@dataclass(frozen=True)
class PredikatResult:
    predikat: Predikat | PredikatPp46
    kuadran: int | None  # SIASN code; the PP 46/2011 scale has none
    rule: PredikatRule
    rule_source: str
    rules_id: str
    rules_version: str
    hasil_kerja: Rating | None = None
    perilaku: Rating | None = None
    nilai_prestasi: Decimal | None = None


def _score(value: Decimal | int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise DomainError(errors.SKP_SCORE_OUT_OF_RANGE)
    score = Decimal(value)
    if not score.is_finite() or not 0 <= score <= _HUNDRED:
        raise DomainError(errors.SKP_SCORE_OUT_OF_RANGE)
    return score


def predikat_from_matrix(hasil_kerja: Rating, perilaku: Rating, rules: PredikatRules) -> Predikat:
    return rules.matrix[hasil_kerja][perilaku]


def predikat_from_score(nilai_prestasi: Decimal, rules: PredikatRules) -> PredikatPp46:
    for band in rules.numeric.bands:
        if band.above is None or nilai_prestasi > band.above:
            return band.predikat
    raise AssertionError("the last band is open below; validated at load")


def derive_predikat(row: SkpRow, rules: PredikatRules) -> PredikatResult:
    if row.hasil_kerja is not None and row.perilaku is not None:
        hasil, perilaku = parse_rating(row.hasil_kerja), parse_rating(row.perilaku)
        predikat = predikat_from_matrix(hasil, perilaku, rules)
        return PredikatResult(
            predikat=predikat,
            kuadran=KUADRAN[predikat],
            rule=PredikatRule.MATRIX,
            rule_source=rules.matrix_source,
            rules_id=rules.id,
            rules_version=rules.version,
            hasil_kerja=hasil,
            perilaku=perilaku,
        )
    if row.nilai_skp is not None and row.nilai_perilaku is not None:
        scale = rules.numeric
        nilai = _score(row.nilai_skp) * scale.skp_weight + _score(row.nilai_perilaku) * scale.perilaku_weight
    elif row.nilai_prestasi is not None:
        nilai = _score(row.nilai_prestasi)
    else:
        raise DomainError(errors.SKP_INPUT_INCOMPLETE)
    return PredikatResult(
        predikat=predikat_from_score(nilai, rules),
        kuadran=None,
        rule=PredikatRule.NUMERIC,
        rule_source=rules.numeric.source,
        rules_id=rules.id,
        rules_version=rules.version,
        nilai_prestasi=nilai,
    )
