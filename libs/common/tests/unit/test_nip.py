from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.common.nip import (
    MESSAGES,
    Gender,
    InvalidNip,
    NipKind,
    check_birth_date,
    mask_nip,
    parse_nip,
)

VALID = "198609262015051001"


def codes(text: str, kind: NipKind = NipKind.PNS) -> list[str]:
    with pytest.raises(InvalidNip) as info:
        parse_nip(text, kind)
    return [p.code for p in info.value.problems]


def test_a_valid_nip_yields_its_parts() -> None:
    nip = parse_nip(VALID)
    assert nip.value == VALID
    assert nip.kind is NipKind.PNS
    assert nip.birth_date == date(1986, 9, 26)
    assert (nip.appointed_year, nip.appointed_month) == (2015, 5)
    assert nip.gender is Gender.MALE
    assert nip.serial == 1
    assert not nip.appointed_under_18


def test_spaces_as_nips_are_printed_are_ignored() -> None:
    assert parse_nip(" 19860926 201505 2 001 ").value == "198609262015052001"
    assert parse_nip("19860926 201505 2 001").gender is Gender.FEMALE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["NIP_LENGTH", "NIP_NOT_NUMERIC"]),
        ("19860926201505100", ["NIP_LENGTH"]),
        ("1986092620150510011", ["NIP_LENGTH"]),
        ("19860926201505100A", ["NIP_NOT_NUMERIC"]),
        ("1986-09-26-201505-1-001", ["NIP_LENGTH", "NIP_NOT_NUMERIC"]),
        ("١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١", ["NIP_NOT_NUMERIC"]),  # Arabic-Indic digits are not NIP digits
        ("198602302015051001", ["NIP_BIRTH_DATE_INVALID"]),  # 30 February
        ("198613012015051001", ["NIP_BIRTH_DATE_INVALID"]),  # month 13
        ("198609002015051001", ["NIP_BIRTH_DATE_INVALID"]),  # day 0
        ("210001012120011001", ["NIP_BIRTH_DATE_INVALID", "NIP_TMT_INVALID"]),  # years past 2099
        ("000009262015051001", ["NIP_BIRTH_DATE_INVALID"]),  # year 0
        ("185609262015051001", ["NIP_BIRTH_DATE_INVALID"]),  # before 1900
        ("198609262015001001", ["NIP_TMT_INVALID"]),  # TMT month 00
        ("198609262015131001", ["NIP_TMT_INVALID"]),
        ("198609262015211001", ["NIP_TMT_INVALID"]),  # a PPPK number read as PNS
        ("198609260015051001", ["NIP_TMT_INVALID"]),
        ("198609261985051001", ["NIP_TMT_BEFORE_BIRTH"]),
        ("198609261986081001", ["NIP_TMT_BEFORE_BIRTH"]),
        ("198609262015050001", ["NIP_GENDER_INVALID"]),
        ("198609262015053001", ["NIP_GENDER_INVALID"]),
        ("198609262015051000", ["NIP_SERIAL_INVALID"]),
        (
            "198613002015009000",
            ["NIP_BIRTH_DATE_INVALID", "NIP_TMT_INVALID", "NIP_GENDER_INVALID", "NIP_SERIAL_INVALID"],
        ),
    ],
)
def test_a_malformed_nip_is_refused_with_every_problem(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


def test_the_exception_code_is_the_first_problem_and_messages_are_indonesian() -> None:
    with pytest.raises(InvalidNip) as info:
        parse_nip("198609262015050000")
    assert info.value.code == "NIP_GENDER_INVALID"
    assert info.value.problems[0].message == MESSAGES["NIP_GENDER_INVALID"]
    assert "jenis kelamin" in info.value.problems[0].message


def test_every_message_is_a_sentence() -> None:
    for code, message in MESSAGES.items():
        assert code.startswith("NIP_")
        assert code.isupper()
        assert message.endswith(".")


def test_the_same_birth_month_as_tmt_is_accepted() -> None:
    assert parse_nip("198609261986091001").appointed_month == 9


def test_a_tmt_before_the_18th_birthday_is_accepted_and_flagged() -> None:
    nip = parse_nip("197001011985031001")  # appointed at 15, as some converted NIPs read
    assert nip.appointed_under_18
    assert not parse_nip("197001011988011001").appointed_under_18


@pytest.mark.parametrize(
    ("text", "year"),
    [("199001012022212001", 2022), ("199009132025242014", 2025), ("199001012022002001", 2022)],
)
def test_a_pppk_number_is_its_own_kind_and_its_code_is_not_a_month(text: str, year: int) -> None:
    nip = parse_nip(text, NipKind.PPPK)
    assert nip.kind is NipKind.PPPK
    assert (nip.appointed_year, nip.appointed_month) == (year, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19900101202221200", ["NIP_LENGTH"]),
        ("199001310022212001", ["NIP_APPOINTMENT_YEAR_INVALID"]),
        ("199002302022212001", ["NIP_BIRTH_DATE_INVALID"]),
        ("199001011989212001", ["NIP_TMT_BEFORE_BIRTH"]),
        ("199001012022213001", ["NIP_GENDER_INVALID"]),
        ("199001012022212000", ["NIP_SERIAL_INVALID"]),
    ],
)
def test_a_pppk_number_keeps_the_structural_checks_that_apply(text: str, expected: list[str]) -> None:
    assert codes(text, NipKind.PPPK) == expected


