from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

import pytest

from bkpsdm.intake.domain.recap import (
    DEFAULT_RULES,
    MESSAGES,
    PREDIKAT_MATRIX,
    Cell,
    RecapKind,
    RecapRules,
    RecapSheet,
    RecapValidation,
    check_already_accepted,
    validate_recap,
)

NIP_A = "198609262015051001"
NIP_B = "199001012019032002"
NIP_C = "197512312000121003"

ELAPKIN_HEADER = ("No", "NIP", "Nama", "Unit Kerja", "Periode", "Hasil Kerja", "Perilaku Kerja", "Predikat")
ELAPKIN_ROW: Mapping[str, Cell] = {
    "No": "1",
    "NIP": NIP_A,
    "Nama": "Budi Santoso",
    "Unit Kerja": "Dinas Kesehatan",
    "Periode": "2025",
    "Hasil Kerja": "2",
    "Perilaku Kerja": "2",
    "Predikat": None,
}
SCORES_HEADER = (
    "NIP",
    "Nama",
    "Unit Kerja",
    "Periode",
    "Nilai SKP",
    "Nilai Perilaku",
    "Nilai Prestasi Kerja",
)
SCORES_ROW: Mapping[str, Cell] = {
    "NIP": NIP_A,
    "Nama": "Budi Santoso",
    "Unit Kerja": "Dinas Kesehatan",
    "Periode": "2021",
    "Nilai SKP": "85",
    "Nilai Perilaku": "90",
    "Nilai Prestasi Kerja": "87",
}
IPASN_HEADER = (
    "NIP",
    "Nama",
    "Unit Kerja",
    "Periode",
    "Pendidikan",
    "Jenis Jabatan",
    "Nama Jabatan",
    "Eselon",
    "Diklat Kepemimpinan",
    "Diklat Fungsional",
    "JP Pelatihan Teknis",
    "Seminar/Workshop",
    "Nilai SKP",
    "Predikat SKP",
    "Hukuman Disiplin",
)
IPASN_ROW: Mapping[str, Cell] = {
    "NIP": NIP_A,
    "Nama": "Budi Santoso",
    "Unit Kerja": "Dinas Kesehatan",
    "Periode": "2025",
    "Pendidikan": "40",
    "Jenis Jabatan": "Struktural",
    "Nama Jabatan": "Kepala Seksi Pelayanan",
    "Eselon": "IV.a",
    "Diklat Kepemimpinan": "PIM IV",
    "Diklat Fungsional": None,
    "JP Pelatihan Teknis": "24",
    "Seminar/Workshop": "Ya",
    "Nilai SKP": "88",
    "Predikat SKP": None,
    "Hukuman Disiplin": "Tidak Ada",
}


def sheet(header: Sequence[str], rows: Sequence[Mapping[str, Cell]]) -> RecapSheet:
    return RecapSheet(header, [(n, [row.get(h) for h in header]) for n, row in enumerate(rows, start=2)])


def found(validation: RecapValidation) -> list[tuple[int | None, str | None, str]]:
    return [(e.row, e.column, e.code) for e in validation.errors]


def elapkin(**changes: Cell) -> RecapValidation:
    row = dict(ELAPKIN_ROW) | {k.replace("_", " "): v for k, v in changes.items()}
    return validate_recap(RecapKind.E_LAPKIN, sheet(ELAPKIN_HEADER, [row]))


def ipasn(**changes: Cell) -> RecapValidation:
    row = dict(IPASN_ROW) | changes
    return validate_recap(RecapKind.IP_ASN, sheet(IPASN_HEADER, [row]))


# ---- E-LAPKIN rows ----


