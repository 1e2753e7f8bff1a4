from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain.aggregation import KategoriStat, aggregate
from bkpsdm.ipasn_uploader.domain.ipasn import (
    IpasnResult,
    Pegawai,
    PelatihanTeknis,
    compute_ipasn,
    kategori_of,
)
from bkpsdm.ipasn_uploader.domain.ruleset import JenisJabatan, load_ipasn_rules, parse_ipasn_rules

RULES = load_ipasn_rules()
AS_OF = date(2025, 12, 31)
IN_YEAR = date(2025, 6, 1)
BASE = compute_ipasn(
    Pegawai(
        nip="199001012015031001",
        unit_kerja="BKPSDM",
        pendidikan="50",
        jenis_jabatan=JenisJabatan.PELAKSANA,
        pelatihan_teknis=(PelatihanTeknis(IN_YEAR, 24),),
        seminar=(IN_YEAR,),
        skp_predikat="Sangat Baik",
    ),
    RULES,
    AS_OF,
)


def scored(unit: str, total: str, kinerja: str = "30", review: tuple[str, ...] = ()) -> IpasnResult:
    value = Decimal(total)
    return BASE._replace(
        unit_kerja=unit,
        total=value,
        kinerja=Decimal(kinerja),
        kategori=kategori_of(value, RULES),
        review=review,
    )


def test_counts_and_means_per_unit_and_category() -> None:
    results = [
        scored("Dinas Kesehatan", "80.5"),
        scored("Dinas Kesehatan", "80.5", review=("SKP_MISSING",)),
        scored("Dinas Kesehatan", "81"),
        scored("BKPSDM", "60"),
        scored("BKPSDM", "95", kinerja="25"),
    ]
    units, overall = aggregate(results, RULES)
    assert [u.unit_kerja for u in units] == ["BKPSDM", "Dinas Kesehatan"]
    bkpsdm, dinkes = units
    assert dinkes.jumlah == 3
    assert dinkes.rata_rata == Decimal("80.67")  # 80.666... rounded half up
    assert dinkes.kategori == "Tinggi"
    assert dinkes.perlu_tinjauan == 1
    assert dinkes.per_kategori["Tinggi"] == KategoriStat(jumlah=3, rata_rata=Decimal("80.67"))
    assert dinkes.per_kategori["Sangat Tinggi"] == KategoriStat(jumlah=0, rata_rata=None)
    assert list(dinkes.per_kategori) == ["Sangat Tinggi", "Tinggi", "Sedang", "Rendah", "Sangat Rendah"]
    assert bkpsdm.rata_rata == Decimal("77.50")
    assert bkpsdm.kategori == "Sedang"
    assert bkpsdm.rata_rata_dimensi["kinerja"] == Decimal("27.50")
    assert {k: s.jumlah for k, s in bkpsdm.per_kategori.items() if s.jumlah} == {
        "Sangat Tinggi": 1,
        "Sangat Rendah": 1,
    }
    assert overall.unit_kerja is None
    assert overall.jumlah == 5
    assert overall.rata_rata == Decimal("79.40")
    assert overall.perlu_tinjauan == 1
    assert (overall.rules_id, overall.rules_version) == ("ipasn", "2019.1")


def test_the_category_of_a_mean_is_read_from_the_rounded_mean() -> None:
    # (80 + 80 + 80.01) / 3 = 80.0033..., shown as 80.00: Sedang, not Tinggi.
    _, overall = aggregate([scored("A", "80"), scored("A", "80"), scored("A", "80.01")], RULES)
    assert overall.rata_rata == Decimal("80.00")
    assert overall.kategori == "Sedang"


def test_half_points_round_half_up() -> None:
    _, overall = aggregate(
        [scored("A", "80.5"), scored("A", "80"), scored("A", "80"), scored("A", "80")], RULES
    )
    assert overall.rata_rata == Decimal("80.13")  # 80.125


def test_nothing_to_aggregate_gives_an_empty_summary() -> None:
    units, overall = aggregate([], RULES)
    assert units == []
    assert overall.jumlah == 0
    assert overall.rata_rata is None
    assert overall.kategori is None
    assert all(stat == KategoriStat(0, None) for stat in overall.per_kategori.values())


def test_results_of_another_rule_set_are_refused() -> None:
    data = RULES.model_dump(mode="json")
    data["version"] = "2026.1"
    other = compute_ipasn(
        Pegawai(nip="1", unit_kerja="A", pendidikan="40", jenis_jabatan="pelaksana"),
        parse_ipasn_rules(data),
        AS_OF,
    )
    with pytest.raises(DomainError) as info:
        aggregate([BASE, other], RULES)
    assert info.value.error.code == "IPASN_RULES_MIXED"


def test_aggregation_of_computed_people_matches_their_results() -> None:
    people = [
        Pegawai(
            nip=str(i), unit_kerja=f"Unit {i % 2}", pendidikan=code, jenis_jabatan="pelaksana", skp_predikat=2
        )
        for i, code in enumerate(["40", "45", "50", "30"])
    ]
    results = [compute_ipasn(p, RULES, AS_OF) for p in people]
    units, overall = aggregate(results, RULES)
    assert [(u.unit_kerja, u.jumlah) for u in units] == [("Unit 0", 2), ("Unit 1", 2)]
    assert overall.rata_rata == sum((r.total for r in results), Decimal(0)) / 4
