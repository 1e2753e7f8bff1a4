from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain.errors import CATALOGUE
from bkpsdm.ipasn_uploader.domain.ipasn import (
    REVIEW_EDUCATION,
    REVIEW_SKP_MISSING,
    Hukdis,
    IpasnResult,
    Pegawai,
    PelatihanTeknis,
    compute_all,
    compute_ipasn,
    kategori_of,
    years_before,
)
from bkpsdm.ipasn_uploader.domain.ruleset import (
    IpasnRules,
    JenisJabatan,
    Komponen,
    Predikat,
    TingkatHukdis,
    load_ipasn_rules,
    parse_ipasn_rules,
)

RULES = load_ipasn_rules()
AS_OF = date(2025, 12, 31)
IN_YEAR = date(2025, 6, 1)

# Full marks as a pelaksana; each test changes what it is about.
FULL = Pegawai(
    nip="199001012015031001",
    unit_kerja="BKPSDM",
    pendidikan="50",
    jenis_jabatan=JenisJabatan.PELAKSANA,
    nama_jabatan="Analis Kepegawaian",
    pelatihan_teknis=(PelatihanTeknis(IN_YEAR, 24),),
    seminar=(IN_YEAR,),
    skp_predikat="Sangat Baik",
)


def compute(pegawai: Pegawai, rules: IpasnRules = RULES) -> IpasnResult:
    return compute_ipasn(pegawai, rules, AS_OF)


def test_a_complete_record_scores_100_sangat_tinggi_with_the_rule_set_recorded() -> None:
    result = compute(FULL)
    assert [result.kualifikasi, result.kompetensi, result.kinerja, result.disiplin] == [25, 40, 30, 5]
    assert result.total == 100
    assert result.kategori == "Sangat Tinggi"
    assert result.review == ()
    assert (result.rules_id, result.rules_version) == ("ipasn", "2019.1")
    assert (result.nip, result.unit_kerja) == (FULL.nip, "BKPSDM")


EDUCATION = [
    ("05", 1, False),
    ("10", 1, False),
    ("15", 5, False),
    ("20", 5, False),
    ("25", 5, False),
    ("30", 10, False),
    ("35", 15, False),
    ("40", 15, False),
    ("42", 20, True),
    ("45", 20, False),
    ("47", 25, True),
    ("49", 25, True),
    ("50", 25, False),
]


@pytest.mark.parametrize(("code", "points", "review"), EDUCATION)
def test_every_education_code_gives_its_kualifikasi_points(code: str, points: int, review: bool) -> None:
    result = compute(replace(FULL, pendidikan=code))
    assert result.kualifikasi == points
    assert result.pendidikan == code
    assert (REVIEW_EDUCATION in result.review) is review


def test_the_unsettled_codes_are_exactly_profesi_sp1_and_subspesialis() -> None:
    flagged = {p.code: p.label for p in RULES.kualifikasi.pendidikan if p.review}
    assert flagged == {"42": "Profesi", "47": "Sp-1", "49": "Subspesialis"}


def test_an_agency_that_settles_a_mapping_clears_the_review_flag() -> None:
    data = RULES.model_dump(mode="json")
    profesi = next(p for p in data["kualifikasi"]["pendidikan"] if p["code"] == "42")
    profesi.update(points="15", review=False)
    result = compute(replace(FULL, pendidikan="42"), parse_ipasn_rules(data))
    assert result.kualifikasi == 15
    assert result.review == ()


@pytest.mark.parametrize(("given", "code"), [("5", "05"), (" 40 ", "40"), ("40", "40")])
def test_education_codes_are_read_without_their_leading_zero_or_spaces(given: str, code: str) -> None:
    assert compute(replace(FULL, pendidikan=given)).pendidikan == code


@pytest.mark.parametrize("code", ["99", "41", "", "S1"])
def test_an_unknown_education_code_is_refused(code: str) -> None:
    with pytest.raises(DomainError) as info:
        compute(replace(FULL, pendidikan=code))
    assert info.value.error.code == "EDUCATION_UNKNOWN"


# Kompetensi, every position type and every combination of its components.
KOMPONEN_POINTS = {
    JenisJabatan.STRUKTURAL: {Komponen.PIM: "15", Komponen.TEKNIS: "15", Komponen.SEMINAR: "10"},
    JenisJabatan.FUNGSIONAL: {Komponen.FUNGSIONAL: "15", Komponen.TEKNIS: "15", Komponen.SEMINAR: "10"},
    JenisJabatan.PELAKSANA: {Komponen.TEKNIS: "22.5", Komponen.SEMINAR: "17.5"},
}
COMBINATIONS = [
    (jenis, dict(zip(table, met, strict=True)))
    for jenis, table in KOMPONEN_POINTS.items()
    for met in itertools.product([True, False], repeat=len(table))
]