def test_a_clean_elapkin_row_passes_with_normalised_values() -> None:
    validation = elapkin()
    assert validation.ok
    assert validation.period == "2025"
    assert validation.rules_version == DEFAULT_RULES.version
    (record,) = validation.records
    assert record.row == 2
    assert record.valid
    assert dict(record.values) == {
        "nip": NIP_A,
        "nama": "Budi Santoso",
        "unit_kerja": "Dinas Kesehatan",
        "periode": "2025",
        "hasil_kerja": 2,
        "perilaku": 2,
        "predikat": 2,
    }


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("NIP", None, "RECAP_VALUE_REQUIRED"),
        ("NIP", "   ", "RECAP_VALUE_REQUIRED"),
        ("NIP", "19860926201505100", "NIP_LENGTH"),
        ("NIP", "19860926201505100X", "NIP_NOT_NUMERIC"),
        ("NIP", "198602302015051001", "NIP_BIRTH_DATE_INVALID"),
        ("NIP", "198609262015131001", "NIP_TMT_INVALID"),
        ("NIP", "198609262015053001", "NIP_GENDER_INVALID"),
        ("NIP", "198609262015051000", "NIP_SERIAL_INVALID"),
        ("NIP", 198609262015051001, "RECAP_NIP_NOT_TEXT"),
        ("NIP", 1.98609262015051e17, "RECAP_NIP_NOT_TEXT"),
        ("NIP", "1,98609E+17", "RECAP_NIP_NOT_TEXT"),
        ("Nama", None, "RECAP_VALUE_REQUIRED"),
        ("Nama", "x" * 201, "RECAP_TEXT_TOO_LONG"),
        ("Unit Kerja", "", "RECAP_VALUE_REQUIRED"),
        ("Periode", None, "RECAP_VALUE_REQUIRED"),
        ("Periode", "2025-13", "RECAP_PERIOD_INVALID"),
        ("Periode", "Januari 2025", "RECAP_PERIOD_INVALID"),
        ("Periode", "1999", "RECAP_PERIOD_INVALID"),
        ("Periode", 25, "RECAP_PERIOD_INVALID"),
        ("Hasil Kerja", "4", "RECAP_RATING_INVALID"),
        ("Hasil Kerja", 0, "RECAP_RATING_INVALID"),
        ("Hasil Kerja", "Luar Biasa", "RECAP_RATING_INVALID"),
        ("Hasil Kerja", 1.5, "RECAP_RATING_INVALID"),
        ("Hasil Kerja", True, "RECAP_RATING_INVALID"),
        ("Perilaku Kerja", None, "RECAP_VALUE_REQUIRED"),
        ("Perilaku Kerja", "Cukup", "RECAP_RATING_INVALID"),
        ("Predikat", "6", "RECAP_PREDIKAT_INVALID"),
        ("Predikat", "Cukup", "RECAP_PREDIKAT_INVALID"),
        ("Predikat", "Sangat Baik", "RECAP_PREDIKAT_MISMATCH"),
        ("Predikat", 1, "RECAP_PREDIKAT_MISMATCH"),
    ],
)
def test_each_elapkin_cell_error_names_row_column_and_code(column: str, value: Cell, code: str) -> None:
    validation = elapkin(**{column.replace(" ", "_"): value})
    assert found(validation) == [(2, column, code)]
    assert validation.errors[0].message
    assert not validation.records[0].valid


def test_two_blank_ratings_without_scores_say_the_assessment_is_missing() -> None:
    validation = elapkin(Hasil_Kerja=None, Perilaku_Kerja=None)
    assert found(validation) == [(2, "Hasil Kerja", "RECAP_SKP_MISSING")]


def test_a_hasil_kerja_left_blank_beside_a_perilaku_is_required() -> None:
    assert found(elapkin(Hasil_Kerja=None)) == [(2, "Hasil Kerja", "RECAP_VALUE_REQUIRED")]


@pytest.mark.parametrize(("pair", "predikat"), sorted(PREDIKAT_MATRIX.items()))
def test_predikat_follows_the_permenpanrb_6_2022_table(pair: tuple[int, int], predikat: int) -> None:
    validation = elapkin(Hasil_Kerja=str(pair[0]), Perilaku_Kerja=str(pair[1]), Predikat=str(predikat))
    assert validation.ok
    assert validation.records[0].values["predikat"] == predikat


