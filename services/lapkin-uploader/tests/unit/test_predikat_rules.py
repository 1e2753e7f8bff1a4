from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.lapkin_uploader.domain.errors import CATALOGUE
from bkpsdm.lapkin_uploader.domain.predikat import (
    KUADRAN,
    RATING_CODES,
    Predikat,
    PredikatPp46,
    PredikatRule,
    Rating,
    SkpRow,
    derive_predikat,
    load_predikat_rules,
    parse_predikat_rules,
    parse_rating,
)

RULES = load_predikat_rules()
DEFAULT_JSON: dict[str, Any] = RULES.model_dump(mode="json")

A, S, B = Rating.DI_ATAS, Rating.SESUAI, Rating.DI_BAWAH

# PermenPANRB 6/2022, every cell: (hasil kerja, perilaku) -> predikat, SIASN kuadran.
MATRIX = [
    (A, A, Predikat.SANGAT_BAIK, 1),
    (A, S, Predikat.BAIK, 2),
    (A, B, Predikat.KURANG, 4),
    (S, A, Predikat.BAIK, 2),
    (S, S, Predikat.BAIK, 2),
    (S, B, Predikat.KURANG, 4),
    (B, A, Predikat.BUTUH_PERBAIKAN, 3),
    (B, S, Predikat.BUTUH_PERBAIKAN, 3),
    (B, B, Predikat.SANGAT_KURANG, 5),
]


@pytest.mark.parametrize(("hasil", "perilaku", "predikat", "kuadran"), MATRIX)
def test_every_matrix_cell_gives_its_predikat_by_label(
    hasil: Rating, perilaku: Rating, predikat: Predikat, kuadran: int
) -> None:
    result = derive_predikat(SkpRow(hasil_kerja=hasil.value, perilaku=perilaku.value), RULES)
    assert result.predikat is predikat
    assert result.kuadran == kuadran
    assert (result.hasil_kerja, result.perilaku) == (hasil, perilaku)
    assert result.rule is PredikatRule.MATRIX


@pytest.mark.parametrize(("hasil", "perilaku", "predikat", "kuadran"), MATRIX)
def test_every_matrix_cell_gives_its_predikat_by_siasn_code(
    hasil: Rating, perilaku: Rating, predikat: Predikat, kuadran: int
) -> None:
    as_int = derive_predikat(SkpRow(hasil_kerja=RATING_CODES[hasil], perilaku=RATING_CODES[perilaku]), RULES)
    as_text = derive_predikat(
        SkpRow(hasil_kerja=f" {RATING_CODES[hasil]} ", perilaku=str(RATING_CODES[perilaku])), RULES
    )
    assert as_int.predikat is as_text.predikat is predikat
    assert as_int.kuadran == as_text.kuadran == kuadran


def test_the_matrix_is_not_the_better_or_worse_of_the_two_ratings() -> None:
    # max() would say Sangat Baik or Sangat Kurang; misconduct makes it Kurang.
    assert derive_predikat(SkpRow(hasil_kerja=1, perilaku=3), RULES).predikat is Predikat.KURANG
    assert derive_predikat(SkpRow(hasil_kerja=3, perilaku=1), RULES).predikat is Predikat.BUTUH_PERBAIKAN


def test_siasn_codes_match_domain_md() -> None:
    assert [RATING_CODES[r] for r in (A, S, B)] == [1, 2, 3]
    assert [KUADRAN[p] for p in Predikat] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("Di Atas Ekspektasi", A),
        ("di atas ekspektasi", A),
        ("  DI   ATAS  EKSPEKTASI ", A),
        ("Diatas Ekspektasi", A),
        ("Di Atas", A),
        ("sesuai", S),
        ("SESUAI EKSPEKTASI", S),
        ("Di Bawah Ekspektasi", B),
        ("dibawah", B),
        ("1", A),
        ("2", S),
        (" 3", B),
        (1, A),
        (2, S),
        (3, B),
    ],
)
def test_ratings_are_read_from_labels_or_codes_ignoring_case_and_spaces(
    text: str | int, rating: Rating
) -> None:
    assert parse_rating(text) is rating


