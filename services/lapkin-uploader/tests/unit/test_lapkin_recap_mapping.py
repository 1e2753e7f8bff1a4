"""A recap row as intake accepted it, to the SKP record sent to BKN: table-driven over every
matrix cell (labels, SIASN codes, spreadsheet floats), the numeric scale's bands, and every
reason a row is refused before sending."""

from __future__ import annotations

from typing import Any

import pytest

from bkpsdm.common.uploads.model import Cell, RecapRow
from bkpsdm.common.uploads.requests import idempotency_key
from bkpsdm.lapkin_uploader.domain.mapping import (
    TARGET_SKP22,
    TARGET_SKP_PP46,
    Penilai,
    penilai_lookup,
    plan_recap,
    plan_row,
)
from bkpsdm.lapkin_uploader.domain.predikat import load_predikat_rules

RULES = load_predikat_rules()
DEFAULT = Penilai("Kepala Dinas", "197001011995031001", "Kepala Dinas Pendidikan", "Dinas Pendidikan", "IV/c")
DINKES = Penilai("dr. Sari", "197502022000032002", "Kepala Dinas Kesehatan", "Dinas Kesehatan", "IV/b")
PENILAI = penilai_lookup(DEFAULT, {"Dinas Kesehatan": DINKES})
NIP = "198503302010012001"


def row(**values: Cell) -> RecapRow:
    base: dict[str, Cell] = {"nip": NIP, "nama": "Sri", "unit_kerja": "Dinas Pendidikan", "periode": "2025"}
    return RecapRow(7, {**base, **values})


# (hasil, perilaku) as a recap may write them -> (SIASN codes, kuadran, predikat)
MATRIX = [
    ("Di Atas Ekspektasi", "Di Atas Ekspektasi", (1, 1), 1, "Sangat Baik"),
    (1, 2, (1, 2), 2, "Baik"),
    (1.0, 3.0, (1, 3), 4, "Kurang"),
    ("sesuai", "di atas", (2, 1), 2, "Baik"),
    ("2", "2", (2, 2), 2, "Baik"),
    ("Sesuai Ekspektasi", "Di Bawah Ekspektasi", (2, 3), 4, "Kurang"),
    (3, 1, (3, 1), 3, "Butuh Perbaikan"),
    ("dibawah", "sesuai", (3, 2), 3, "Butuh Perbaikan"),
    ("Di Bawah Ekspektasi", 3, (3, 3), 5, "Sangat Kurang"),
]


@pytest.mark.parametrize(("hasil", "perilaku", "codes", "kuadran", "predikat"), MATRIX)
def test_every_matrix_cell_becomes_an_skp22_record_with_its_kuadran(
    hasil: Cell, perilaku: Cell, codes: tuple[int, int], kuadran: int, predikat: str
) -> None:
    plan = plan_row(row(hasil_kerja=hasil, perilaku=perilaku), "2025", RULES, PENILAI)
    assert plan.rejection == ()
    assert plan.target == TARGET_SKP22
    assert plan.natural_key == f"{NIP}/2025"
    assert plan.payload is not None
    assert (plan.payload["hasil_kerja"], plan.payload["perilaku"], plan.payload["kuadran"]) == (
        *codes,
        kuadran,
    )
    assert plan.detail["predikat"] == predikat
    assert plan.detail["aturan"] == "matriks PermenPANRB 6/2022"


NUMERIC = [
    ({"nilai_skp": 100, "nilai_perilaku": 76}, 90.4, "Sangat Baik"),
    ({"nilai_skp": "90", "nilai_perilaku": "90"}, 90.0, "Baik"),
    ({"nilai_skp": "83,33", "nilai_perilaku": 75.5}, 80.198, "Baik"),
    ({"nilai_prestasi": 75}, 75.0, "Cukup"),
    ({"nilai_prestasi": "60,01"}, 60.01, "Cukup"),
    ({"nilai_prestasi": 60}, 60.0, "Kurang"),
    ({"nilai_prestasi": 50}, 50.0, "Buruk"),
]


@pytest.mark.parametrize(("values", "nilai", "predikat"), NUMERIC)
def test_numbers_become_a_numeric_skp_banded_on_the_pp46_scale(
    values: dict[str, Any], nilai: float, predikat: str
) -> None:
    plan = plan_row(row(**values), None, RULES, PENILAI)
    assert plan.target == TARGET_SKP_PP46
    assert plan.payload is not None
    assert plan.payload["nilai_prestasi"] == pytest.approx(nilai)
    assert plan.detail["predikat"] == predikat
    assert plan.detail["kuadran"] is None