def test_di_atas_with_di_bawah_is_kurang_not_the_better_rating() -> None:
    validation = elapkin(Hasil_Kerja="1", Perilaku_Kerja="3", Predikat="Baik")
    assert found(validation) == [(2, "Predikat", "RECAP_PREDIKAT_MISMATCH")]
    assert validation.errors[0].message.endswith("predikatnya 4 (Kurang).")


@pytest.mark.parametrize(
    ("hasil", "perilaku", "predikat", "codes"),
    [
        ("Di Atas Ekspektasi", "sesuai ekspektasi", "baik", (1, 2, 2)),
        ("DI BAWAH", "Di_Atas", "Butuh Perbaikan", (3, 1, 3)),
        (1.0, 3, "Kurang (misconduct)", (1, 3, 4)),
        ("3", "3", "SANGAT KURANG", (3, 3, 5)),
    ],
)
def test_ratings_and_predikat_accept_siasn_codes_and_labels(
    hasil: Cell, perilaku: Cell, predikat: Cell, codes: tuple[int, int, int]
) -> None:
    validation = elapkin(Hasil_Kerja=hasil, Perilaku_Kerja=perilaku, Predikat=predikat)
    assert validation.ok, found(validation)
    values = validation.records[0].values
    assert (values["hasil_kerja"], values["perilaku"], values["predikat"]) == codes


@pytest.mark.parametrize(
    ("period", "normalised"),
    [("2025", "2025"), (2025, "2025"), (2025.0, "2025"), ("2025-01", "2025-01"), ("3/2025", "2025-03"),
     (date(2025, 6, 1), "2025-06"), (datetime(2025, 12, 31, 0, 0), "2025-12")],
)  # fmt: skip
def test_an_elapkin_period_is_a_year_or_a_month(period: Cell, normalised: str) -> None:
    validation = elapkin(Periode=period)
    assert validation.ok
    assert validation.period == normalised


def test_an_nip_written_with_spaces_is_read_as_its_digits() -> None:
    validation = elapkin(NIP="19860926 201505 1 001")
    assert validation.ok
    assert validation.records[0].values["nip"] == NIP_A


def test_several_problems_in_one_row_are_all_reported_left_to_right() -> None:
    validation = elapkin(NIP="198609262015053000", Nama=None, Periode="2025-13", Hasil_Kerja="9")
    assert found(validation) == [
        (2, "NIP", "NIP_GENDER_INVALID"),
        (2, "NIP", "NIP_SERIAL_INVALID"),
        (2, "Nama", "RECAP_VALUE_REQUIRED"),
        (2, "Periode", "RECAP_PERIOD_INVALID"),
        (2, "Hasil Kerja", "RECAP_RATING_INVALID"),
    ]


# ---- PPPK and birth dates ----


def test_a_pppk_row_checks_its_number_as_a_pppk_number() -> None:
    header = (*ELAPKIN_HEADER, "Jenis ASN")
    pppk = dict(ELAPKIN_ROW) | {"NIP": "199001012022212001", "Jenis ASN": "PPPK"}
    as_pns = dict(ELAPKIN_ROW) | {"NIP": "199001012022212002", "Jenis ASN": "PNS"}
    unknown = dict(ELAPKIN_ROW) | {"NIP": NIP_B, "Jenis ASN": "Honorer"}
    validation = validate_recap(RecapKind.E_LAPKIN, sheet(header, [pppk, as_pns, unknown]))
    assert found(validation) == [
        (3, "NIP", "NIP_TMT_INVALID"),
        (4, "Jenis ASN", "RECAP_EMPLOYEE_TYPE_INVALID"),
    ]
    assert validation.records[0].values["jenis_asn"] == "PPPK"


def test_a_stated_birth_date_that_differs_from_the_nip_is_a_warning_not_an_error() -> None:
    header = (*ELAPKIN_HEADER, "Tgl Lahir")
    rows = [
        dict(ELAPKIN_ROW) | {"Tgl Lahir": "1986-09-27"},
        dict(ELAPKIN_ROW) | {"NIP": NIP_B, "Tgl Lahir": "01-01-1990"},
        dict(ELAPKIN_ROW) | {"NIP": NIP_C, "Tgl Lahir": date(1975, 12, 31)},
        dict(ELAPKIN_ROW) | {"NIP": "198001012001011001", "Tgl Lahir": "31/02/1980"},
    ]
    validation = validate_recap(RecapKind.E_LAPKIN, sheet(header, rows))
    assert found(validation) == [(5, "Tgl Lahir", "RECAP_DATE_INVALID")]
    assert [(w.row, w.column, w.code) for w in validation.warnings] == [
        (2, "Tgl Lahir", "NIP_BIRTH_DATE_MISMATCH")
    ]
    assert validation.records[0].valid