@pytest.mark.parametrize("bad", ["", "Baik", "0", "4", 0, 4, True, "Di Atas Ekspektasi Sekali"])
def test_an_unknown_rating_is_refused_with_its_code(bad: str | int) -> None:
    with pytest.raises(DomainError) as info:
        derive_predikat(SkpRow(hasil_kerja=bad, perilaku=2), RULES)
    assert info.value.error.code == "SKP_RATING_UNKNOWN"
    assert info.value.error is CATALOGUE["SKP_RATING_UNKNOWN"]


# PP 46/2011 bands on the final score, with each boundary and the fractional gaps.
NUMERIC_BANDS = [
    ("0", PredikatPp46.BURUK),
    ("50", PredikatPp46.BURUK),
    ("50.01", PredikatPp46.KURANG),
    ("50.5", PredikatPp46.KURANG),
    ("51", PredikatPp46.KURANG),
    ("60", PredikatPp46.KURANG),
    ("60.01", PredikatPp46.CUKUP),
    ("60.5", PredikatPp46.CUKUP),
    ("61", PredikatPp46.CUKUP),
    ("75", PredikatPp46.CUKUP),
    ("75.01", PredikatPp46.BAIK),
    ("75.5", PredikatPp46.BAIK),
    ("76", PredikatPp46.BAIK),
    ("90", PredikatPp46.BAIK),
    ("90.01", PredikatPp46.SANGAT_BAIK),
    ("90.5", PredikatPp46.SANGAT_BAIK),
    ("91", PredikatPp46.SANGAT_BAIK),
    ("100", PredikatPp46.SANGAT_BAIK),
]


@pytest.mark.parametrize(("score", "predikat"), NUMERIC_BANDS)
def test_every_numeric_band_and_boundary_from_a_final_score(score: str, predikat: PredikatPp46) -> None:
    result = derive_predikat(SkpRow(nilai_prestasi=Decimal(score)), RULES)
    assert result.predikat is predikat
    assert result.rule is PredikatRule.NUMERIC
    assert result.kuadran is None
    assert result.nilai_prestasi == Decimal(score)


@pytest.mark.parametrize(("score", "predikat"), NUMERIC_BANDS)
def test_equal_skp_and_behaviour_scores_band_like_the_final_score(score: str, predikat: PredikatPp46) -> None:
    result = derive_predikat(SkpRow(nilai_skp=Decimal(score), nilai_perilaku=Decimal(score)), RULES)
    assert result.predikat is predikat
    assert result.nilai_prestasi == Decimal(score)


@pytest.mark.parametrize(
    ("skp", "perilaku", "nilai", "predikat"),
    [
        (100, 76, Decimal("90.4"), PredikatPp46.SANGAT_BAIK),  # 60 + 30.4
        (90, 90, Decimal("90"), PredikatPp46.BAIK),
        (Decimal("83.33"), Decimal("75.5"), Decimal("80.198"), PredikatPp46.BAIK),
        (50, 100, Decimal("70"), PredikatPp46.CUKUP),
        (100, 0, Decimal("60"), PredikatPp46.KURANG),
        (0, 100, Decimal("40"), PredikatPp46.BURUK),
    ],
)
def test_the_numeric_score_is_60_percent_skp_plus_40_percent_behaviour_unrounded(
    skp: Decimal | int, perilaku: Decimal | int, nilai: Decimal, predikat: PredikatPp46
) -> None:
    result = derive_predikat(SkpRow(nilai_skp=skp, nilai_perilaku=perilaku), RULES)
    assert result.nilai_prestasi == nilai
    assert result.predikat is predikat


