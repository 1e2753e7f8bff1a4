from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.domain.errors import CATALOGUE
from bkpsdm.complaints.domain.ikm import (
    SurveyResponse,
    compute_ikm,
    default_rules,
    ikm_by_service_and_period,
    load_rules,
    survey_period,
    validate_answers,
)

RULES = default_rules()
CODES = [e.code for e in RULES.elements]


def response(*answers: int) -> dict[str, object]:
    return dict(zip(CODES, answers, strict=True))


def responses_totalling(respondents: int, total: int) -> list[dict[str, object]]:
    """`respondents` complete responses whose answers add up to `total` (filled left to right)."""
    extra = total - 9 * respondents
    rows = []
    for _ in range(respondents):
        answers = []
        for _ in CODES:
            step = min(3, extra)
            extra -= step
            answers.append(1 + step)
        rows.append(response(*answers))
    assert extra == 0
    return rows


def test_default_rules_hold_the_nine_elements_of_permenpanrb_14_2017() -> None:
    assert CODES == [
        "persyaratan",
        "prosedur",
        "waktu_penyelesaian",
        "biaya_tarif",
        "produk",
        "kompetensi_pelaksana",
        "perilaku_pelaksana",
        "penanganan_pengaduan",
        "sarana_prasarana",
    ]
    assert (RULES.lowest_answer, RULES.highest_answer, RULES.multiplier) == (1, 4, Decimal(25))


def test_ikm_equals_the_hand_computed_example() -> None:
    # elements:   U1 U2 U3 U4 U5 U6 U7 U8 U9
    rows = [
        response(4, 4, 3, 4, 3, 4, 4, 3, 3),
        response(3, 4, 3, 4, 3, 3, 4, 2, 3),
        response(4, 3, 2, 4, 3, 4, 4, 3, 3),
        response(3, 3, 1, 4, 4, 3, 4, 2, 3),
    ]
    # element sums 14 14 9 16 13 14 16 10 12; means (/4):
    # 3.50 3.50 2.25 4.00 3.25 3.50 4.00 2.50 3.00; their sum 29.50
    # IKM = 29.50 / 9 x 25 = 3.2777... x 25 = 81.9444... -> 81.94 -> B (76.61-88.30) Baik
    result = compute_ikm("IP-ASN", "2026-S1", rows, RULES)
    assert result.ikm == Decimal("81.94")
    assert (result.grade, result.grade_label) == ("B", "Baik")
    assert result.respondents == 4
    assert [e.mean for e in result.elements] == [
        Decimal(x) for x in ("3.50", "3.50", "2.25", "4.00", "3.25", "3.50", "4.00", "2.50", "3.00")
    ]
    # element index = mean x 25: U3 56.25 (D), U9 75.00 (C), U4 100.00 (A)
    by_code = {e.code: e for e in result.elements}
    assert (by_code["waktu_penyelesaian"].score, by_code["waktu_penyelesaian"].grade) == (
        Decimal("56.25"),
        "D",
    )
    assert (by_code["sarana_prasarana"].score, by_code["sarana_prasarana"].grade) == (Decimal("75.00"), "C")
    assert (by_code["biaya_tarif"].score, by_code["biaya_tarif"].grade) == (Decimal("100.00"), "A")
    assert result.weakest == ("waktu_penyelesaian",)
    assert result.rule_set_version == RULES.version


def test_tied_weakest_elements_are_all_named() -> None:
    result = compute_ikm("IP-ASN", "2026-S1", [response(4, 2, 4, 4, 4, 4, 4, 2, 4)], RULES)
    assert result.weakest == ("prosedur", "penanganan_pengaduan")


@pytest.mark.parametrize(
    ("score", "grade", "label"),
    [
        ("100.00", "A", "Sangat Baik"),
        ("88.31", "A", "Sangat Baik"),
        ("88.305", "A", "Sangat Baik"),  # half-up to 88.31
        ("88.30", "B", "Baik"),
        ("76.61", "B", "Baik"),
        ("76.60", "C", "Kurang Baik"),
        ("65.00", "C", "Kurang Baik"),
        ("64.995", "C", "Kurang Baik"),  # half-up to 65.00
        ("64.99", "D", "Tidak Baik"),
        ("25.00", "D", "Tidak Baik"),
    ],
)
def test_each_grade_starts_and_ends_where_the_regulation_says(score: str, grade: str, label: str) -> None:
    found = RULES.grade_of(Decimal(score))
    assert (found.grade, found.label) == (grade, label)


