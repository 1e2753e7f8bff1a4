"""The complaint's rules, table-driven: the lifecycle (which action from which status leads
where, for which role), who reads what, text and contact checks, ticket codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.domain.complaint import (
    FINAL,
    LIFECYCLE,
    SEKRETARIAT,
    TICKET_PATTERN,
    Action,
    Channel,
    Classification,
    Complaint,
    HistoryEntry,
    Status,
    can_read,
    check_reference,
    check_reporter,
    clean_text,
    may_take,
    new_ticket_code,
    normalise_phone,
    public_history,
    reporter_visible,
    step_for,
    ticket_in,
    title_from,
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
S = Status
# action: (statuses it may start from, where it leads)
EXPECTED = {
    Action.VERIFY: ({S.DITERIMA, S.DITUNDA}, S.TERVERIFIKASI),
    Action.POSTPONE: ({S.DITERIMA}, S.DITUNDA),
    Action.NOT_AUTHORITY: ({S.DITERIMA, S.DITUNDA}, S.BUKAN_WEWENANG),
    Action.ARCHIVE: ({S.DITERIMA, S.DITUNDA}, S.DIARSIPKAN),
    Action.ASSIGN: ({S.TERVERIFIKASI, S.DIDISPOSISI}, S.DIDISPOSISI),
    Action.FOLLOW_UP: ({S.DIDISPOSISI, S.DITINDAKLANJUTI}, S.DITINDAKLANJUTI),
    Action.ANSWER: ({S.DITINDAKLANJUTI}, S.DIJAWAB),
    Action.CLOSE: ({S.DIJAWAB}, S.SELESAI),
    Action.AUTO_CLOSE: ({S.DIJAWAB}, S.SELESAI),
    Action.REPLY: ({S.DIJAWAB}, S.DITINDAKLANJUTI),
}


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("status", list(Status))
def test_each_action_starts_only_from_its_statuses_and_leads_to_one(action: Action, status: Status) -> None:
    starts, leads_to = EXPECTED[action]
    complaint = replace(COMPLAINT, status=status)
    if status in starts:
        assert step_for(action, complaint).leads_to is leads_to
    else:
        with pytest.raises(DomainError) as refused:
            step_for(action, complaint)
        assert refused.value.error.code == "ACTION_NOT_ALLOWED"
        assert refused.value.error.message == (
            f"Tindakan {action.value} tidak dapat dilakukan pada pengaduan berstatus {status.value}."
        )


def test_nothing_leaves_a_final_status() -> None:
    assert {S.BUKAN_WEWENANG, S.DIARSIPKAN, S.SELESAI} == FINAL
    assert not any(step.starts & FINAL for step in LIFECYCLE.values())


@pytest.mark.parametrize(
    ("action", "roles", "unit", "assigned", "allowed"),
    [
        (Action.VERIFY, {Role.PENGELOLA_PENGADUAN}, None, None, True),
        (Action.VERIFY, {Role.SEKRETARIS}, None, None, False),
        (Action.ASSIGN, {Role.SEKRETARIS}, None, None, True),
        (Action.ASSIGN, {Role.PENGELOLA_PENGADUAN}, None, None, False),
        (Action.FOLLOW_UP, {Role.KEPALA_BIDANG}, "BIDANG-PKA", "BIDANG-PKA", True),
        (Action.FOLLOW_UP, {Role.UNIT_PENGOLAH}, "BIDANG-PKA", "BIDANG-PKA", True),
        (Action.FOLLOW_UP, {Role.KEPALA_BIDANG}, "BIDANG-MUTASI", "BIDANG-PKA", False),
        (Action.FOLLOW_UP, {Role.KEPALA_BIDANG}, None, "BIDANG-PKA", False),
        (Action.FOLLOW_UP, {Role.SEKRETARIS}, None, SEKRETARIAT, True),
        (Action.FOLLOW_UP, {Role.SEKRETARIS}, None, "BIDANG-PKA", False),
        (Action.FOLLOW_UP, {Role.PENGELOLA_PENGADUAN}, None, "BIDANG-PKA", False),
        (Action.ANSWER, {Role.PENGELOLA_PENGADUAN}, None, "BIDANG-PKA", True),
        (Action.ANSWER, {Role.KEPALA_BIDANG}, "BIDANG-PKA", "BIDANG-PKA", False),
        (Action.CLOSE, {Role.PENGELOLA_PENGADUAN}, None, None, True),
        (Action.CLOSE, {Role.KEPALA_BADAN}, None, None, False),
        (Action.AUTO_CLOSE, {Role.PENGELOLA_PENGADUAN}, None, None, False),  # the clock's alone
    ],
)
def test_who_may_take_each_action(
    action: Action, roles: set[Role], unit: str | None, assigned: str | None, allowed: bool
) -> None:
    assert may_take(action, roles, unit, replace(COMPLAINT, assigned_unit=assigned)) is allowed


@pytest.mark.parametrize(
    ("roles", "unit", "assigned", "reads", "sees_reporter"),
    [
        ({Role.PENGELOLA_PENGADUAN}, None, None, True, True),
        ({Role.SEKRETARIS}, None, None, True, False),
        ({Role.KEPALA_BIDANG}, "BIDANG-PKA", "BIDANG-PKA", True, False),
        ({Role.UNIT_PENGOLAH}, "BIDANG-PKA", "BIDANG-MUTASI", False, False),
        ({Role.KEPALA_BIDANG}, None, None, False, False),
        ({Role.PERANGKAT_DAERAH}, "DISDIK", None, False, False),
        ({Role.KEPALA_BADAN}, None, None, False, False),
    ],
)
def test_only_the_complaints_officer_sees_the_reporter(
    roles: set[Role], unit: str | None, assigned: str | None, reads: bool, sees_reporter: bool
) -> None:
    assert can_read(roles, unit, replace(COMPLAINT, assigned_unit=assigned)) is reads
    assert reporter_visible(roles) is sees_reporter


@pytest.mark.parametrize(
    ("value", "required", "outcome"),
    [
        ("  Isi pengaduan  ", True, "Isi pengaduan"),
        ("<script>alert(1)</script>", True, "<script>alert(1)</script>"),  # text, escaped where shown
        ("Baris satu\nBaris dua\tdengan tab", True, "Baris satu\nBaris dua\tdengan tab"),
        ("   ", True, "TEXT_EMPTY"),
        (None, True, "TEXT_EMPTY"),
        ("", False, None),
        ("x" * 11, True, "TEXT_TOO_LONG"),
        ("bel \x07", True, "TEXT_INVALID"),
        ("nul \x00", True, "TEXT_INVALID"),
    ],
)
def test_text_is_trimmed_and_refused_when_empty_too_long_or_with_control_characters(
    value: str | None, required: bool, outcome: str | None
) -> None:
    if outcome in ("TEXT_EMPTY", "TEXT_TOO_LONG", "TEXT_INVALID"):
        with pytest.raises(DomainError) as refused:
            clean_text(value, "isi", 10 if outcome == "TEXT_TOO_LONG" else 100, required=required)
        assert refused.value.error.code == outcome
        assert "isi" in refused.value.error.message
    else:
        assert clean_text(value, "isi", 100, required=required) == outcome


@pytest.mark.parametrize(
    ("given", "phone"),
    [
        ("081234567890", "081234567890"),
        ("+62 812-3456-7890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("(0562) 639567", "0562639567"),
    ],
)
def test_phone_numbers_are_normalised_to_the_national_form(given: str, phone: str) -> None:
    assert normalise_phone(given) == phone


@pytest.mark.parametrize("given", ["12345", "0812abc", "+1 202 555 0100", "08", ""])
def test_what_is_not_an_indonesian_phone_number_is_refused(given: str) -> None:
    with pytest.raises(DomainError) as refused:
        normalise_phone(given)
    assert (refused.value.error.code, refused.value.details) == ("CONTACT_INVALID", {"field": "telepon"})


@pytest.mark.parametrize("email", ["bukan-email", "a@b", "a b@contoh.id", "x" * 65 + "@contoh.id"])
def test_an_invalid_email_is_refused(email: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_reporter("Nama", email, None)
    assert refused.value.error.message == "Data kontak pelapor tidak sah: e-mail."


def test_a_reporter_without_anything_is_no_reporter() -> None:
    assert check_reporter(" ", "", None) is None
    reporter = check_reporter("Ani", "Ani@Contoh.ID", "0812 1111 2222")
    assert reporter is not None
    assert (reporter.name, reporter.email, reporter.phone) == ("Ani", "ani@contoh.id", "081211112222")


@pytest.mark.parametrize(
    ("channel", "reference", "code"),
    [
        (Channel.SURAT, None, "REFERENCE_REQUIRED"),
        (Channel.KOTAK_SARAN, " ", "REFERENCE_REQUIRED"),
        (Channel.FAKSIMILE, None, "REFERENCE_REQUIRED"),
        (Channel.TELEPON, None, None),
        (Channel.TATAP_MUKA, None, None),
        (Channel.SURAT, "800/117/DISDIK", None),
        (Channel.EMAIL, "x", "CHANNEL_NOT_FOR_OFFICER"),
        (Channel.SP4N_LAPOR, None, "CHANNEL_NOT_FOR_OFFICER"),
    ],
)
def test_paper_channels_carry_their_reference(
    channel: Channel, reference: str | None, code: str | None
) -> None:
    if code is None:
        assert check_reference(channel, reference) == (reference.strip() if reference else None)
    else:
        with pytest.raises(DomainError) as refused:
            check_reference(channel, reference)
        assert refused.value.error.code == code


def test_ticket_codes_are_random_unambiguous_and_found_in_text() -> None:
    import re

    codes = {new_ticket_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(re.match(TICKET_PATTERN, c) for c in codes)
    code = next(iter(codes))
    assert ticket_in(f"Re: [{code.lower()}] balasan") == code
    assert ticket_in("tanpa kode") is None


@given(st.text(min_size=1, max_size=300).filter(lambda t: t.strip()))
def test_a_title_from_text_is_its_first_line_and_at_most_80_characters(text: str) -> None:
    title = title_from(text)
    assert len(title) <= 80
    assert title.rstrip(".").rstrip() in text.strip().splitlines()[0] or title.endswith("...")


def test_the_public_history_has_no_clock_rows_internal_notes_units_or_roles() -> None:
    entries = [
        HistoryEntry(NOW, Action.RECEIVE, S.DITERIMA),
        HistoryEntry(NOW, Action.ASSIGN, S.DIDISPOSISI, "sekretaris", None, "BIDANG-PKA", public=False),
        HistoryEntry(
            NOW, Action.FOLLOW_UP, S.DITINDAKLANJUTI, "kepala-bidang", "catatan dalam", public=False
        ),
        HistoryEntry(NOW, Action.SLA_BREACH, S.DITINDAKLANJUTI, None, "batas", public=False),
        HistoryEntry(NOW, Action.ANSWER, S.DIJAWAB, "pengelola-pengaduan", "jawaban", public=True),
    ]
    shown = public_history(entries)
    assert [(e.action, e.note, e.unit, e.actor_role) for e in shown] == [
        (Action.RECEIVE, None, None, None),
        (Action.ASSIGN, None, None, None),
        (Action.FOLLOW_UP, None, None, None),
        (Action.ANSWER, "jawaban", None, None),
    ]