def _with(jenis: JenisJabatan, met: dict[Komponen, bool]) -> Pegawai:
    old = date(2020, 1, 1)  # outside every window
    return replace(
        FULL,
        jenis_jabatan=jenis,
        nama_jabatan="Pranata Komputer" if jenis is JenisJabatan.FUNGSIONAL else "Kepala Bidang",
        eselon=3 if jenis is JenisJabatan.STRUKTURAL else None,
        diklat_pim=frozenset({3}) if met.get(Komponen.PIM) else frozenset(),
        diklat_fungsional=bool(met.get(Komponen.FUNGSIONAL)),
        pelatihan_teknis=(PelatihanTeknis(IN_YEAR if met[Komponen.TEKNIS] else old, 20),),
        seminar=(IN_YEAR if met[Komponen.SEMINAR] else old,),
    )


@pytest.mark.parametrize(
    ("jenis", "met"),
    COMBINATIONS,
    ids=[f"{j.value}-{'-'.join(k for k, m in c.items() if m)}" for j, c in COMBINATIONS],
)
def test_every_component_combination_of_every_position_type(
    jenis: JenisJabatan, met: dict[Komponen, bool]
) -> None:
    result = compute(_with(jenis, met))
    expected = sum((Decimal(KOMPONEN_POINTS[jenis][k]) for k, m in met.items() if m), Decimal(0))
    assert result.kompetensi == expected
    assert set(result.kompetensi_kurang) == {k for k, m in met.items() if not m}
    assert result.jenis_jabatan is jenis


def test_pelaksana_halves_add_up_exactly() -> None:
    result = compute(FULL)
    assert result.kompetensi == Decimal(40)
    assert str(compute(replace(FULL, seminar=())).kompetensi) == "22.5"


@pytest.mark.parametrize("spelling", ["PELAKSANA", " Pelaksana ", "pelaksana"])
def test_the_position_type_is_read_case_insensitively(spelling: str) -> None:
    assert compute(replace(FULL, jenis_jabatan=spelling)).jenis_jabatan is JenisJabatan.PELAKSANA


def test_an_unknown_position_type_is_refused() -> None:
    with pytest.raises(DomainError) as info:
        compute(replace(FULL, jenis_jabatan="honorer"))
    assert info.value.error.code == "JENIS_JABATAN_UNKNOWN"


@pytest.mark.parametrize("eselon", [None, 0, 5])
def test_a_structural_position_needs_a_known_eselon(eselon: int | None) -> None:
    with pytest.raises(DomainError) as info:
        compute(
            replace(
                _with(JenisJabatan.STRUKTURAL, dict.fromkeys(KOMPONEN_POINTS[JenisJabatan.STRUKTURAL], True)),
                eselon=eselon,
            )
        )
    assert info.value.error.code == "ESELON_INVALID"


@pytest.mark.parametrize(
    ("eselon", "done", "higher_counts", "met"),
    [
        (2, {2}, False, True),
        (3, {3}, False, True),
        (4, {4}, False, True),
        (3, {4}, False, False),  # a lower level never counts
        (3, {2}, False, False),  # "matching the echelon": a higher level does not count by default
        (3, {2}, True, True),
        (4, {4, 3}, False, True),
        (2, set(), True, False),
        (1, {1}, False, True),
    ],
)
def test_leadership_training_must_match_the_echelon(
    eselon: int, done: set[int], higher_counts: bool, met: bool
) -> None:
    data = RULES.model_dump(mode="json")
    data["kompetensi"]["pim_higher_level_counts"] = higher_counts
    pegawai = replace(
        _with(JenisJabatan.STRUKTURAL, dict.fromkeys(KOMPONEN_POINTS[JenisJabatan.STRUKTURAL], True)),
        eselon=eselon,
        diklat_pim=frozenset(done),
    )
    result = compute(pegawai, parse_ipasn_rules(data))
    assert (Komponen.PIM not in result.kompetensi_kurang) is met
    assert result.kompetensi == (40 if met else 25)