@pytest.mark.parametrize("score", ["24.99", "100.01"])
def test_a_score_outside_the_scale_has_no_grade(score: str) -> None:
    with pytest.raises(ValueError, match="outside"):
        RULES.grade_of(Decimal(score))


# With 5000 respondents IKM = 25 x total / 45000 = total / 1800, so a total lands exactly on x.xx5.
@pytest.mark.parametrize(
    ("total", "ikm", "grade"),
    [
        (158949, "88.31", "A"),  # 88.305 exactly
        (158940, "88.30", "B"),
        (137889, "76.61", "B"),  # 76.605 exactly
        (137880, "76.60", "C"),
        (117000, "65.00", "C"),
        (116991, "65.00", "C"),  # 64.995 exactly
        (116982, "64.99", "D"),
        (45000, "25.00", "D"),
    ],
)
def test_ikm_is_rounded_half_up_to_two_decimals_before_grading(total: int, ikm: str, grade: str) -> None:
    result = compute_ikm("IP-ASN", "2026-S2", responses_totalling(5000, total), RULES)
    assert (result.ikm, result.grade) == (Decimal(ikm), grade)


@pytest.mark.parametrize(
    ("answers", "code", "message"),
    [
        (
            {c: 3 for c in CODES[:-1]},
            "IKM_ELEMENT_MISSING",
            "Jawaban untuk unsur Sarana dan Prasarana belum diisi.",
        ),
        (
            response(3, 3, 3, 3, 3, 3, 3, 3, 3) | {"prosedur": None},
            "IKM_ELEMENT_MISSING",
            "Jawaban untuk unsur Sistem, Mekanisme, dan Prosedur belum diisi.",
        ),
        (
            response(0, 3, 3, 3, 3, 3, 3, 3, 3),
            "IKM_ANSWER_OUT_OF_RANGE",
            "Jawaban untuk unsur Persyaratan harus berupa angka bulat 1 sampai 4.",
        ),
        (response(3, 3, 3, 3, 3, 3, 3, 3, 5), "IKM_ANSWER_OUT_OF_RANGE", None),
        (response(3, 3, 3, 3, 3, 3, 3, 3, -1), "IKM_ANSWER_OUT_OF_RANGE", None),
        (response(3, 3, 3, 3, 3, 3, 3, 3, 3) | {"produk": 3.0}, "IKM_ANSWER_OUT_OF_RANGE", None),
        (response(3, 3, 3, 3, 3, 3, 3, 3, 3) | {"produk": "3"}, "IKM_ANSWER_OUT_OF_RANGE", None),
        (response(3, 3, 3, 3, 3, 3, 3, 3, 3) | {"produk": True}, "IKM_ANSWER_OUT_OF_RANGE", None),
        (
            response(3, 3, 3, 3, 3, 3, 3, 3, 3) | {"keramahan": 4},
            "IKM_ELEMENT_UNKNOWN",
            "Unsur keramahan tidak termasuk unsur survei kepuasan masyarakat.",
        ),
    ],
)
def test_an_incomplete_or_out_of_scale_response_is_refused(
    answers: dict[str, object], code: str, message: str | None
) -> None:
    with pytest.raises(DomainError) as refused:
        validate_answers(answers, RULES)
    assert refused.value.error.code == code
    if message is not None:
        assert refused.value.error.message == message


def test_one_bad_response_refuses_the_whole_computation() -> None:
    rows = [response(4, 4, 4, 4, 4, 4, 4, 4, 4), response(4, 4, 4, 4, 4, 4, 4, 4, 9)]
    with pytest.raises(DomainError) as refused:
        compute_ikm("IP-ASN", "2026-S1", rows, RULES)
    assert refused.value.error.code == "IKM_ANSWER_OUT_OF_RANGE"


@pytest.mark.parametrize("period", ["2026-S3", "2026", "2026-s1", "26-S1", "2026-S1 "])
def test_a_period_that_is_not_a_semester_is_refused(period: str) -> None:
    with pytest.raises(DomainError) as refused:
        compute_ikm("IP-ASN", period, [response(4, 4, 4, 4, 4, 4, 4, 4, 4)], RULES)
    assert refused.value.error.code == "IKM_PERIOD_INVALID"
    assert "2026-S1" in refused.value.error.message


