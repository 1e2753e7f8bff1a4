"""Agenda numbers in the agency's pattern, and the versioned rule set routing runs under."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.auth.roles import Role
from bkpsdm.routing.domain.agenda import agenda_number, check_pattern, roman_month
from bkpsdm.routing.domain.rules import DEFAULT_RULES_PATH, RulesError, load_rules

WIB = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("pattern", "seq", "at", "number"),
    [
        (
            "{seq:03d}/{unit}/{roman_month}/{year}",
            7,
            datetime(2026, 11, 23, 9, tzinfo=WIB),
            "007/BKPSDM/XI/2026",
        ),
        (
            "{seq:03d}/{unit}/{roman_month}/{year}",
            1234,
            datetime(2027, 1, 2, 9, tzinfo=WIB),
            "1234/BKPSDM/I/2027",
        ),
        ("800/{seq}/{unit}", 33, datetime(2026, 4, 1, 9, tzinfo=WIB), "800/33/BKPSDM"),  # regional style
        ("{classification}/{seq}/{unit}", 33, datetime(2026, 11, 23, 9, tzinfo=WIB), "800/33/BKPSDM"),
        (
            "{service}-{year}{month:02d}-{seq:05d}",
            2,
            datetime(2026, 3, 9, 9, tzinfo=WIB),
            "E-LAPKIN-202603-00002",
        ),
    ],
)
def test_agenda_numbers_follow_the_configured_pattern(
    pattern: str, seq: int, at: datetime, number: str
) -> None:
    made = agenda_number(
        pattern, seq=seq, local_time=at, unit="BKPSDM", service="E-LAPKIN", classification="800"
    )
    assert made == number


@pytest.mark.parametrize(
    ("month", "roman"),
    list(
        zip(
            range(1, 13),
            ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"],
            strict=True,
        )
    ),
)
def test_roman_months(month: int, roman: str) -> None:
    assert roman_month(month) == roman


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{unit}/{year}", "has no {seq}"),
        ("{seq}/{kode}", "unknown fields"),
        ("{seq:xyz}", "Invalid format"),
        ("{seq", "{seq"),
    ],
)
def test_a_broken_agenda_pattern_is_refused(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("{", r"\{")):
        check_pattern(pattern)


def test_the_default_rules_escalate_one_level_up_the_hierarchy() -> None:
    rules = load_rules()
    assert rules.supervisor("petugas-administrasi", None) == (Role.KASUBBAG_UMUM, None)
    assert rules.supervisor("kasubbag-umum-kepegawaian-aset", None) == (Role.SEKRETARIS, None)
    assert rules.supervisor("sekretaris", None) == (Role.KEPALA_BADAN, None)
    assert rules.supervisor("unit-pengolah", "BIDANG-PKA-PKK") == (Role.KEPALA_BIDANG, "BIDANG-PKA-PKK")
    assert rules.supervisor("kepala-bidang", "BIDANG-PKA-PKK") == (Role.KEPALA_BADAN, None)
    assert rules.supervisor("kepala-badan", None) is None
    assert rules.supervisor("perangkat-daerah", "DISDIK") is None
    assert {"TANGGAPAN-SARAN", "PROSES-LANJUT", "KOORDINASIKAN"} <= rules.instruction_codes


def _rules_with(tmp_path: Path, **changes: object) -> Path:
    data = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {
                "escalation": [
                    {"role": "sekretaris", "to": "kepala-badan"},
                    {"role": "kepala-badan", "to": "sekretaris"},
                ]
            },
            "circle",
        ),
        ({"instructions": [{"code": "A", "label": "a"}, {"code": "A", "label": "b"}]}, "repeated"),
        ({"agenda": {"pattern": "{unit}", "unit": "X"}}, "has no"),
        ({"warning_fraction": 1.5}, "warning_fraction"),
        ({"escalation": [{"role": "perangkat-daerah", "to": "kepala-badan"}]}, "only officials"),
    ],
)
def test_a_broken_rule_set_is_refused(tmp_path: Path, changes: dict[str, object], problem: str) -> None:
    with pytest.raises(RulesError, match=problem):
        load_rules(_rules_with(tmp_path, **changes))


def test_each_service_has_its_classification_code_for_the_regional_pattern() -> None:
    agenda = load_rules().agenda
    assert agenda.classification_of("E-LAPKIN") == "800"
    assert agenda.classification_of("ABSENSI-FINGER") == "027"
    assert agenda.classification_of("UNKNOWN") == agenda.classification