def test_ratings_win_over_numbers_and_parts_over_a_stated_final_score() -> None:
    both = derive_predikat(SkpRow(hasil_kerja=1, perilaku=1, nilai_prestasi=10), RULES)
    assert both.rule is PredikatRule.MATRIX
    assert both.predikat is Predikat.SANGAT_BAIK
    parts = derive_predikat(SkpRow(nilai_skp=100, nilai_perilaku=100, nilai_prestasi=10), RULES)
    assert parts.predikat is PredikatPp46.SANGAT_BAIK


@pytest.mark.parametrize(
    "row",
    [
        SkpRow(),
        SkpRow(hasil_kerja=1),
        SkpRow(perilaku="Sesuai"),
        SkpRow(nilai_skp=80),
        SkpRow(nilai_perilaku=80),
    ],
)
def test_a_row_without_a_complete_rating_pair_or_score_is_incomplete(row: SkpRow) -> None:
    with pytest.raises(DomainError) as info:
        derive_predikat(row, RULES)
    assert info.value.error.code == "SKP_INPUT_INCOMPLETE"


@pytest.mark.parametrize(
    "row",
    [
        SkpRow(nilai_prestasi=Decimal("-0.01")),
        SkpRow(nilai_prestasi=Decimal("100.01")),
        SkpRow(nilai_prestasi=Decimal("NaN")),
        SkpRow(nilai_prestasi=Decimal("Infinity")),
        SkpRow(nilai_skp=101, nilai_perilaku=50),
        SkpRow(nilai_skp=50, nilai_perilaku=-1),
        SkpRow(nilai_prestasi=True),
    ],
)
def test_a_score_outside_0_to_100_is_refused(row: SkpRow) -> None:
    with pytest.raises(DomainError) as info:
        derive_predikat(row, RULES)
    assert info.value.error.code == "SKP_SCORE_OUT_OF_RANGE"


def test_every_result_records_the_rule_set_and_the_rule_that_produced_it() -> None:
    matrix = derive_predikat(SkpRow(hasil_kerja=2, perilaku=2), RULES)
    numeric = derive_predikat(SkpRow(nilai_prestasi=80), RULES)
    assert (matrix.rules_id, matrix.rules_version) == ("skp-predikat", "2022.1")
    assert (numeric.rules_id, numeric.rules_version) == ("skp-predikat", "2022.1")
    assert "PermenPANRB 6/2022" in matrix.rule_source
    assert "PP 46/2011" in numeric.rule_source


def test_an_agency_rules_file_overrides_the_default(tmp_path: Path) -> None:
    custom = copy.deepcopy(DEFAULT_JSON)
    custom["version"] = "2026.1-singkawang"
    custom["matrix"]["Di Atas Ekspektasi"]["Di Bawah Ekspektasi"] = "Butuh Perbaikan"
    path = tmp_path / "predikat.json"
    path.write_text(json.dumps(custom), encoding="utf-8")
    rules = load_predikat_rules(path)
    result = derive_predikat(SkpRow(hasil_kerja=1, perilaku=3), rules)
    assert result.predikat is Predikat.BUTUH_PERBAIKAN
    assert result.rules_version == "2026.1-singkawang"


def _without_cell(data: dict[str, Any]) -> None:
    del data["matrix"]["Sesuai Ekspektasi"]["Di Bawah Ekspektasi"]


def _without_row(data: dict[str, Any]) -> None:
    del data["matrix"]["Di Bawah Ekspektasi"]


def _unknown_predikat(data: dict[str, Any]) -> None:
    data["matrix"]["Sesuai Ekspektasi"]["Sesuai Ekspektasi"] = "Cukup"


def _unknown_rating(data: dict[str, Any]) -> None:
    data["matrix"]["Luar Biasa"] = data["matrix"]["Di Atas Ekspektasi"]


def _weights_not_one(data: dict[str, Any]) -> None:
    data["numeric"]["perilaku_weight"] = "0.5"