def test_no_responses_gives_no_index() -> None:
    with pytest.raises(DomainError) as refused:
        compute_ikm("IP-ASN", "2026-S1", [], RULES)
    assert refused.value.error.code == "IKM_NO_RESPONSES"


def test_every_ikm_code_is_in_the_service_catalogue() -> None:
    assert {"IKM_ELEMENT_MISSING", "IKM_ELEMENT_UNKNOWN", "IKM_ANSWER_OUT_OF_RANGE"} <= {
        s.code for s in CATALOGUE
    }
    assert "IKM_SOMETHING_ELSE" not in CATALOGUE


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2026, 1, 1), "2026-S1"),
        (date(2026, 6, 30), "2026-S1"),
        (date(2026, 7, 1), "2026-S2"),
        (date(2026, 12, 31), "2026-S2"),
    ],
)
def test_the_survey_period_is_the_semester_of_the_day(day: date, period: str) -> None:
    assert survey_period(day) == period


def test_results_are_kept_apart_per_service_and_period() -> None:
    responses = [
        SurveyResponse("IP-ASN", "2026-S1", response(4, 4, 4, 4, 4, 4, 4, 4, 4)),
        SurveyResponse("IP-ASN", "2026-S2", response(2, 2, 2, 2, 2, 2, 2, 2, 2)),
        SurveyResponse("E-LAPKIN", "2026-S1", response(3, 3, 3, 3, 3, 3, 3, 3, 3)),
        SurveyResponse("IP-ASN", "2026-S1", response(3, 3, 3, 3, 3, 3, 3, 3, 3)),
    ]
    results = ikm_by_service_and_period(responses, RULES)
    assert [(r.service_code, r.period, r.respondents, r.ikm) for r in results] == [
        ("E-LAPKIN", "2026-S1", 1, Decimal("75.00")),
        ("IP-ASN", "2026-S1", 2, Decimal("87.50")),
        ("IP-ASN", "2026-S2", 1, Decimal("50.00")),
    ]


def _doc() -> dict[str, Any]:
    return json.loads(RULES.model_dump_json())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("grades", 1, "max_score"), "88.29", "grade B"),  # gap between A and B
        (("grades", 1, "max_score"), "88.31", "grade B"),  # overlap
        (("grades", 3, "min_score"), "30.00", "last grade"),
        (("grades", 0, "min_score"), "88.305", "decimal"),
        (("elements", 1, "code"), "persyaratan", "unique"),
        (("highest_answer",), 1, "highest_answer"),
        (("version",), "", "version"),
    ],
)
def test_an_inconsistent_rules_file_is_refused_when_loaded(
    path: tuple[str | int, ...], value: object, problem: str
) -> None:
    doc = _doc()
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError, match=problem):
        load_rules(json.dumps(doc))


def test_an_agency_can_load_its_own_version_of_the_rules() -> None:
    doc = _doc()
    doc["version"] = "permenpanrb-14-2017/singkawang/2027.1"
    rules = load_rules(json.dumps(doc))
    result = compute_ikm("IP-ASN", "2027-S1", [response(4, 4, 4, 4, 4, 4, 4, 4, 4)], rules)
    assert result.rule_set_version == "permenpanrb-14-2017/singkawang/2027.1"


answer_rows = st.lists(
    st.lists(st.integers(min_value=1, max_value=4), min_size=9, max_size=9), min_size=1, max_size=40
)


@given(rows=answer_rows)
def test_ikm_stays_within_25_and_100_for_valid_answers(rows: list[list[int]]) -> None:
    result = compute_ikm("IP-ASN", "2026-S1", [response(*r) for r in rows], RULES)
    assert Decimal(25) <= result.ikm <= Decimal(100)
    assert result.ikm == result.ikm.quantize(Decimal("0.01"))
    weakest_mean = min(e.mean for e in result.elements)
    assert all(e.mean == weakest_mean for e in result.elements if e.code in result.weakest)


@given(answer=st.integers(min_value=1, max_value=4), respondents=st.integers(min_value=1, max_value=20))
def test_unanimous_answers_give_that_answer_times_25(answer: int, respondents: int) -> None:
    rows = [response(*[answer] * 9)] * respondents
    assert compute_ikm("IP-ASN", "2026-S1", rows, RULES).ikm == Decimal(answer * 25)