def test_a_tmt_before_the_18th_birthday_is_accepted_with_a_warning() -> None:
    validation = elapkin(NIP="197001011985031001")
    assert validation.ok
    assert [(w.row, w.column, w.code) for w in validation.warnings] == [(2, "NIP", "NIP_TMT_UNDER_18")]


# ---- older numeric scores (PP 46/2011) ----


def scores(**changes: Cell) -> RecapValidation:
    row = dict(SCORES_ROW) | {k.replace("_", " "): v for k, v in changes.items()}
    return validate_recap(RecapKind.E_LAPKIN, sheet(SCORES_HEADER, [row]))


@pytest.mark.parametrize(
    ("skp", "perilaku", "prestasi", "final"),
    [("85", "90", "87", 87), ("85,5", "90", None, 87.3), (85.5, 90, "87,30", 87.3), (None, None, "88", 88), ("100", "100", "100", 100)],
)  # fmt: skip
def test_older_numeric_scores_are_accepted(skp: Cell, perilaku: Cell, prestasi: Cell, final: float) -> None:
    validation = scores(Nilai_SKP=skp, Nilai_Perilaku=perilaku, Nilai_Prestasi_Kerja=prestasi)
    assert validation.ok, found(validation)
    assert validation.records[0].values["nilai_prestasi"] == final


@pytest.mark.parametrize(
    ("skp", "perilaku", "prestasi", "expected"),
    [
        ("101", "90", "87", [(2, "Nilai SKP", "RECAP_SCORE_INVALID")]),
        ("-1", "90", None, [(2, "Nilai SKP", "RECAP_SCORE_INVALID")]),
        ("85", "sembilan puluh", None, [(2, "Nilai Perilaku", "RECAP_SCORE_INVALID")]),
        ("85", None, None, [(2, "Nilai Perilaku", "RECAP_VALUE_REQUIRED")]),
        ("85", "90", "80", [(2, "Nilai Prestasi Kerja", "RECAP_SCORE_INCONSISTENT")]),
        (None, None, None, [(2, "Nilai Prestasi Kerja", "RECAP_SKP_MISSING")]),
    ],
)
def test_each_numeric_score_error(
    skp: Cell, perilaku: Cell, prestasi: Cell, expected: list[tuple[int, str, str]]
) -> None:
    assert found(scores(Nilai_SKP=skp, Nilai_Perilaku=perilaku, Nilai_Prestasi_Kerja=prestasi)) == expected


def test_an_inconsistent_score_says_what_the_weighting_gives() -> None:
    (error,) = scores(Nilai_SKP="85,5", Nilai_Perilaku="90", Nilai_Prestasi_Kerja="80").errors
    assert error.message.endswith("(87,3).")


# ---- IP-ASN rows ----