def _bands_not_decreasing(data: dict[str, Any]) -> None:
    data["numeric"]["bands"][1]["above"] = "95"


def _last_band_closed(data: dict[str, Any]) -> None:
    data["numeric"]["bands"][-1]["above"] = "0"


def _open_band_in_the_middle(data: dict[str, Any]) -> None:
    data["numeric"]["bands"][2]["above"] = None


def _unknown_numeric_predikat(data: dict[str, Any]) -> None:
    data["numeric"]["bands"][0]["predikat"] = "Istimewa"


def _unknown_field(data: dict[str, Any]) -> None:
    data["matriks"] = {}


def _no_version(data: dict[str, Any]) -> None:
    del data["version"]


@pytest.mark.parametrize(
    "breaks",
    [
        _without_cell,
        _without_row,
        _unknown_predikat,
        _unknown_rating,
        _weights_not_one,
        _bands_not_decreasing,
        _last_band_closed,
        _open_band_in_the_middle,
        _unknown_numeric_predikat,
        _unknown_field,
        _no_version,
    ],
)
def test_a_broken_rules_file_is_refused_at_load(breaks: Any) -> None:
    data = copy.deepcopy(DEFAULT_JSON)
    breaks(data)
    with pytest.raises(DomainError) as info:
        parse_predikat_rules(data)
    assert info.value.error.code == "SKP_RULES_INVALID"
    assert info.value.details


def test_a_rules_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "predikat.json"
    path.write_text("{ matrix: ", encoding="utf-8")
    with pytest.raises(DomainError) as info:
        load_predikat_rules(path)
    assert info.value.error.code == "SKP_RULES_INVALID"


def test_the_missing_cell_is_named_in_the_details() -> None:
    data = copy.deepcopy(DEFAULT_JSON)
    _without_cell(data)
    with pytest.raises(DomainError) as info:
        parse_predikat_rules(data)
    assert "Sesuai Ekspektasi x Di Bawah Ekspektasi" in " ".join(info.value.details)


LABEL_VARIANTS: dict[Rating, list[str | int]] = {
    A: ["Di Atas Ekspektasi", "di atas", "DIATAS EKSPEKTASI", 1, "1"],
    S: ["Sesuai Ekspektasi", "sesuai", " SESUAI ", 2, "2"],
    B: ["Di Bawah Ekspektasi", "di bawah", "Dibawah Ekspektasi", 3, "3"],
}


@given(
    hasil=st.sampled_from(list(Rating)),
    perilaku=st.sampled_from(list(Rating)),
    data=st.data(),
)
def test_any_spelling_of_the_same_ratings_gives_the_same_predikat(
    hasil: Rating, perilaku: Rating, data: st.DataObject
) -> None:
    spelled = SkpRow(
        hasil_kerja=data.draw(st.sampled_from(LABEL_VARIANTS[hasil])),
        perilaku=data.draw(st.sampled_from(LABEL_VARIANTS[perilaku])),
    )
    assert derive_predikat(spelled, RULES).predikat is RULES.matrix[hasil][perilaku]


_ORDER = [
    PredikatPp46.BURUK,
    PredikatPp46.KURANG,
    PredikatPp46.CUKUP,
    PredikatPp46.BAIK,
    PredikatPp46.SANGAT_BAIK,
]
_SCORES = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@given(low=_SCORES, high=_SCORES)
def test_a_higher_numeric_score_never_gives_a_lower_predikat(low: Decimal, high: Decimal) -> None:
    low, high = min(low, high), max(low, high)
    worse = derive_predikat(SkpRow(nilai_prestasi=low), RULES).predikat
    better = derive_predikat(SkpRow(nilai_prestasi=high), RULES).predikat
    assert isinstance(worse, PredikatPp46)
    assert isinstance(better, PredikatPp46)
    assert _ORDER.index(worse) <= _ORDER.index(better)
