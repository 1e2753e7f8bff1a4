from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain.explanation import angka, explain, review_notes
from bkpsdm.ipasn_uploader.domain.ipasn import Hukdis, Pegawai, PelatihanTeknis, compute_ipasn
from bkpsdm.ipasn_uploader.domain.ruleset import IpasnRules, JenisJabatan, load_ipasn_rules, parse_ipasn_rules

RULES = load_ipasn_rules()
AS_OF = date(2025, 12, 31)
IN_YEAR = date(2025, 6, 1)

FULL = Pegawai(
    nip="199001012015031001",
    unit_kerja="BKPSDM",
    pendidikan="50",
    jenis_jabatan=JenisJabatan.PELAKSANA,
    pelatihan_teknis=(PelatihanTeknis(IN_YEAR, 24),),
    seminar=(IN_YEAR,),
    skp_predikat="Sangat Baik",
)
STRUKTURAL = replace(
    FULL,
    jenis_jabatan=JenisJabatan.STRUKTURAL,
    nama_jabatan="Kepala Bidang",
    eselon=3,
    diklat_pim=frozenset({3}),
)
FUNGSIONAL = replace(
    FULL, jenis_jabatan=JenisJabatan.FUNGSIONAL, nama_jabatan="Analis Kebijakan", diklat_fungsional=True
)


def lines(pegawai: Pegawai, rules: IpasnRules = RULES) -> tuple[str, ...]:
    return explain(compute_ipasn(pegawai, rules, AS_OF), rules)


@pytest.mark.parametrize("pegawai", [FULL, STRUKTURAL, FUNGSIONAL])
def test_full_marks_need_no_explanation(pegawai: Pegawai) -> None:
    assert lines(pegawai) == ()


@pytest.mark.parametrize(
    ("pegawai", "expected"),
    [
        (replace(FULL, pendidikan="40"), "Kualifikasi: pendidikan tertinggi S-1 (-10 poin)"),
        (replace(FULL, pendidikan="30"), "Kualifikasi: pendidikan tertinggi D-III (-15 poin)"),
        (replace(FULL, pendidikan="05"), "Kualifikasi: pendidikan tertinggi SD (-24 poin)"),
        (replace(FULL, pendidikan="42"), "Kualifikasi: pendidikan tertinggi Profesi (-5 poin)"),
        (
            replace(STRUKTURAL, pelatihan_teknis=()),
            "Kompetensi: belum mengikuti pelatihan teknis minimal 20 JP dalam 1 tahun terakhir (-15 poin)",
        ),
        (
            replace(FULL, pelatihan_teknis=()),
            "Kompetensi: belum mengikuti pelatihan teknis minimal 20 JP dalam 1 tahun terakhir (-22,5 poin)",
        ),
        (
            replace(FULL, seminar=()),
            "Kompetensi: belum mengikuti seminar/workshop dalam 2 tahun terakhir (-17,5 poin)",
        ),
        (
            replace(
                STRUKTURAL,
                diklat_pim=frozenset({4}),
                pelatihan_teknis=(PelatihanTeknis(IN_YEAR, 12),),
                seminar=(),
            ),
            "Kompetensi: belum mengikuti Diklat PIM Tingkat III sesuai eselon jabatan (-15 poin); "
            "belum mengikuti pelatihan teknis minimal 20 JP dalam 1 tahun terakhir, baru 12 JP (-15 poin); "
            "belum mengikuti seminar/workshop dalam 2 tahun terakhir (-10 poin)",
        ),
        (
            replace(STRUKTURAL, eselon=2, diklat_pim=frozenset()),
            "Kompetensi: belum mengikuti Diklat PIM Tingkat II sesuai eselon jabatan (-15 poin)",
        ),
        (
            replace(FUNGSIONAL, diklat_fungsional=False),
            "Kompetensi: belum mengikuti diklat fungsional sesuai jabatan (-15 poin)",
        ),
        (replace(FULL, skp_predikat="Baik"), "Kinerja: predikat SKP tahun lalu Baik (-5 poin)"),
        (replace(FULL, skp_predikat=4), "Kinerja: predikat SKP tahun lalu Kurang (-25 poin)"),
        (
            replace(FULL, skp_predikat=None, skp_nilai=Decimal("82.50")),
            "Kinerja: nilai SKP tahun lalu 82,5 (-5 poin)",
        ),
        (replace(FULL, skp_predikat=None, skp_nilai=50), "Kinerja: nilai SKP tahun lalu 50 (-29 poin)"),
        (replace(FULL, skp_predikat=None), "Kinerja: data SKP tahun lalu tidak tersedia (-30 poin)"),
        (
            replace(FULL, hukdis=(Hukdis("sedang", IN_YEAR),)),
            "Disiplin: pernah dijatuhi hukuman disiplin tingkat sedang dalam 5 tahun terakhir (-3 poin)",
        ),
        (
            replace(FULL, hukdis=(Hukdis("berat", IN_YEAR), Hukdis("ringan", IN_YEAR))),
            "Disiplin: pernah dijatuhi hukuman disiplin tingkat berat dalam 5 tahun terakhir (-4 poin)",
        ),
    ],
)
def test_each_dimension_below_its_maximum_gets_one_line_in_indonesian(
    pegawai: Pegawai, expected: str
) -> None:
    assert lines(pegawai) == (expected,)