@pytest.mark.parametrize(
    ("nama_jabatan", "deemed"),
    [
        ("Dokter Ahli Muda", True),
        ("dokter gigi ahli pertama", True),
        ("Guru Ahli Pertama", True),
        ("Apoteker Ahli Madya", True),
        ("Perawat Terampil", True),
        ("  BIDAN   Ahli Muda", True),
        ("Asesor SDM Aparatur Ahli Muda", True),
        ("Psikolog Klinis Ahli Muda", True),
        ("Psikolog", True),
        ("Asisten Apoteker Terampil", False),
        ("Pranata Komputer Ahli Pertama", False),
        ("Dokterandus", False),
        ("", False),
    ],
)
def test_listed_functional_positions_count_as_having_the_functional_training(
    nama_jabatan: str, deemed: bool
) -> None:
    pegawai = replace(
        _with(JenisJabatan.FUNGSIONAL, dict.fromkeys(KOMPONEN_POINTS[JenisJabatan.FUNGSIONAL], True)),
        diklat_fungsional=False,
        nama_jabatan=nama_jabatan,
    )
    result = compute(pegawai)
    assert (Komponen.FUNGSIONAL not in result.kompetensi_kurang) is deemed
    # Recorded functional training always counts.
    assert Komponen.FUNGSIONAL not in compute(replace(pegawai, diklat_fungsional=True)).kompetensi_kurang


def test_the_deemed_positions_are_configurable() -> None:
    data = RULES.model_dump(mode="json")
    data["kompetensi"]["fungsional_deemed_trained"] = ["Penyuluh Pertanian"]
    rules = parse_ipasn_rules(data)
    base = replace(
        _with(JenisJabatan.FUNGSIONAL, dict.fromkeys(KOMPONEN_POINTS[JenisJabatan.FUNGSIONAL], True)),
        diklat_fungsional=False,
    )
    assert (
        Komponen.FUNGSIONAL
        not in compute(replace(base, nama_jabatan="Penyuluh Pertanian Ahli Muda"), rules).kompetensi_kurang
    )
    assert (
        Komponen.FUNGSIONAL
        in compute(replace(base, nama_jabatan="Dokter Ahli Muda"), rules).kompetensi_kurang
    )


@pytest.mark.parametrize(
    ("trainings", "jp", "met"),
    [
        ([(date(2025, 1, 1), 20)], 20, True),  # first day of the window
        ([(date(2025, 12, 31), 20)], 20, True),  # the measurement date itself
        ([(date(2024, 12, 31), 20)], 0, False),  # exactly one year before: outside
        ([(date(2026, 1, 1), 20)], 0, False),  # after the measurement date
        ([(IN_YEAR, 19)], 19, False),
        ([(IN_YEAR, 12), (date(2025, 9, 1), 8)], 20, True),  # JP within the window add up
        ([(IN_YEAR, 12), (date(2024, 9, 1), 8)], 12, False),
        ([], 0, False),
    ],
)
def test_technical_training_needs_20_jp_in_the_last_year(
    trainings: list[tuple[date, int]], jp: int, met: bool
) -> None:
    result = compute(replace(FULL, pelatihan_teknis=tuple(PelatihanTeknis(d, n) for d, n in trainings)))
    assert result.teknis_jp == jp
    assert (Komponen.TEKNIS not in result.kompetensi_kurang) is met


def test_negative_training_hours_are_refused() -> None:
    with pytest.raises(DomainError) as info:
        compute(replace(FULL, pelatihan_teknis=(PelatihanTeknis(IN_YEAR, 30), PelatihanTeknis(IN_YEAR, -10))))
    assert info.value.error.code == "TRAINING_JP_INVALID"


@pytest.mark.parametrize(
    ("day", "met"),
    [(date(2024, 1, 1), True), (date(2023, 12, 31), False), (AS_OF, True), (date(2026, 1, 2), False)],
)
def test_a_seminar_counts_within_the_last_two_years(day: date, met: bool) -> None:
    result = compute(replace(FULL, seminar=(day,)))
    assert (Komponen.SEMINAR not in result.kompetensi_kurang) is met


def test_kompetensi_is_capped_at_its_maximum() -> None:
    data = RULES.model_dump(mode="json")
    data["kompetensi"]["points"]["pelaksana"] = {"teknis": "30", "seminar": "20"}
    result = compute(FULL, parse_ipasn_rules(data))
    assert result.kompetensi == 40
    assert result.total == 100