def test_a_clean_ipasn_row_passes_with_normalised_values() -> None:
    validation = ipasn()
    assert validation.ok, found(validation)
    values = validation.records[0].values
    assert values["pendidikan"] == "40"
    assert values["jenis_jabatan"] == "struktural"
    assert values["eselon"] == "IV.a"
    assert values["diklat_kepemimpinan"] == "IV"
    assert values["jp_pelatihan_teknis"] == 24
    assert values["seminar_workshop"] is True
    assert values["nilai_skp"] == 88
    assert values["hukuman_disiplin"] == "tidak ada"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"Periode": "2025-01"}, [("Periode", "RECAP_PERIOD_INVALID")]),
        ({"Periode": date(2025, 1, 1)}, [("Periode", "RECAP_PERIOD_INVALID")]),
        ({"Pendidikan": "41"}, [("Pendidikan", "RECAP_EDUCATION_INVALID")]),
        ({"Pendidikan": "Sarjana Hukum"}, [("Pendidikan", "RECAP_EDUCATION_INVALID")]),
        ({"Pendidikan": None}, [("Pendidikan", "RECAP_VALUE_REQUIRED")]),
        ({"Jenis Jabatan": "Kontrak"}, [("Jenis Jabatan", "RECAP_POSITION_TYPE_INVALID")]),
        ({"Nama Jabatan": None}, [("Nama Jabatan", "RECAP_VALUE_REQUIRED")]),
        ({"Eselon": None}, [("Eselon", "RECAP_VALUE_REQUIRED")]),
        ({"Eselon": "VI.a"}, [("Eselon", "RECAP_ECHELON_INVALID")]),
        ({"Eselon": "V.a"}, [("Eselon", "RECAP_ECHELON_INVALID")]),  # the IP-ASN rules know I to IV
        ({"Eselon": "IV"}, [("Eselon", "RECAP_ECHELON_INVALID")]),
        ({"Diklat Kepemimpinan": None}, [("Diklat Kepemimpinan", "RECAP_VALUE_REQUIRED")]),
        ({"Diklat Kepemimpinan": "PIM V"}, [("Diklat Kepemimpinan", "RECAP_LEADERSHIP_TRAINING_INVALID")]),
        (
            {"Diklat Kepemimpinan": "Diklat Prajabatan"},
            [("Diklat Kepemimpinan", "RECAP_LEADERSHIP_TRAINING_INVALID")],
        ),
        ({"Jenis Jabatan": "Pelaksana"}, [("Eselon", "RECAP_ECHELON_NOT_APPLICABLE")]),
        ({"Jenis Jabatan": "JFT", "Eselon": None}, [("Diklat Fungsional", "RECAP_VALUE_REQUIRED")]),
        ({"Diklat Fungsional": "Mungkin"}, [("Diklat Fungsional", "RECAP_YES_NO_INVALID")]),
        ({"JP Pelatihan Teknis": None}, [("JP Pelatihan Teknis", "RECAP_VALUE_REQUIRED")]),
        ({"JP Pelatihan Teknis": "-5"}, [("JP Pelatihan Teknis", "RECAP_TRAINING_HOURS_INVALID")]),
        ({"JP Pelatihan Teknis": 2001}, [("JP Pelatihan Teknis", "RECAP_TRAINING_HOURS_INVALID")]),
        ({"JP Pelatihan Teknis": "dua puluh"}, [("JP Pelatihan Teknis", "RECAP_TRAINING_HOURS_INVALID")]),
        ({"Seminar/Workshop": None}, [("Seminar/Workshop", "RECAP_VALUE_REQUIRED")]),
        ({"Seminar/Workshop": "3 kali"}, [("Seminar/Workshop", "RECAP_YES_NO_INVALID")]),
        ({"Nilai SKP": None}, [("Nilai SKP", "RECAP_SKP_MISSING")]),
        ({"Nilai SKP": "110"}, [("Nilai SKP", "RECAP_SCORE_INVALID")]),
        ({"Nilai SKP": None, "Predikat SKP": "Cukup"}, [("Predikat SKP", "RECAP_PREDIKAT_INVALID")]),
        ({"Hukuman Disiplin": None}, [("Hukuman Disiplin", "RECAP_VALUE_REQUIRED")]),
        ({"Hukuman Disiplin": "Pemberhentian"}, [("Hukuman Disiplin", "RECAP_SANCTION_INVALID")]),
        ({"Hukuman Disiplin": "ringan dan berat"}, [("Hukuman Disiplin", "RECAP_SANCTION_INVALID")]),
    ],
)
def test_each_ipasn_cell_error_names_row_column_and_code(
    changes: dict[str, Cell], expected: list[tuple[str, str]]
) -> None:
    assert found(ipasn(**changes)) == [(2, column, code) for column, code in expected]


