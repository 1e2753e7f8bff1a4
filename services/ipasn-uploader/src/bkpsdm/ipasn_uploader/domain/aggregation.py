"""IP-ASN per unit kerja and overall: counts and means, per category too.

Means are rounded half-up to two decimals, and the category of a mean is read from the
rounded figure, so a report never shows 80,00 beside "Tinggi".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain import errors
from bkpsdm.ipasn_uploader.domain.ipasn import IpasnResult, kategori_of
from bkpsdm.ipasn_uploader.domain.ruleset import IpasnRules

DIMENSI = ("kualifikasi", "kompetensi", "kinerja", "disiplin")
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def mean(total: Decimal, count: int) -> Decimal:
    return (total / count).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class KategoriStat:
    jumlah: int
    rata_rata: Decimal | None  # None when nobody falls in the category


@dataclass(frozen=True)
class Ringkasan:
    unit_kerja: str | None  # None: every unit together
    jumlah: int
    rata_rata: Decimal | None
    kategori: str | None  # of the rounded mean
    rata_rata_dimensi: dict[str, Decimal | None]
    per_kategori: dict[str, KategoriStat]  # every category of the rule set, in its order
    perlu_tinjauan: int  # results carrying a review flag
    rules_id: str
    rules_version: str


@dataclass
class _Sums:
    count: int = 0
    total: Decimal = _ZERO
    dims: list[Decimal] = field(default_factory=lambda: [_ZERO] * len(DIMENSI))
    kategori_count: dict[str, int] = field(default_factory=dict)
    kategori_total: dict[str, Decimal] = field(default_factory=dict)
    review: int = 0

    def add(self, r: IpasnResult) -> None:
        self.count += 1
        self.total += r.total
        dims = self.dims
        dims[0] += r.kualifikasi
        dims[1] += r.kompetensi
        dims[2] += r.kinerja
        dims[3] += r.disiplin
        self.kategori_count[r.kategori] = self.kategori_count.get(r.kategori, 0) + 1
        self.kategori_total[r.kategori] = self.kategori_total.get(r.kategori, _ZERO) + r.total
        if r.review:
            self.review += 1

    def summary(self, unit: str | None, rules: IpasnRules) -> Ringkasan:
        average = mean(self.total, self.count) if self.count else None
        per_kategori: dict[str, KategoriStat] = {}
        for band in rules.kategori:
            count = self.kategori_count.get(band.label, 0)
            total = self.kategori_total.get(band.label, _ZERO)
            per_kategori[band.label] = KategoriStat(
                jumlah=count, rata_rata=mean(total, count) if count else None
            )
        return Ringkasan(
            unit_kerja=unit,
            jumlah=self.count,
            rata_rata=average,
            kategori=kategori_of(average, rules) if average is not None else None,
            rata_rata_dimensi={
                name: mean(value, self.count) if self.count else None
                for name, value in zip(DIMENSI, self.dims, strict=True)
            },
            per_kategori=per_kategori,
            perlu_tinjauan=self.review,
            rules_id=rules.id,
            rules_version=rules.version,
        )


def aggregate(results: Iterable[IpasnResult], rules: IpasnRules) -> tuple[list[Ringkasan], Ringkasan]:
    """Per unit kerja (sorted by name), and everyone together."""
    overall = _Sums()
    units: dict[str, _Sums] = {}
    for r in results:
        if r.rules_id != rules.id or r.rules_version != rules.version:
            raise DomainError(errors.IPASN_RULES_MIXED)
        overall.add(r)
        unit = units.get(r.unit_kerja)
        if unit is None:
            unit = units[r.unit_kerja] = _Sums()
        unit.add(r)
    return [units[name].summary(name, rules) for name in sorted(units)], overall.summary(None, rules)
