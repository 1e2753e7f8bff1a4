"""One employee's IP-ASN: four dimensions, 100 points, and the category of the total.

Windows are counted back from `as_of` (the measurement date, e.g. 31 December of the
measured year) and are half-open: "the last year" is (as_of - 1 year, as_of], so with
as_of 2025-12-31 it is calendar 2025. Technical training JP within the window add up.
Kinerja uses the SKP predikat when there is one (PermenPANRB 6/2022), else last year's
numeric score; points and category are read from half-open bands, upper bound inclusive.
Points are Decimal so that 22.5 + 17.5 is exactly 40.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain import errors
from bkpsdm.ipasn_uploader.domain.ruleset import (
    SEVERITY,
    Compiled,
    IpasnRules,
    JenisJabatan,
    Komponen,
    Predikat,
    TingkatHukdis,
    squash,
)

REVIEW_EDUCATION = "EDUCATION_MAPPING_UNSETTLED"
REVIEW_SKP_MISSING = "SKP_MISSING"
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PelatihanTeknis:
    tanggal: date  # completion date
    jp: int


@dataclass(frozen=True, slots=True)
class Hukdis:
    tingkat: TingkatHukdis | str
    tanggal: date  # date of the decision


@dataclass(frozen=True, slots=True)
class Pegawai:
    nip: str
    unit_kerja: str
    pendidikan: str  # SIASN education code, e.g. "40" for S-1
    jenis_jabatan: JenisJabatan | str
    nama_jabatan: str = ""
    eselon: int | None = None  # 1-4 (II.a and II.b are both 2)
    diklat_pim: frozenset[int] = frozenset()  # levels of leadership training completed
    diklat_fungsional: bool = False
    pelatihan_teknis: tuple[PelatihanTeknis, ...] = ()
    seminar: tuple[date, ...] = ()  # seminars and workshops attended
    skp_nilai: Decimal | int | None = None  # last year's SKP score, older scale
    skp_predikat: str | int | None = None  # last year's predikat: label or SIASN code 1-5
    hukdis: tuple[Hukdis, ...] = ()


class IpasnResult(NamedTuple):
    # A NamedTuple, not a frozen dataclass: building 100,000 of them is 4x cheaper.
    nip: str
    unit_kerja: str
    kualifikasi: Decimal
    kompetensi: Decimal
    kinerja: Decimal
    disiplin: Decimal
    total: Decimal
    kategori: str
    # What the explanation needs to say where points were lost.
    pendidikan: str
    jenis_jabatan: JenisJabatan
    eselon: int | None
    kompetensi_kurang: tuple[Komponen, ...]
    teknis_jp: int
    skp_predikat: Predikat | None
    skp_nilai: Decimal | int | None
    hukdis_terberat: TingkatHukdis
    review: tuple[str, ...]  # REVIEW_* codes: a person must check this result
    rules_id: str
    rules_version: str


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    nip: str
    code: str
    message: str


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class _Window:
    as_of: date
    teknis_from: date
    seminar_from: date
    hukdis_from: date

    @classmethod
    def of(cls, rules: IpasnRules, as_of: date) -> _Window:
        return cls(
            as_of=as_of,
            teknis_from=years_before(as_of, rules.kompetensi.teknis_window_years),
            seminar_from=years_before(as_of, rules.kompetensi.seminar_window_years),
            hukdis_from=years_before(as_of, rules.disiplin.window_years),
        )


def compute_ipasn(pegawai: Pegawai, rules: IpasnRules, as_of: date) -> IpasnResult:
    return _compute(pegawai, rules.compiled, _Window.of(rules, as_of))


def compute_all(
    people: Iterable[Pegawai], rules: IpasnRules, as_of: date
) -> tuple[list[IpasnResult], list[Rejected]]:
    """Everyone computable, and the rows to return to their unit with the reason."""
    compiled, window = rules.compiled, _Window.of(rules, as_of)
    results: list[IpasnResult] = []
    rejected: list[Rejected] = []
    for index, pegawai in enumerate(people):
        try:
            results.append(_compute(pegawai, compiled, window))
        except DomainError as exc:
            rejected.append(Rejected(index, pegawai.nip, exc.error.code, exc.error.message))
    return results, rejected


# Module constants: enum member lookups cost more than globals in the hot loop.
_TEKNIS, _SEMINAR, _PIM = Komponen.TEKNIS, Komponen.SEMINAR, Komponen.PIM
_NONE = TingkatHukdis.TIDAK_ADA


def _compute(p: Pegawai, c: Compiled, w: _Window) -> IpasnResult:
    review: tuple[str, ...] = ()

    pendidikan = c.pendidikan.get(p.pendidikan) or c.pendidikan.get(p.pendidikan.strip().zfill(2))
    if pendidikan is None:
        raise DomainError(errors.EDUCATION_UNKNOWN)
    if pendidikan.review:
        review = (REVIEW_EDUCATION,)

    jenis = c.jenis.get(p.jenis_jabatan) or c.jenis.get(p.jenis_jabatan.strip().casefold())
    if jenis is None:
        raise DomainError(errors.JENIS_JABATAN_UNKNOWN)
    as_of = w.as_of
    jp = 0
    for training in p.pelatihan_teknis:
        if training.jp < 0:
            raise DomainError(errors.TRAINING_JP_INVALID)
        if w.teknis_from < training.tanggal <= as_of:
            jp += training.jp
    kompetensi = _ZERO
    kurang: tuple[Komponen, ...] = ()
    for komponen, points in c.kompetensi[jenis]:
        if komponen is _TEKNIS:
            met = jp >= c.teknis_min_jp
        elif komponen is _SEMINAR:
            met = any(w.seminar_from < day <= as_of for day in p.seminar)
        elif komponen is _PIM:
            met = _pim_met(p, c)
        else:
            met = p.diklat_fungsional or _deemed_trained(p.nama_jabatan, c)
        if met:
            kompetensi += points
        else:
            kurang = (*kurang, komponen)
    if kompetensi > c.kompetensi_max:
        kompetensi = c.kompetensi_max

    predikat: Predikat | None = None
    if p.skp_predikat is not None:
        predikat = _predikat(p.skp_predikat, c)
        kinerja = c.predikat_points[predikat]
    elif p.skp_nilai is not None:
        kinerja = _band_points(_score(p.skp_nilai), c)
    else:
        kinerja = c.kinerja_missing
        review = (*review, REVIEW_SKP_MISSING)

    worst = _NONE
    for sanction in p.hukdis:
        tingkat = c.hukdis.get(sanction.tingkat) or c.hukdis.get(sanction.tingkat.strip().casefold())
        if tingkat is None:
            raise DomainError(errors.SANCTION_UNKNOWN)
        if w.hukdis_from < sanction.tanggal <= as_of and SEVERITY[tingkat] > SEVERITY[worst]:
            worst = tingkat
    disiplin = c.disiplin_points[worst]

    total = pendidikan.points + kompetensi + kinerja + disiplin
    return IpasnResult(
        p.nip,
        p.unit_kerja,
        pendidikan.points,
        kompetensi,
        kinerja,
        disiplin,
        total,
        _kategori(total, c),
        pendidikan.code,
        jenis,
        p.eselon,
        kurang,
        jp,
        predikat,
        p.skp_nilai,
        worst,
        review,
        c.rules_id,
        c.rules_version,
    )


def _pim_met(p: Pegawai, c: Compiled) -> bool:
    level = c.pim_level_for_eselon.get(p.eselon) if p.eselon is not None else None
    if level is None:
        raise DomainError(errors.ESELON_INVALID)
    if level in p.diklat_pim:
        return True
    # A smaller number is a higher level (PIM II is above PIM III).
    return c.pim_higher_level_counts and any(done < level for done in p.diklat_pim)


def _deemed_trained(nama_jabatan: str, c: Compiled) -> bool:
    # Doctors, teachers, nurses... gain the competence through their professional education.
    known = c.deemed_names.get(nama_jabatan)
    if known is None:
        name = " ".join(nama_jabatan.split()).casefold()
        known = any(name == prefix or name.startswith(prefix + " ") for prefix in c.deemed_prefixes)
        c.deemed_names[nama_jabatan] = known
    return known


def _predikat(value: str | int, c: Compiled) -> Predikat:
    if isinstance(value, bool):
        raise DomainError(errors.PREDIKAT_UNKNOWN)
    predikat = c.predikat.get(value)
    if predikat is None and isinstance(value, str):
        predikat = c.predikat.get(squash(value))
    if predikat is None:
        raise DomainError(errors.PREDIKAT_UNKNOWN)
    return predikat


def _score(value: Decimal | int) -> Decimal | int:
    try:
        in_range = not isinstance(value, bool) and 0 <= value <= 100
    except (InvalidOperation, TypeError):  # NaN, or not a number at all
        in_range = False
    if not in_range:
        raise DomainError(errors.SKP_SCORE_OUT_OF_RANGE)
    return value


def _band_points(score: Decimal | int, c: Compiled) -> Decimal:
    for above, points in c.nilai_bands:
        if above is None or score > above:
            return points
    raise AssertionError("the last band is open below; validated at load")


def kategori_of(total: Decimal, rules: IpasnRules) -> str:
    return _kategori(total, rules.compiled)


def _kategori(total: Decimal, c: Compiled) -> str:
    for above, label in c.kategori:
        if above is None or total > above:
            return label
    raise AssertionError("the last band is open below; validated at load")