@pytest.mark.parametrize(
    ("changes", "key", "value"),
    [
        ({"Pendidikan": "S-1"}, "pendidikan", "40"),
        ({"Pendidikan": "D-III"}, "pendidikan", "30"),
        ({"Pendidikan": "d iv"}, "pendidikan", "35"),
        ({"Pendidikan": 5}, "pendidikan", "05"),
        ({"Pendidikan": "SMA"}, "pendidikan", "15"),
        ({"Pendidikan": 50.0}, "pendidikan", "50"),
        ({"Eselon": "iii/b"}, "eselon", "III.b"),
        ({"Eselon": "Eselon II.a"}, "eselon", "II.a"),
        ({"Eselon": "4a"}, "eselon", "IV.a"),
        ({"Diklat Kepemimpinan": "Diklatpim Tk. III"}, "diklat_kepemimpinan", "III"),
        ({"Diklat Kepemimpinan": "PKA"}, "diklat_kepemimpinan", "III"),
        ({"Diklat Kepemimpinan": "Pelatihan Kepemimpinan Pengawas"}, "diklat_kepemimpinan", "IV"),
        ({"Diklat Kepemimpinan": "PKN Tingkat II"}, "diklat_kepemimpinan", "II"),
        ({"Diklat Kepemimpinan": "Pelatihan Kepemimpinan Nasional Tingkat I"}, "diklat_kepemimpinan", "I"),
        ({"Diklat Kepemimpinan": "Belum"}, "diklat_kepemimpinan", "tidak"),
        ({"Jenis Jabatan": "JFU", "Eselon": None}, "jenis_jabatan", "pelaksana"),
        (
            {"Jenis Jabatan": "Fungsional", "Eselon": None, "Diklat Fungsional": "Sudah"},
            "diklat_fungsional",
            True,
        ),
        ({"Seminar/Workshop": "Tidak"}, "seminar_workshop", False),
        ({"Seminar/Workshop": True}, "seminar_workshop", True),
        ({"JP Pelatihan Teknis": "20,5"}, "jp_pelatihan_teknis", 20.5),
        ({"JP Pelatihan Teknis": 0}, "jp_pelatihan_teknis", 0),
        ({"Nilai SKP": None, "Predikat SKP": "Baik"}, "predikat_skp", 2),
        ({"Hukuman Disiplin": "Hukuman Disiplin Sedang"}, "hukuman_disiplin", "sedang"),
        ({"Hukuman Disiplin": "-"}, "hukuman_disiplin", "tidak ada"),
        ({"Hukuman Disiplin": "BERAT"}, "hukuman_disiplin", "berat"),
    ],
)
def test_ipasn_values_accept_the_ways_units_write_them(
    changes: dict[str, Cell], key: str, value: Cell
) -> None:
    validation = ipasn(**changes)
    assert validation.ok, found(validation)
    assert validation.records[0].values[key] == value


@pytest.mark.parametrize("code", ["42", "47", "49", "Profesi", "Sp-1"])
def test_unsettled_education_codes_are_accepted_and_flagged_for_review(code: str) -> None:
    validation = ipasn(Pendidikan=code)
    assert validation.ok
    assert [(w.row, w.column, w.code) for w in validation.warnings] == [
        (2, "Pendidikan", "RECAP_EDUCATION_REVIEW")
    ]


# ---- header ----


def test_headers_match_through_aliases_case_spaces_and_punctuation() -> None:
    header = (
        "NO.",
        "nip baru",
        "NAMA PEGAWAI",
        " unit_kerja ",
        "Tahun",
        "rating hasil kerja",
        "Perilaku",
        "KUADRAN",
        "Keterangan",
    )
    row = dict(zip(header, ("1", NIP_A, "Budi", "Dinkes", "2025", "1", "1", "1", "pindahan"), strict=True))
    validation = validate_recap("E-LAPKIN", sheet(header, [row]))
    assert validation.ok, found(validation)
    assert validation.columns["unit_kerja"] == "unit_kerja"
    assert validation.columns["predikat"] == "KUADRAN"
    assert validation.records[0].values["predikat"] == 1


