"""The complaints desk offers each lifecycle action only to whom complaints would let take it."""

from __future__ import annotations

from datetime import date

import pytest

from bkpsdm.common.auth import Role
from bkpsdm.console.domain.complaints import (
    ACTIONS,
    action_body,
    complaint_actions,
    entry_body,
    semester,
)


@pytest.mark.parametrize(
    ("status", "roles", "unit", "assigned", "offered"),
    [
        (
            "DITERIMA",
            {Role.PENGELOLA_PENGADUAN},
            None,
            None,
            ["VERIFY", "POSTPONE", "NOT_AUTHORITY", "ARCHIVE"],
        ),
        ("DITUNDA", {Role.PENGELOLA_PENGADUAN}, None, None, ["VERIFY", "NOT_AUTHORITY", "ARCHIVE"]),
        ("DITERIMA", {Role.SEKRETARIS}, None, None, []),
        ("TERVERIFIKASI", {Role.SEKRETARIS}, None, None, ["ASSIGN"]),
        ("TERVERIFIKASI", {Role.PENGELOLA_PENGADUAN}, None, None, []),
        ("DIDISPOSISI", {Role.KEPALA_BIDANG}, "BIDANG-PKA-PKK", "BIDANG-PKA-PKK", ["FOLLOW_UP"]),
        ("DIDISPOSISI", {Role.KEPALA_BIDANG}, "BIDANG-INFORMASI", "BIDANG-PKA-PKK", []),
        ("DIDISPOSISI", {Role.SEKRETARIS}, None, "BIDANG-PKA-PKK", ["ASSIGN"]),
        ("DIDISPOSISI", {Role.SEKRETARIS}, None, "SEKRETARIAT", ["ASSIGN", "FOLLOW_UP"]),
        ("DITINDAKLANJUTI", {Role.PENGELOLA_PENGADUAN}, None, "BIDANG-PKA-PKK", ["ANSWER"]),
        ("DIJAWAB", {Role.PENGELOLA_PENGADUAN}, None, "BIDANG-PKA-PKK", ["CLOSE"]),
        ("SELESAI", {Role.PENGELOLA_PENGADUAN}, None, "BIDANG-PKA-PKK", []),
        ("DIJAWAB", {Role.PERANGKAT_DAERAH}, "DISDIK", None, []),
    ],
)
def test_actions_follow_status_role_and_unit(
    status: str, roles: set[Role], unit: str | None, assigned: str | None, offered: list[str]
) -> None:
    complaint = {"status": status, "assigned_unit": assigned}
    assert [a.code for a in complaint_actions(complaint, roles, unit)] == offered


def test_an_action_body_carries_only_what_the_action_takes() -> None:
    by_code = {a.code: a for a in ACTIONS}
    typed = {"note": "  Sudah ditangani  ", "unit": "BIDANG-PKA-PKK", "classification": "ASPIRASI"}
    assert action_body(by_code["CLOSE"], typed) == {"action": "CLOSE"}
    assert action_body(by_code["VERIFY"], typed) == {"action": "VERIFY", "classification": "ASPIRASI"}
    assert action_body(by_code["ASSIGN"], typed) == {
        "action": "ASSIGN",
        "note": "Sudah ditangani",
        "unit": "BIDANG-PKA-PKK",
    }
    assert action_body(by_code["ANSWER"], {"note": " "}) == {
        "action": "ANSWER"
    }  # complaints says what is missing


def test_the_officers_entry_leaves_blank_fields_out() -> None:
    typed = {
        "channel": "SURAT",
        "reference": "Surat 12/2026",
        "content": "Antrian layanan terlalu lama",
        "classification": "",
        "anonim": "1",
        "reporter_name": "Budi",
        "reporter_email": " ",
    }
    assert entry_body(typed) == {
        "channel": "SURAT",
        "content": "Antrian layanan terlalu lama",
        "classification": "PENGADUAN",
        "anonim": True,
        "rahasia": False,
        "reference": "Surat 12/2026",
        "reporter": {"name": "Budi"},
    }


@pytest.mark.parametrize(
    ("day", "period"),
    [(date(2026, 1, 1), "2026-S1"), (date(2026, 6, 30), "2026-S1"), (date(2026, 7, 1), "2026-S2")],
)
def test_ikm_periods_are_semesters(day: date, period: str) -> None:
    assert semester(day) == period
