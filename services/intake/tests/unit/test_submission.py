"""The submission rules: what each standard requires, what a document is, how routing's facts
change the status. Pure, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bkpsdm.common.domain_errors import DomainError, Problem
from bkpsdm.intake import samples
from bkpsdm.intake.domain.catalogue import FileKind, load_catalogue
from bkpsdm.intake.domain.documents import accept_document, sniff
from bkpsdm.intake.domain.errors import CATALOGUE, ROW_ISSUES
from bkpsdm.intake.domain.submission import (
    SubmissionForm,
    SubmissionStatus,
    Upload,
    acknowledge,
    check_form,
    move_to_step,
    new_submission,
    send_back,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STANDARDS = load_catalogue()


def upload(requirement: str, data: bytes = samples.PDF) -> Upload:
    return Upload(requirement, f"{requirement}.pdf", data)


ELAPKIN = SubmissionForm(
    "E-LAPKIN",
    {"title": "Rekap SKP", "period": "2026-10"},
    {r: upload(r) for r in ("surat-pengantar", "skp", "rekap-nilai-laporan-kinerja")},
)
REPAIR = SubmissionForm(
    "ABSENSI-FINGER",
    {"title": "Mesin rusak", "terminal": "X100C lobi", "problem": "mati", "contact": "Budi"},
    {},
)
PORTAL = SubmissionForm(
    "PORTAL-INFO", {"title": "Unggah data"}, {r: upload(r) for r in ("materi-data-informasi", "nota-dinas")}
)


@pytest.mark.parametrize("form", [ELAPKIN, REPAIR, PORTAL], ids=lambda f: f.service_code)
def test_a_complete_form_passes_for_its_standard(form: SubmissionForm) -> None:
    assert check_form(STANDARDS, form).code == form.service_code


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        (
            SubmissionForm("E-LAPKIN", {"title": "x"}, {}),
            ["period", "surat-pengantar", "skp", "rekap-nilai-laporan-kinerja"],
        ),
        (SubmissionForm("IP-ASN", {"period": "2025"}, {}), ["title", "surat-pengantar", "rekap-data-asn"]),
        (
            SubmissionForm("ABSENSI-FINGER", {"title": "x", "contact": "  "}, {}),
            ["terminal", "problem", "contact"],
        ),
        (
            SubmissionForm("PORTAL-INFO", {"title": "x"}, {"nota-dinas": upload("nota-dinas")}),
            ["materi-data-informasi"],
        ),
    ],
)
def test_every_missing_requirement_is_listed_at_once(form: SubmissionForm, missing: list[str]) -> None:
    with pytest.raises(DomainError) as info:
        check_form(STANDARDS, form)
    assert info.value.error.code == "REQUIREMENTS_MISSING"
    assert [d["requirement"] for d in info.value.details] == missing


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (SubmissionForm("CUTI", {"title": "x"}, {}), "SERVICE_UNKNOWN"),
        (SubmissionForm("ABSENSI-FINGER", {**REPAIR.fields, "gaji": "x"}, {}), "FIELDS_UNEXPECTED"),
        (SubmissionForm("ABSENSI-FINGER", REPAIR.fields, {"skp": upload("skp")}), "FIELDS_UNEXPECTED"),
        (SubmissionForm("ABSENSI-FINGER", {**REPAIR.fields, "title": "x" * 301}, {}), "FIELD_INVALID"),
        (
            SubmissionForm("E-LAPKIN", {**ELAPKIN.fields, "period": "2026-13"}, ELAPKIN.uploads),
            "PERIOD_INVALID",
        ),
        (SubmissionForm("E-LAPKIN", {**ELAPKIN.fields, "period": "Okt"}, ELAPKIN.uploads), "PERIOD_INVALID"),
    ],
)
def test_a_form_that_breaks_a_rule_is_refused_with_its_code(form: SubmissionForm, code: str) -> None:
    with pytest.raises(DomainError) as info:
        check_form(STANDARDS, form)
    assert info.value.error.code == code


def test_service_codes_are_matched_without_case_or_spaces() -> None:
    assert (
        check_form(STANDARDS, SubmissionForm(" absensi-finger ", REPAIR.fields, {})).code == "ABSENSI-FINGER"
    )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.PDF, FileKind.PDF),
        (samples.PNG, FileKind.IMAGE),
        (b"\xff\xd8\xff\xe0JFIF", FileKind.IMAGE),
        (samples.elapkin_recap(1, "2026"), FileKind.CSV),
        (b"MZ\x90\x00\x03\x00", None),
        (b"PK\x03\x04not really a zip", None),
    ],
)
def test_a_document_is_what_its_content_says(data: bytes, kind: FileKind | None) -> None:
    found = sniff(data)
    assert (found.kind if found else None) == kind


@pytest.mark.parametrize(
    ("data", "code", "problem"),
    [
        (b"", "DOCUMENT_EMPTY", Problem.INVALID),
        (samples.PDF + b"x" * 100, "DOCUMENT_TOO_LARGE", Problem.TOO_LARGE),
        (b"NIP,Nama\n1,2\n", "DOCUMENT_TYPE_NOT_ALLOWED", Problem.UNSUPPORTED_TYPE),
    ],
)
def test_a_document_a_requirement_cannot_take_is_refused(data: bytes, code: str, problem: Problem) -> None:
    requirement = STANDARDS.services["E-LAPKIN"].requirement("surat-pengantar")
    with pytest.raises(DomainError) as info:
        accept_document(requirement, data, max_bytes=100)
    assert (info.value.error.code, info.value.error.problem) == (code, problem)


def test_routings_facts_move_the_status_and_a_return_carries_its_reasons() -> None:
    standard = STANDARDS.services["ABSENSI-FINGER"]
    s = new_submission(
        standard,
        REPAIR,
        perangkat_daerah="DISDIK",
        submitted_by="u1",
        received_at=NOW,
        receipt_number="R/1",
        due_at=NOW + timedelta(days=1),
    )
    assert (s.status, s.request["terminal"]) == (SubmissionStatus.RECEIVED, "X100C lobi")
    ack = acknowledge(s, "case-1", NOW)
    assert acknowledge(ack, "case-2", NOW) == ack, "acknowledging twice keeps the first case"
    step = move_to_step(
        ack, case_id="case-1", step="VERIFIKASI", holder_role="petugas-teknis", due_at=None, completed=False
    )
    assert (step.status, step.holder_role) == (SubmissionStatus.IN_PROGRESS, "petugas-teknis")
    back = send_back(step, case_id="case-1", reasons=("Kontak tidak dapat dihubungi",))
    assert (back.status, back.return_reasons) == (
        SubmissionStatus.RETURNED,
        ("Kontak tidak dapat dihubungi",),
    )
    late_ack = acknowledge(replace(step, case_id=None), "case-1", NOW)
    assert late_ack.status is SubmissionStatus.IN_PROGRESS, "a late acknowledgement does not undo a step"
    done = move_to_step(back, case_id="case-1", step="SELESAI", holder_role=None, due_at=None, completed=True)
    assert (done.status, done.return_reasons) == (SubmissionStatus.COMPLETED, ())


def test_every_error_code_has_an_indonesian_message_and_a_kind_of_problem() -> None:
    for error in CATALOGUE:
        assert error.code.isupper()
        assert error.message.strip()
        assert isinstance(error.problem, Problem)
    assert {"NIP_LENGTH", "RECAP_NIP_DUPLICATE", "RECAP_RATING_INVALID"} <= set(ROW_ISSUES)
    assert "XLSX_FORMULA" in CATALOGUE