REFUSED = [
    ({"nip": None, "hasil_kerja": 1, "perilaku": 1}, "NIP_MISSING"),
    ({"periode": "13-2025", "hasil_kerja": 1, "perilaku": 1}, "PERIOD_INVALID"),
    ({"hasil_kerja": "Luar Biasa", "perilaku": 1}, "SKP_RATING_UNKNOWN"),
    ({"hasil_kerja": 4, "perilaku": 1}, "SKP_RATING_UNKNOWN"),
    ({"hasil_kerja": 1}, "SKP_INPUT_INCOMPLETE"),
    ({}, "SKP_INPUT_INCOMPLETE"),
    ({"nilai_prestasi": "sembilan puluh"}, "SKP_SCORE_OUT_OF_RANGE"),
    ({"nilai_prestasi": 100.5}, "SKP_SCORE_OUT_OF_RANGE"),
]


@pytest.mark.parametrize(("values", "code"), REFUSED)
def test_a_row_that_cannot_be_mapped_is_refused_with_its_reason_in_indonesian(
    values: dict[str, Cell], code: str
) -> None:
    plan = plan_row(row(**values), None, RULES, PENILAI)
    assert [r.code for r in plan.rejection] == [code]
    assert plan.payload is None
    assert plan.rejection[0].message  # the catalogue's Indonesian text


def test_the_row_period_wins_and_the_request_period_fills_a_missing_one() -> None:
    assert plan_row(
        row(periode="2024-06", hasil_kerja=1, perilaku=1), "2025", RULES, PENILAI
    ).natural_key == (f"{NIP}/2024")
    assert plan_row(row(periode=None, hasil_kerja=1, perilaku=1), "2023", RULES, PENILAI).natural_key == (
        f"{NIP}/2023"
    )


def test_the_assessor_comes_from_configuration_per_unit() -> None:
    own = plan_row(row(unit_kerja="DINAS  KESEHATAN", hasil_kerja=1, perilaku=1), None, RULES, PENILAI)
    other = plan_row(row(hasil_kerja=1, perilaku=1), None, RULES, PENILAI)
    assert own.payload is not None
    assert other.payload is not None
    assert own.payload["penilai_nama"] == "dr. Sari"
    assert other.payload["penilai_nip"] == DEFAULT.nip


def test_the_plan_records_the_rule_set_and_counts_per_predikat() -> None:
    plan = plan_recap(
        [row(hasil_kerja=1, perilaku=1), row(hasil_kerja=2, perilaku=2), row(nilai_prestasi=95), row()],
        period="2025",
        rules=RULES,
        penilai_for=PENILAI,
    )
    assert (plan.rules.id, plan.rules.version) == ("skp-predikat", "2022.1")
    assert "PermenPANRB 6/2022" in plan.rules.source
    assert "PP 46/2011" in plan.rules.source
    (section,) = plan.sections
    assert set(section.rows) == {
        ("matriks PermenPANRB 6/2022", "Baik", 1),
        ("matriks PermenPANRB 6/2022", "Sangat Baik", 1),
        ("skala angka PP 46/2011", "Sangat Baik", 1),
    }


def test_the_idempotency_key_follows_submission_and_record_not_the_attempt() -> None:
    plan = plan_row(row(hasil_kerja=1, perilaku=1), None, RULES, PENILAI)
    again = plan_row(row(hasil_kerja=1, perilaku=1), None, RULES, PENILAI)
    changed = plan_row(row(hasil_kerja=2, perilaku=1), None, RULES, PENILAI)
    key = idempotency_key("E-LAPKIN", "sub-1", plan)
    assert key == idempotency_key("E-LAPKIN", "sub-1", again)
    assert key != idempotency_key("E-LAPKIN", "sub-2", plan)
    assert key != idempotency_key("E-LAPKIN", "sub-1", changed)
    refused = plan_row(row(), None, RULES, PENILAI)
    assert idempotency_key("E-LAPKIN", "sub-1", refused) is None


def test_scores_are_sent_as_numbers_bkn_reads() -> None:
    plan = plan_row(row(nilai_skp="83,33", nilai_perilaku=75.5), None, RULES, PENILAI)
    assert plan.payload is not None
    assert isinstance(plan.payload["nilai_skp"], float)
    assert plan.payload["nilai_skp"] == pytest.approx(83.33)