def test_a_wrong_header_is_one_error_naming_missing_unknown_and_repeated_columns() -> None:
    header = ("NIP", "Nama", "Golongan", "NIP Baru", "Hasil Kerja", "Perilaku Kerja")
    rows = [{"NIP": "bukan nip", "Nama": None}]
    validation = validate_recap("E-LAPKIN", sheet(header, rows))
    assert found(validation) == [(1, None, "RECAP_HEADER_INVALID")]
    text = validation.errors[0].message
    assert "Kolom wajib yang tidak ada: Unit Kerja, Periode." in text
    assert "Kolom tidak dikenal: Golongan." in text
    assert "Kolom ganda: NIP Baru." in text
    assert validation.records == ()


def test_an_elapkin_header_without_any_assessment_columns_is_refused() -> None:
    validation = validate_recap("E-LAPKIN", sheet(("NIP", "Nama", "Unit Kerja", "Periode", "Predikat"), []))
    assert found(validation) == [(1, None, "RECAP_HEADER_INVALID")]
    assert "Kolom penilaian kinerja tidak ada" in validation.errors[0].message


def test_an_ipasn_header_needs_last_years_score_or_predikat() -> None:
    header = tuple(h for h in IPASN_HEADER if h not in ("Nilai SKP", "Predikat SKP"))
    validation = validate_recap("IP-ASN", sheet(header, [IPASN_ROW]))
    assert found(validation) == [(1, None, "RECAP_HEADER_INVALID")]
    assert "Nilai SKP atau Predikat SKP" in validation.errors[0].message


def test_the_header_row_number_is_the_files() -> None:
    validation = validate_recap("E-LAPKIN", RecapSheet(("NIP",), [], header_row=3))
    assert found(validation) == [(3, None, "RECAP_HEADER_INVALID")]


# ---- rows as a whole ----


def test_a_recap_with_only_a_header_has_no_rows() -> None:
    assert found(validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, []))) == [(None, None, "RECAP_NO_ROWS")]


def test_blank_rows_and_template_rows_with_only_a_number_are_skipped() -> None:
    rows: list[Mapping[str, Cell]] = [ELAPKIN_ROW, {"No": "2"}, {"NIP": "  "}, {}]
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, rows))
    assert validation.ok
    assert [r.row for r in validation.records] == [2]
    assert found(validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, [{"No": "1"}]))) == [
        (None, None, "RECAP_NO_ROWS")
    ]


def test_values_beyond_the_last_header_column_are_an_error() -> None:
    cells: list[Cell] = [ELAPKIN_ROW[h] for h in ELAPKIN_HEADER]
    validation = validate_recap("E-LAPKIN", RecapSheet(ELAPKIN_HEADER, [(2, [*cells, None, " S.Kom"])]))
    assert found(validation) == [(2, None, "RECAP_ROW_TOO_LONG")]
    assert validate_recap("E-LAPKIN", RecapSheet(ELAPKIN_HEADER, [(2, [*cells, "", None])])).ok


def test_every_error_of_every_row_is_returned() -> None:
    rows = [
        dict(ELAPKIN_ROW) | {"NIP": "123"},
        dict(ELAPKIN_ROW) | {"NIP": NIP_B},
        dict(ELAPKIN_ROW) | {"NIP": NIP_C, "Nama": None, "Hasil Kerja": "x"},
    ]
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, rows))
    assert found(validation) == [
        (2, "NIP", "NIP_LENGTH"),
        (4, "Nama", "RECAP_VALUE_REQUIRED"),
        (4, "Hasil Kerja", "RECAP_RATING_INVALID"),
    ]
    assert [r.valid for r in validation.records] == [False, True, False]


# ---- duplicates and periods ----


def test_the_same_nip_twice_in_a_recap_points_at_its_first_row() -> None:
    rows = [
        ELAPKIN_ROW,
        dict(ELAPKIN_ROW) | {"NIP": NIP_B},
        dict(ELAPKIN_ROW) | {"NIP": "19860926 201505 1 001"},
        ELAPKIN_ROW,
    ]
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, rows))
    assert found(validation) == [(4, "NIP", "RECAP_NIP_DUPLICATE"), (5, "NIP", "RECAP_NIP_DUPLICATE")]
    assert validation.errors[0].message == "NIP ini sudah tercantum pada baris 2."