# Kinerja from last year's numeric score, every band and boundary.
KINERJA_SCORE = [
    ("0", 1),
    ("50", 1),
    ("50.01", 5),
    ("60", 5),
    ("60.01", 15),
    ("75", 15),
    ("75.01", 25),
    ("90", 25),
    ("90.01", 30),
    ("90.5", 30),
    ("100", 30),
]


@pytest.mark.parametrize(("score", "points"), KINERJA_SCORE)
def test_every_kinerja_score_band_and_boundary(score: str, points: int) -> None:
    result = compute(replace(FULL, skp_predikat=None, skp_nilai=Decimal(score)))
    assert result.kinerja == points
    assert result.skp_nilai == Decimal(score)
    assert result.skp_predikat is None


def test_whole_number_scores_are_accepted() -> None:
    assert compute(replace(FULL, skp_predikat=None, skp_nilai=76)).kinerja == 25


@pytest.mark.parametrize(
    "score", [Decimal("-0.01"), Decimal("100.01"), Decimal("NaN"), Decimal("Infinity"), True]
)
def test_a_kinerja_score_outside_0_to_100_is_refused(score: Decimal) -> None:
    with pytest.raises(DomainError) as info:
        compute(replace(FULL, skp_predikat=None, skp_nilai=score))
    assert info.value.error.code == "SKP_SCORE_OUT_OF_RANGE"


KINERJA_PREDIKAT = [
    ("Sangat Baik", Predikat.SANGAT_BAIK, 30),
    ("Baik", Predikat.BAIK, 25),
    ("Butuh Perbaikan", Predikat.BUTUH_PERBAIKAN, 15),
    ("Kurang", Predikat.KURANG, 5),
    ("Sangat Kurang", Predikat.SANGAT_KURANG, 1),
    ("sangat  baik", Predikat.SANGAT_BAIK, 30),
    ("BUTUH PERBAIKAN", Predikat.BUTUH_PERBAIKAN, 15),
    (1, Predikat.SANGAT_BAIK, 30),
    (2, Predikat.BAIK, 25),
    ("3", Predikat.BUTUH_PERBAIKAN, 15),
    (4, Predikat.KURANG, 5),
    ("5", Predikat.SANGAT_KURANG, 1),
]


@pytest.mark.parametrize(("given", "predikat", "points"), KINERJA_PREDIKAT)
def test_kinerja_from_a_predikat_label_or_siasn_code(
    given: str | int, predikat: Predikat, points: int
) -> None:
    result = compute(replace(FULL, skp_predikat=given))
    assert result.skp_predikat is predikat
    assert result.kinerja == points


def test_a_predikat_wins_over_a_score() -> None:
    result = compute(replace(FULL, skp_predikat="Kurang", skp_nilai=Decimal(95)))
    assert result.kinerja == 5


@pytest.mark.parametrize("given", ["Cukup", "Istimewa", 0, 6, True, ""])
def test_an_unknown_predikat_is_refused(given: str | int) -> None:
    with pytest.raises(DomainError) as info:
        compute(replace(FULL, skp_predikat=given))
    assert info.value.error.code == "PREDIKAT_UNKNOWN"


def test_the_predikat_table_is_configurable() -> None:
    data = RULES.model_dump(mode="json")
    data["kinerja"]["predikat_points"]["Baik"] = "20"
    assert compute(replace(FULL, skp_predikat="Baik"), parse_ipasn_rules(data)).kinerja == 20


def test_missing_skp_scores_the_configured_points_and_is_flagged() -> None:
    result = compute(replace(FULL, skp_predikat=None, skp_nilai=None, pendidikan="42"))
    assert result.kinerja == 0
    assert result.review == (REVIEW_EDUCATION, REVIEW_SKP_MISSING)


# Disiplin: the worst sanction in the last five years.
@pytest.mark.parametrize(
    ("levels", "worst", "points"),
    [
        ([], TingkatHukdis.TIDAK_ADA, 5),
        (["ringan"], TingkatHukdis.RINGAN, 3),
        (["sedang"], TingkatHukdis.SEDANG, 2),
        (["berat"], TingkatHukdis.BERAT, 1),
        (["ringan", "berat", "sedang"], TingkatHukdis.BERAT, 1),
        (["Sedang", " RINGAN "], TingkatHukdis.SEDANG, 2),
        ([TingkatHukdis.RINGAN, TingkatHukdis.TIDAK_ADA], TingkatHukdis.RINGAN, 3),
    ],
)
def test_every_sanction_level_and_the_worst_one_counts(
    levels: list[str], worst: TingkatHukdis, points: int
) -> None:
    result = compute(replace(FULL, hukdis=tuple(Hukdis(t, IN_YEAR) for t in levels)))
    assert result.hukdis_terberat is worst
    assert result.disiplin == points


