"""The actions a complaint page offers a reader: what its status allows for their roles and
unit, table-driven; and for every combination exactly what the action itself would accept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.domain.complaint import (
    OFFICIAL_ACTIONS,
    SEKRETARIAT,
    Action,
    Channel,
    Classification,
    Complaint,
    Status,
    allowed_actions,
    may_take,
    step_for,
)

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
COMPLAINT = Complaint(
    complaint_id="c-1",
    ticket_code="PGD-AAAA-BBBB-CCCC",
    channel=Channel.WEBSITE,
    classification=Classification.PENGADUAN,
    title="Judul",
    content="Isi",
    status=Status.DITERIMA,
    received_at=NOW,
    verify_due_at=NOW,
)
S, A, R = Status, Action, Role
PKA = "BIDANG-PKA"
OFFICER = {R.PENGELOLA_PENGADUAN}
SEKRETARIS = {R.SEKRETARIS}
KABID = {R.KEPALA_BIDANG}
PENGOLAH = {R.UNIT_PENGOLAH}

CASES = [
    # status, assigned unit, reader's roles, reader's unit, expected actions (in the lifecycle's order)
    (S.DITERIMA, None, OFFICER, None, [A.VERIFY, A.POSTPONE, A.NOT_AUTHORITY, A.ARCHIVE]),
    (S.DITUNDA, None, OFFICER, None, [A.VERIFY, A.NOT_AUTHORITY, A.ARCHIVE]),
    (S.DITERIMA, None, SEKRETARIS, None, []),
    (S.TERVERIFIKASI, None, OFFICER, None, []),
    (S.TERVERIFIKASI, None, SEKRETARIS, None, [A.ASSIGN]),
    (S.DIDISPOSISI, PKA, SEKRETARIS, None, [A.ASSIGN]),
    (S.DIDISPOSISI, SEKRETARIAT, SEKRETARIS, None, [A.ASSIGN, A.FOLLOW_UP]),
    (S.DITINDAKLANJUTI, SEKRETARIAT, SEKRETARIS, None, [A.FOLLOW_UP]),
    (S.DIDISPOSISI, PKA, KABID, PKA, [A.FOLLOW_UP]),
    (S.DIDISPOSISI, PKA, PENGOLAH, PKA, [A.FOLLOW_UP]),
    (S.DIDISPOSISI, PKA, KABID, "BIDANG-MUTASI", []),
    (S.DIDISPOSISI, PKA, KABID, None, []),
    (S.DITINDAKLANJUTI, PKA, KABID, PKA, [A.FOLLOW_UP]),
    (S.DITINDAKLANJUTI, PKA, OFFICER, None, [A.ANSWER]),
    (S.DIJAWAB, PKA, OFFICER, None, [A.CLOSE]),
    (S.DIJAWAB, PKA, KABID, PKA, []),
    (S.SELESAI, PKA, OFFICER, None, []),
    (S.BUKAN_WEWENANG, None, OFFICER, None, []),
    (S.DIARSIPKAN, None, OFFICER, None, []),
    (S.DITERIMA, None, {R.KEPALA_BADAN}, None, []),
    (S.DITERIMA, None, OFFICER | SEKRETARIS, None, [A.VERIFY, A.POSTPONE, A.NOT_AUTHORITY, A.ARCHIVE]),
    (S.TERVERIFIKASI, None, OFFICER | SEKRETARIS, None, [A.ASSIGN]),
]


@pytest.mark.parametrize(("status", "assigned", "roles", "unit", "expected"), CASES)
def test_the_page_offers_what_the_status_allows_for_the_readers_roles_and_unit(
    status: Status, assigned: str | None, roles: set[Role], unit: str | None, expected: list[Action]
) -> None:
    complaint = replace(COMPLAINT, status=status, assigned_unit=assigned)
    assert allowed_actions(roles, unit, complaint) == expected


def _accepted(action: Action, roles: frozenset[Role], unit: str | None, complaint: Complaint) -> bool:
    """What `act` decides before it moves anything: the role check, then the status check."""
    if not may_take(action, roles, unit, complaint):
        return False
    try:
        step_for(action, complaint)
    except DomainError:
        return False
    return True


@given(
    status=st.sampled_from(Status),
    assigned=st.sampled_from([None, PKA, SEKRETARIAT]),
    roles=st.frozensets(st.sampled_from(Role)),
    unit=st.sampled_from([None, PKA, "BIDANG-MUTASI", SEKRETARIAT]),
)
def test_an_action_is_offered_exactly_when_the_action_would_be_accepted(
    status: Status, assigned: str | None, roles: frozenset[Role], unit: str | None
) -> None:
    complaint = replace(COMPLAINT, status=status, assigned_unit=assigned)
    offered = allowed_actions(roles, unit, complaint)
    assert offered == [a for a in OFFICIAL_ACTIONS if _accepted(a, roles, unit, complaint)]