def test_nips_already_accepted_for_the_unit_and_period_are_refused() -> None:
    rows = [ELAPKIN_ROW, dict(ELAPKIN_ROW) | {"NIP": NIP_B}, dict(ELAPKIN_ROW) | {"NIP": NIP_C}]
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, rows), already_accepted={NIP_C, "000"})
    assert found(validation) == [(4, "NIP", "RECAP_NIP_ALREADY_ACCEPTED")]


def test_the_two_step_cross_recap_check_gives_the_same_errors() -> None:
    rows = [ELAPKIN_ROW, dict(ELAPKIN_ROW) | {"NIP": NIP_C}, ELAPKIN_ROW, dict(ELAPKIN_ROW) | {"Nama": None}]
    recap = sheet(ELAPKIN_HEADER, rows)
    at_once = validate_recap("E-LAPKIN", recap, already_accepted={NIP_A, NIP_C})
    first = validate_recap("E-LAPKIN", recap)
    assert first.period == "2025"
    two_steps = check_already_accepted(first, {NIP_A, NIP_C})
    assert (
        found(two_steps)
        == found(at_once)
        == [
            (2, "NIP", "RECAP_NIP_ALREADY_ACCEPTED"),
            (3, "NIP", "RECAP_NIP_ALREADY_ACCEPTED"),
            (4, "NIP", "RECAP_NIP_DUPLICATE"),
            (5, "NIP", "RECAP_NIP_DUPLICATE"),
            (5, "Nama", "RECAP_VALUE_REQUIRED"),
        ]
    )
    assert [r.valid for r in two_steps.records] == [r.valid for r in at_once.records]
    assert check_already_accepted(first, set()) is first


def test_every_row_must_carry_the_recaps_period() -> None:
    rows = [ELAPKIN_ROW, dict(ELAPKIN_ROW) | {"NIP": NIP_B, "Periode": "2024"}]
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, rows))
    assert found(validation) == [(3, "Periode", "RECAP_PERIOD_MISMATCH")]
    assert validation.errors[0].message == "Periode 2024 berbeda dengan periode rekap 2025."


def test_a_declared_period_is_the_one_every_row_must_carry() -> None:
    rows = [ELAPKIN_ROW, dict(ELAPKIN_ROW) | {"NIP": NIP_B, "Periode": "2024"}]
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, rows), period="2024")
    assert validation.period == "2024"
    assert found(validation) == [(2, "Periode", "RECAP_PERIOD_MISMATCH")]


# ---- rules and messages ----


def test_an_agency_rule_set_is_applied_and_recorded() -> None:
    lenient = RecapRules(version="agency/2027.1", predikat_matrix=dict(PREDIKAT_MATRIX) | {(1, 3): 2})
    row = dict(ELAPKIN_ROW) | {"Hasil Kerja": "1", "Perilaku Kerja": "3", "Predikat": "Baik"}
    validation = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, [row]), rules=lenient)
    assert validation.ok
    assert validation.rules_version == "agency/2027.1"
    shorter = replace(DEFAULT_RULES, max_text_length=5)
    assert found(elapkin(Nama="Budi Santoso")) == []
    named = validate_recap("E-LAPKIN", sheet(ELAPKIN_HEADER, [ELAPKIN_ROW]), rules=shorter)
    assert found(named) == [(2, "Nama", "RECAP_TEXT_TOO_LONG"), (2, "Unit Kerja", "RECAP_TEXT_TOO_LONG")]


def test_every_recap_message_is_an_indonesian_sentence_with_a_stable_code() -> None:
    for code, text in MESSAGES.items():
        assert code.startswith("RECAP_")
        assert code.isupper()
        assert text.rstrip().endswith((".", "{details}"))


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="PORTAL-INFO"):
        validate_recap("PORTAL-INFO", sheet(ELAPKIN_HEADER, [ELAPKIN_ROW]))
