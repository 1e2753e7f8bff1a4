"""A recap row as intake accepted it (its spellings: "S1", "II.a", "PIM III", "Ya") to the person
the IP-ASN rules score, and the plan sent to BKN: scores, category, the lost points in Bahasa
Indonesia, review flags, and the per-unit and per-category tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bkpsdm.common.uploads.model import Cell, RecapRow
from bkpsdm.ipasn_uploader.domain.ipasn import compute_ipasn
from bkpsdm.ipasn_uploader.domain.mapping import TARGET, plan_recap, to_pegawai
from bkpsdm.ipasn_uploader.domain.ruleset import load_ipasn_rules

RULES = load_ipasn_rules()
AS_OF = date(2025, 12, 31)
NIP = "198503302010012001"

# Full marks as a pelaksana: S-3, 24 JP, a seminar, Sangat Baik, no sanction.
FULL: dict[str, Cell] = {
    "nip": NIP,
    "nama": "Sri",
    "unit_kerja": "Dinas Pendidikan",
    "periode": 2025,
    "pendidikan": "50",
    "jenis_jabatan": "Pelaksana",
    "nama_jabatan": "Pengadministrasi Umum",
    "jp_pelatihan_teknis": 24,
    "seminar_workshop": "Ya",
    "predikat_skp": "Sangat Baik",
    "hukuman_disiplin": "Tidak Ada",
}


def row(number: int = 2, /, **values: Cell) -> RecapRow:
    return RecapRow(number, {**FULL, **values})


def score(**values: Cell) -> Any:
    return compute_ipasn(to_pegawai(row(**values), AS_OF), RULES, AS_OF)


def test_a_complete_row_scores_100() -> None:
    result = score()
    assert (result.total, result.kategori) == (100, "Sangat Tinggi")


@pytest.mark.parametrize(
    ("cell", "points"),
    [
        ("50", 25),
        (50, 25),
        (50.0, 25),
        ("S3", 25),
        ("S-2", 20),
        ("S1", 15),
        ("D-IV", 15),
        ("D3", 10),
        ("SMA", 5),
        ("SD", 1),
    ],
)
def test_education_is_read_from_codes_and_names(cell: Cell, points: int) -> None:
    assert score(pendidikan=cell).kualifikasi == points


@pytest.mark.parametrize(
    ("values", "kompetensi"),
    [
        ({}, Decimal("40")),
        ({"jp_pelatihan_teknis": 19}, Decimal("17.5")),
        ({"jp_pelatihan_teknis": "20"}, Decimal("40")),
        ({"jp_pelatihan_teknis": None}, Decimal("17.5")),
        ({"seminar_workshop": "Tidak"}, Decimal("22.5")),
        ({"seminar_workshop": "-"}, Decimal("22.5")),
        ({"jenis_jabatan": "JFT", "diklat_fungsional": "Ya"}, Decimal("40")),
        ({"jenis_jabatan": "Fungsional", "diklat_fungsional": "Tidak"}, Decimal("25")),
        ({"jenis_jabatan": "fungsional", "nama_jabatan": "Guru Ahli Muda"}, Decimal("40")),
        ({"jenis_jabatan": "Struktural", "eselon": "III.a", "diklat_kepemimpinan": "PIM III"}, Decimal("40")),
        ({"jenis_jabatan": "Struktural", "eselon": "III.b", "diklat_kepemimpinan": "PKA"}, Decimal("40")),
        ({"jenis_jabatan": "Struktural", "eselon": "IV.a", "diklat_kepemimpinan": "PIM III"}, Decimal("25")),
        ({"jenis_jabatan": "Struktural", "eselon": "II.a", "diklat_kepemimpinan": "Tidak"}, Decimal("25")),
    ],
)
def test_kompetensi_from_the_recap_spellings(values: dict[str, Cell], kompetensi: Decimal) -> None:
    assert score(**values).kompetensi == kompetensi


@pytest.mark.parametrize(
    ("values", "kinerja", "disiplin"),
    [
        ({"predikat_skp": 1}, 30, 5),
        ({"predikat_skp": "Kurang (misconduct)"}, 5, 5),
        ({"predikat_skp": None, "nilai_skp": "90,5"}, 30, 5),
        ({"predikat_skp": None, "nilai_skp": 90}, 25, 5),
        ({"hukuman_disiplin": "Ringan"}, 30, 3),
        ({"hukuman_disiplin": "Hukuman disiplin sedang"}, 30, 2),
        ({"hukuman_disiplin": "BERAT"}, 30, 1),
    ],
)
def test_kinerja_and_disiplin_from_the_recap_spellings(
    values: dict[str, Cell], kinerja: int, disiplin: int
) -> None:
    result = score(**values)
    assert (result.kinerja, result.disiplin) == (kinerja, disiplin)


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"pendidikan": "S9"}, "EDUCATION_UNKNOWN"),
        ({"jenis_jabatan": "Honorer"}, "JENIS_JABATAN_UNKNOWN"),
        ({"jenis_jabatan": "Struktural", "eselon": None}, "ESELON_INVALID"),
        ({"predikat_skp": "Istimewa"}, "PREDIKAT_UNKNOWN"),
        ({"predikat_skp": None, "nilai_skp": "sangat baik"}, "SKP_SCORE_OUT_OF_RANGE"),
        ({"predikat_skp": None, "nilai_skp": 101}, "SKP_SCORE_OUT_OF_RANGE"),
        ({"hukuman_disiplin": "Teguran"}, "SANCTION_UNKNOWN"),
        ({"jp_pelatihan_teknis": "dua puluh"}, "TRAINING_JP_INVALID"),
        ({"nip": None}, "NIP_MISSING"),
        ({"periode": "tahun lalu"}, "PERIOD_INVALID"),
    ],
)
def test_a_row_the_rules_cannot_score_is_refused_with_its_reason(values: dict[str, Cell], code: str) -> None:
    (planned,) = plan_recap([row(**values)], period=None, rules=RULES).rows
    assert [r.code for r in planned.rejection] == [code]
    assert planned.payload is None


def test_the_plan_sends_scores_category_and_education_code_and_explains_lost_points() -> None:
    (planned,) = plan_recap([row(pendidikan="S1", seminar_workshop="Tidak")], period="2025", rules=RULES).rows
    assert planned.target == TARGET
    assert planned.natural_key == f"{NIP}/2025"
    assert planned.payload == {
        "nip": NIP,
        "periode": "2025",
        "unit_kerja": "Dinas Pendidikan",
        "pendidikan": "40",
        "kualifikasi": 15.0,
        "kompetensi": 22.5,
        "kinerja": 30.0,
        "disiplin": 5.0,
        "total": 72.5,
        "kategori": "Sedang",
    }
    assert planned.detail["penjelasan"] == (
        "Kualifikasi: pendidikan tertinggi S-1 (-10 poin); "
        "Kompetensi: belum mengikuti seminar/workshop dalam 2 tahun terakhir (-17,5 poin)"
    )
    assert planned.detail["tinjauan"] is None


@pytest.mark.parametrize("code", ["42", "47", "49"])
def test_unsettled_education_codes_are_sent_and_flagged_for_review(code: str) -> None:
    plan = plan_recap([row(pendidikan=code)], period="2025", rules=RULES)
    (planned,) = plan.rows
    assert planned.payload is not None
    assert "perlu ditinjau" in str(planned.detail["tinjauan"])
    assert any("kode 42, 47, 49" in note for note in plan.notes)


def test_the_report_tables_aggregate_per_unit_and_category_under_the_recorded_rules() -> None:
    rows = [
        row(2, unit_kerja="Dinas Pendidikan"),
        row(3, unit_kerja="Dinas Pendidikan", pendidikan="S1", seminar_workshop="Tidak"),
        row(4, unit_kerja="Dinas Kesehatan", predikat_skp=None, nilai_skp=None),
        row(5, unit_kerja="Dinas Kesehatan", pendidikan="S9"),
    ]
    plan = plan_recap(rows, period="2025", rules=RULES)
    assert (plan.rules.id, plan.rules.version) == ("ipasn", "2019.1")
    per_unit, per_kategori = plan.sections
    header = per_unit.columns
    by_unit = {line[0]: dict(zip(header, line, strict=True)) for line in per_unit.rows}
    assert by_unit["Dinas Pendidikan"]["Jumlah"] == 2
    assert by_unit["Dinas Pendidikan"]["Rata-rata"] == 86.25
    assert by_unit["Dinas Pendidikan"]["Sangat Tinggi"] == 1
    assert by_unit["Dinas Pendidikan"]["Sedang"] == 1
    assert by_unit["Dinas Kesehatan"]["Perlu Tinjauan"] == 1  # no SKP on record
    assert by_unit["Semua unit kerja"]["Jumlah"] == 3
    assert dict((k, n) for k, n, _ in per_kategori.rows)["Rendah"] == 1  # 70 without kinerja
    assert any("tanpa data SKP" in note for note in plan.notes)
    assert [p.row_no for p in plan.rows] == [2, 3, 4, 5]