@pytest.mark.parametrize(
    ("day", "counts"),
    [(date(2021, 1, 1), True), (date(2020, 12, 31), False), (AS_OF, True), (date(2026, 1, 1), False)],
)
def test_a_sanction_counts_within_the_last_five_years(day: date, counts: bool) -> None:
    result = compute(replace(FULL, hukdis=(Hukdis("berat", day),)))
    assert result.disiplin == (1 if counts else 5)


def test_an_unknown_sanction_level_is_refused_even_when_old() -> None:
    with pytest.raises(DomainError) as info:
        compute(replace(FULL, hukdis=(Hukdis("teguran", date(2001, 1, 1)),)))
    assert info.value.error.code == "SANCTION_UNKNOWN"


KATEGORI = [
    ("0", "Sangat Rendah"),
    ("60", "Sangat Rendah"),
    ("60.5", "Rendah"),
    ("70", "Rendah"),
    ("70.5", "Sedang"),
    ("80", "Sedang"),
    ("80.5", "Tinggi"),
    ("90", "Tinggi"),
    ("90.5", "Sangat Tinggi"),
    ("100", "Sangat Tinggi"),
]


@pytest.mark.parametrize(("total", "kategori"), KATEGORI)
def test_every_category_bound_is_half_open(total: str, kategori: str) -> None:
    assert kategori_of(Decimal(total), RULES) == kategori


@pytest.mark.parametrize(
    ("pegawai", "total", "kategori"),
    [
        (replace(FULL, hukdis=(Hukdis("sedang", IN_YEAR),), seminar=()), Decimal("79.5"), "Sedang"),
        (replace(FULL, skp_predikat="Baik", seminar=()), Decimal("77.5"), "Sedang"),
        (
            replace(FULL, pendidikan="45", seminar=(), hukdis=(Hukdis("ringan", IN_YEAR),)),
            Decimal("75.5"),
            "Sedang",
        ),
        (replace(FULL, pendidikan="40", skp_predikat="Baik", pelatihan_teknis=()), Decimal("62.5"), "Rendah"),
        (
            replace(FULL, pendidikan="15", skp_predikat=5, pelatihan_teknis=()),
            Decimal("28.5"),
            "Sangat Rendah",
        ),
    ],
)
def test_the_category_follows_the_exact_total(pegawai: Pegawai, total: Decimal, kategori: str) -> None:
    result = compute(pegawai)
    assert result.total == total
    assert result.kategori == kategori


def test_compute_all_returns_the_rows_it_cannot_score_with_their_reason() -> None:
    people = [FULL, replace(FULL, nip="2", pendidikan="99"), replace(FULL, nip="3", skp_predikat="Cukup")]
    results, rejected = compute_all(people, RULES, AS_OF)
    assert [r.nip for r in results] == [FULL.nip]
    assert [(r.index, r.nip, r.code) for r in rejected] == [
        (1, "2", "EDUCATION_UNKNOWN"),
        (2, "3", "PREDIKAT_UNKNOWN"),
    ]
    assert rejected[0].message == CATALOGUE["EDUCATION_UNKNOWN"].message


@pytest.mark.parametrize(
    ("day", "years", "before"),
    [
        (date(2025, 12, 31), 1, date(2024, 12, 31)),
        (date(2024, 2, 29), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 4, date(2020, 2, 29)),
        (date(2025, 3, 1), 5, date(2020, 3, 1)),
    ],
)
def test_windows_count_back_whole_years(day: date, years: int, before: date) -> None:
    assert years_before(day, years) == before


def test_windows_follow_the_rules_file() -> None:
    data = copy.deepcopy(RULES.model_dump(mode="json"))
    data["kompetensi"]["teknis_window_years"] = 2
    data["disiplin"]["window_years"] = 3
    rules = parse_ipasn_rules(data)
    old = replace(
        FULL,
        pelatihan_teknis=(PelatihanTeknis(date(2024, 6, 1), 20),),
        hukdis=(Hukdis("berat", date(2022, 6, 1)),),
    )
    result = compute(old, rules)
    assert Komponen.TEKNIS not in result.kompetensi_kurang
    assert result.disiplin == 5