def test_a_pppk_appointed_in_the_birth_year_is_not_refused_for_its_unknown_month() -> None:
    assert parse_nip("199006152007212001", NipKind.PPPK).appointed_under_18
    assert not parse_nip("199006152008212001", NipKind.PPPK).appointed_under_18
    assert parse_nip("199006151990212001", NipKind.PPPK).appointed_year == 1990


def test_a_different_stated_birth_date_is_a_warning_only() -> None:
    nip = parse_nip(VALID)
    assert check_birth_date(nip, date(1986, 9, 26)) is None
    warning = check_birth_date(nip, date(1986, 9, 27))
    assert warning is not None
    assert warning.code == "NIP_BIRTH_DATE_MISMATCH"
    assert warning.message == MESSAGES["NIP_BIRTH_DATE_MISMATCH"]


@pytest.mark.parametrize(
    ("value", "masked"),
    [(VALID, "**************1001"), ("12345", "*2345"), ("1234", "****"), ("", "")],
)
def test_masking_keeps_only_the_last_four_characters(value: str, masked: str) -> None:
    assert mask_nip(value) == masked


def test_a_parsed_nip_masks_itself() -> None:
    assert parse_nip(VALID).masked == "**************1001"
    assert mask_nip(parse_nip(VALID)) == "**************1001"


@st.composite
def valid_nips(draw: st.DrawFn) -> tuple[str, date, int, int, str, int]:
    born = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(2006, 12, 31)))
    year = draw(st.integers(min_value=born.year, max_value=2040))
    month = draw(st.integers(min_value=born.month if year == born.year else 1, max_value=12))
    gender = draw(st.sampled_from("12"))
    serial = draw(st.integers(min_value=1, max_value=999))
    text = f"{born:%Y%m%d}{year:04d}{month:02d}{gender}{serial:03d}"
    return text, born, year, month, gender, serial


@given(valid_nips())
def test_every_well_formed_nip_parses_to_its_parts(case: tuple[str, date, int, int, str, int]) -> None:
    text, born, year, month, gender, serial = case
    nip = parse_nip(text)
    assert nip.value == text
    assert nip.birth_date == born
    assert (nip.appointed_year, nip.appointed_month) == (year, month)
    assert nip.gender is (Gender.MALE if gender == "1" else Gender.FEMALE)
    assert nip.serial == serial


@given(valid_nips(), st.sampled_from("03456789"))
def test_any_other_gender_digit_is_refused(case: tuple[str, date, int, int, str, int], digit: str) -> None:
    text = case[0]
    assert codes(text[:14] + digit + text[15:]) == ["NIP_GENDER_INVALID"]


@given(
    valid_nips(),
    st.integers(min_value=0, max_value=17),
    st.characters().filter(lambda c: c not in "0123456789"),
)
def test_any_non_ascii_digit_in_place_of_a_digit_is_refused(
    case: tuple[str, date, int, int, str, int], position: int, char: str
) -> None:
    text = case[0]
    corrupted = text[:position] + char + text[position + 1 :]
    with pytest.raises(InvalidNip):
        parse_nip(corrupted)