def test_every_dimension_that_lost_points_is_explained_in_order() -> None:
    pegawai = replace(
        FULL, pendidikan="40", seminar=(), skp_predikat="Baik", hukdis=(Hukdis("ringan", IN_YEAR),)
    )
    explained = lines(pegawai)
    assert [line.split(":")[0] for line in explained] == ["Kualifikasi", "Kompetensi", "Kinerja", "Disiplin"]
    result = compute_ipasn(pegawai, RULES, AS_OF)
    assert result.total == 100 - 10 - Decimal("17.5") - 5 - 2


def test_a_capped_kompetensi_table_states_the_real_loss() -> None:
    data = RULES.model_dump(mode="json")
    data["kompetensi"]["points"]["pelaksana"] = {"teknis": "30", "seminar": "20"}
    rules = parse_ipasn_rules(data)
    assert lines(replace(FULL, seminar=()), rules) == (
        "Kompetensi: belum mengikuti seminar/workshop dalam 2 tahun terakhir (-10 poin)",
    )


def test_a_table_below_the_maximum_says_so() -> None:
    data = RULES.model_dump(mode="json")
    data["kompetensi"]["points"]["pelaksana"] = {"teknis": "20", "seminar": "15"}
    rules = parse_ipasn_rules(data)
    assert lines(FULL, rules) == (
        "Kompetensi: aturan hanya memberi 35 poin untuk jabatan pelaksana (-5 poin)",
    )


def test_a_disiplin_table_below_the_maximum_says_so() -> None:
    data = RULES.model_dump(mode="json")
    data["disiplin"]["points"]["tidak_ada"] = "4"
    rules = parse_ipasn_rules(data)
    assert lines(FULL, rules) == ("Disiplin: aturan hanya memberi 4 poin tanpa hukuman disiplin (-1 poin)",)


@pytest.mark.parametrize(
    ("pegawai", "notes"),
    [
        (FULL, ()),
        (
            replace(FULL, pendidikan="42"),
            (
                "Kualifikasi: pemetaan kode pendidikan 42 (Profesi) ke 20 poin belum ditetapkan; perlu ditinjau",
            ),
        ),
        (
            replace(FULL, pendidikan="47"),
            ("Kualifikasi: pemetaan kode pendidikan 47 (Sp-1) ke 25 poin belum ditetapkan; perlu ditinjau",),
        ),
        (
            replace(FULL, pendidikan="49", skp_predikat=None),
            (
                "Kualifikasi: pemetaan kode pendidikan 49 (Subspesialis) ke 25 poin belum ditetapkan; perlu ditinjau",
                "Kinerja: data SKP tahun lalu tidak tersedia, dihitung 0 poin; perlu dilengkapi atau ditinjau",
            ),
        ),
    ],
)
def test_review_flags_are_explained_in_indonesian(pegawai: Pegawai, notes: tuple[str, ...]) -> None:
    result = compute_ipasn(pegawai, RULES, AS_OF)
    assert review_notes(result, RULES) == notes


def test_a_result_is_explained_only_with_the_rule_set_that_produced_it() -> None:
    data = RULES.model_dump(mode="json")
    data["version"] = "2026.1"
    other = parse_ipasn_rules(data)
    result = compute_ipasn(FULL, RULES, AS_OF)
    with pytest.raises(DomainError) as info:
        explain(result, other)
    assert info.value.error.code == "IPASN_RULES_MIXED"
    with pytest.raises(DomainError):
        review_notes(result, other)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("22.5"), "22,5"),
        (Decimal("40.0"), "40"),
        (Decimal("0"), "0"),
        (15, "15"),
        (Decimal("82.50"), "82,5"),
    ],
)
def test_numbers_are_written_the_indonesian_way(value: Decimal | int, text: str) -> None:
    assert angka(value) == text
