"""The IP-ASN rule set (Permenpan-RB 38/2018, Peraturan BKN 8/2019) and its vocabulary.

An agency overrides the bundled default with its own versioned JSON file. It is validated
once, at load, and compiled into plain lookup tables so that computing 100,000 people does
no validation per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bkpsdm.common.domain_errors import DomainError, validation_problems
from bkpsdm.ipasn_uploader.domain import errors

DEFAULT_RULES = "ipasn-2019.json"
_PACKAGE = "bkpsdm.ipasn_uploader.domain"


class JenisJabatan(StrEnum):
    STRUKTURAL = "struktural"
    FUNGSIONAL = "fungsional"
    PELAKSANA = "pelaksana"


class Komponen(StrEnum):
    """What earns Kompetensi points."""

    PIM = "pim"  # leadership training (Diklat PIM) matching the position's echelon
    FUNGSIONAL = "fungsional"  # functional training for the position
    TEKNIS = "teknis"  # technical training, minimum JP within a window
    SEMINAR = "seminar"  # seminar or workshop within a window


class Predikat(StrEnum):
    SANGAT_BAIK = "Sangat Baik"
    BAIK = "Baik"
    BUTUH_PERBAIKAN = "Butuh Perbaikan"
    KURANG = "Kurang"
    SANGAT_KURANG = "Sangat Kurang"


# SIASN's predikat (kuadran) codes: BKN's interface, not the regulation, so not configurable.
KUADRAN: dict[Predikat, int] = {
    Predikat.SANGAT_BAIK: 1,
    Predikat.BAIK: 2,
    Predikat.BUTUH_PERBAIKAN: 3,
    Predikat.KURANG: 4,
    Predikat.SANGAT_KURANG: 5,
}


class TingkatHukdis(StrEnum):
    TIDAK_ADA = "tidak_ada"
    RINGAN = "ringan"
    SEDANG = "sedang"
    BERAT = "berat"


SEVERITY: dict[TingkatHukdis, int] = {
    TingkatHukdis.TIDAK_ADA: 0,
    TingkatHukdis.RINGAN: 1,
    TingkatHukdis.SEDANG: 2,
    TingkatHukdis.BERAT: 3,
}

Points = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]
Bound = Annotated[Decimal, Field(ge=0, lt=100, allow_inf_nan=False)]
Level = Annotated[int, Field(ge=1, le=5)]


def squash(text: str) -> str:
    """Case- and spacing-insensitive form of a label typed in a recap."""
    return "".join(text.split()).casefold()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pendidikan(_Frozen):
    code: str = Field(pattern=r"^\d{2}$")
    label: str = Field(min_length=1)
    points: Points
    review: bool = False  # the mapping is not settled: every result using it is flagged


class PointBand(_Frozen):
    above: Bound | None  # exclusive lower bound, upper bound is the next band's; None: from 0
    points: Points


class KategoriBand(_Frozen):
    above: Bound | None
    label: str = Field(min_length=1)


def _check_bands(bands: tuple[PointBand, ...] | tuple[KategoriBand, ...], name: str) -> None:
    if not bands:
        raise ValueError(f"{name} needs at least one band")
    *upper, last = bands
    bounds = [b.above for b in upper if b.above is not None]
    if last.above is not None or len(bounds) != len(upper):
        raise ValueError(f"{name}: the last band, and only it, must have above = null")
    if any(a <= b for a, b in pairwise(bounds)):
        raise ValueError(f"{name}: band bounds must strictly decrease")


class KualifikasiRules(_Frozen):
    maximum: Points
    pendidikan: tuple[Pendidikan, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        codes = [p.code for p in self.pendidikan]
        if len(set(codes)) != len(codes):
            raise ValueError("pendidikan codes must be unique")
        if any(p.points > self.maximum for p in self.pendidikan):
            raise ValueError("pendidikan points exceed the maximum")
        return self


class KompetensiRules(_Frozen):
    maximum: Points
    points: dict[JenisJabatan, dict[Komponen, Points]]
    teknis_min_jp: int = Field(ge=0)
    teknis_window_years: int = Field(ge=1)
    seminar_window_years: int = Field(ge=1)
    pim_level_for_eselon: dict[Level, Level]  # eselon -> Diklat PIM level that matches it
    pim_higher_level_counts: bool = False
    fungsional_deemed_trained: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> Self:
        missing = [j.value for j in JenisJabatan if j not in self.points]
        if missing:
            raise ValueError(f"kompetensi points miss jenis jabatan: {', '.join(missing)}")
        if any(p > self.maximum for table in self.points.values() for p in table.values()):
            raise ValueError("kompetensi component points exceed the maximum")
        if any(not name.strip() for name in self.fungsional_deemed_trained):
            raise ValueError("fungsional_deemed_trained holds an empty name")
        return self


class KinerjaRules(_Frozen):
    maximum: Points
    nilai_bands: tuple[PointBand, ...]
    predikat_points: dict[Predikat, Points]
    missing_points: Points  # no SKP on record: flagged for review

    @model_validator(mode="after")
    def _valid(self) -> Self:
        _check_bands(self.nilai_bands, "nilai_bands")
        missing = [p.value for p in Predikat if p not in self.predikat_points]
        if missing:
            raise ValueError(f"predikat_points misses: {', '.join(missing)}")
        points = [b.points for b in self.nilai_bands] + [*self.predikat_points.values(), self.missing_points]
        if any(p > self.maximum for p in points):
            raise ValueError("kinerja points exceed the maximum")
        return self


class DisiplinRules(_Frozen):
    maximum: Points
    window_years: int = Field(ge=1)
    points: dict[TingkatHukdis, Points]

    @model_validator(mode="after")
    def _valid(self) -> Self:
        missing = [t.value for t in TingkatHukdis if t not in self.points]
        if missing:
            raise ValueError(f"disiplin points miss: {', '.join(missing)}")
        if any(p > self.maximum for p in self.points.values()):
            raise ValueError("disiplin points exceed the maximum")
        return self


@dataclass(frozen=True)
class Compiled:
    """The rule set as plain lookups for the hot loop; built once per rule set."""

    rules_id: str
    rules_version: str
    pendidikan: dict[str, Pendidikan]
    jenis: dict[str, JenisJabatan]
    kompetensi: dict[JenisJabatan, tuple[tuple[Komponen, Decimal], ...]]
    kompetensi_max: Decimal
    teknis_min_jp: int
    pim_level_for_eselon: dict[int, int]
    pim_higher_level_counts: bool
    deemed_prefixes: tuple[str, ...]  # lower case, single-spaced; matched as whole leading words
    deemed_names: dict[str, bool]  # a cache: a unit has few distinct position names
    predikat: dict[str | int, Predikat]
    predikat_points: dict[Predikat, Decimal]
    nilai_bands: tuple[tuple[Decimal | None, Decimal], ...]
    kinerja_missing: Decimal
    hukdis: dict[str, TingkatHukdis]
    disiplin_points: dict[TingkatHukdis, Decimal]
    kategori: tuple[tuple[Decimal | None, str], ...]


class IpasnRules(_Frozen):
    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    source: str = Field(min_length=1)
    kualifikasi: KualifikasiRules
    kompetensi: KompetensiRules
    kinerja: KinerjaRules
    disiplin: DisiplinRules
    kategori: tuple[KategoriBand, ...]

    @model_validator(mode="after")
    def _valid(self) -> Self:
        maxima = (self.kualifikasi, self.kompetensi, self.kinerja, self.disiplin)
        if sum(d.maximum for d in maxima) != 100:
            raise ValueError("the four dimension maxima must add up to 100")
        _check_bands(self.kategori, "kategori")
        labels = [k.label for k in self.kategori]
        if len(set(labels)) != len(labels):
            raise ValueError("kategori labels must be unique")
        return self

    @cached_property
    def compiled(self) -> Compiled:
        # Cached on the instance: make rule sets with parse/load, never model_copy(update=...),
        # which skips validation and would carry these tables over unchanged.
        return _compile(self)

    @property
    def maximum(self) -> dict[str, Decimal]:
        return {
            "kualifikasi": self.kualifikasi.maximum,
            "kompetensi": self.kompetensi.maximum,
            "kinerja": self.kinerja.maximum,
            "disiplin": self.disiplin.maximum,
        }


def _compile(rules: IpasnRules) -> Compiled:
    pendidikan = {p.code: p for p in rules.kualifikasi.pendidikan}
    predikat: dict[str | int, Predikat] = {}
    for p, code in KUADRAN.items():
        predikat[p.value] = predikat[squash(p.value)] = predikat[code] = predikat[str(code)] = p
    kompetensi = rules.kompetensi
    return Compiled(
        rules_id=rules.id,
        rules_version=rules.version,
        pendidikan=pendidikan,
        jenis={j.value: j for j in JenisJabatan},
        kompetensi={j: tuple(table.items()) for j, table in kompetensi.points.items()},
        kompetensi_max=kompetensi.maximum,
        teknis_min_jp=kompetensi.teknis_min_jp,
        pim_level_for_eselon=dict(kompetensi.pim_level_for_eselon),
        pim_higher_level_counts=kompetensi.pim_higher_level_counts,
        deemed_prefixes=tuple(" ".join(n.split()).casefold() for n in kompetensi.fungsional_deemed_trained),
        deemed_names={},
        predikat=predikat,
        predikat_points=dict(rules.kinerja.predikat_points),
        nilai_bands=tuple((b.above, b.points) for b in rules.kinerja.nilai_bands),
        kinerja_missing=rules.kinerja.missing_points,
        hukdis={t.value: t for t in TingkatHukdis},
        disiplin_points=dict(rules.disiplin.points),
        kategori=tuple((k.above, k.label) for k in rules.kategori),
    )


def parse_ipasn_rules(data: str | bytes | Mapping[str, Any]) -> IpasnRules:
    try:
        if isinstance(data, Mapping):
            return IpasnRules.model_validate(data)
        return IpasnRules.model_validate_json(data)
    except ValidationError as exc:
        details = validation_problems(exc)
        raise DomainError(errors.IPASN_RULES_INVALID, details) from exc


def load_ipasn_rules(path: Path | None = None) -> IpasnRules:
    """The rules file at `path`, or the bundled Permenpan-RB 38/2018 default."""
    if path is None:
        text = (resources.files(_PACKAGE) / "rules" / DEFAULT_RULES).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_ipasn_rules(text)
