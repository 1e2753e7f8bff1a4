"""Intake's use cases with in-memory adapters: state, documents, events and de-duplication together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bkpsdm.common.contracts import (
    SUBMISSIONS,
    CaseStepChanged,
    SubmissionAcknowledged,
    SubmissionReceived,
    SubmissionReturned,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.common.subscriptions import handle_once
from bkpsdm.intake import samples, service
from bkpsdm.intake.adapters.document_store import InMemoryDocumentStore
from bkpsdm.intake.adapters.memory import InMemoryIntakeUnitOfWork
from bkpsdm.intake.domain.catalogue import load_catalogue
from bkpsdm.intake.domain.submission import SubmissionForm, SubmissionStatus, Upload
from bkpsdm.intake.service import Applicant, IntakeRules

GROUP = "intake.case-status"
RULES = IntakeRules(
    catalogue=load_catalogue(), calendar=load_calendar(), receipt_pattern="{service}-{year}-{seq:04d}"
)
DISDIK = Applicant("DISDIK", "user-disdik")
REPAIR = SubmissionForm(
    "ABSENSI-FINGER",
    {"title": "Mesin rusak", "terminal": "X100C lobi", "problem": "mati", "contact": "Budi"},
    {},
)


def elapkin(
    recap: bytes | None = None, period: str = "2026-10", replaces: str | None = None
) -> SubmissionForm:
    return SubmissionForm(
        "E-LAPKIN",
        {"title": "Rekap SKP", "period": period},
        {
            "surat-pengantar": Upload("surat-pengantar", "surat.pdf", samples.PDF),
            "skp": Upload("skp", "skp.png", samples.PNG),
            "rekap-nilai-laporan-kinerja": Upload(
                "rekap-nilai-laporan-kinerja", "rekap.csv", recap or samples.elapkin_recap(3, period)
            ),
        },
        replaces,
    )


class Harness:
    def __init__(self) -> None:
        self.uow = InMemoryIntakeUnitOfWork()
        self.store = InMemoryDocumentStore()

    async def submit(
        self, form: SubmissionForm, applicant: Applicant = DISDIK, key: str | None = None
    ) -> service.Receipt:
        return await service.receive_submission(
            self.uow, self.store, RULES, applicant, form, correlation_id="cid-1", idempotency_key=key
        )

    async def handle(self, event: Event) -> None:
        meta = EventMetadata(type=event.event_type, source="/bkpsdm/routing", correlation_id="cid-1")
        use_case = {
            SubmissionAcknowledged: service.record_acknowledgement,
            CaseStepChanged: service.record_step,
            SubmissionReturned: service.record_return,
        }[type(event)]
        await handle_once(self.uow, GROUP, use_case, event, meta)  # type: ignore[arg-type]


async def test_a_complete_report_is_stored_with_its_documents_receipt_due_time_and_event_in_one_commit() -> (
    None
):
    h = Harness()
    receipt = await h.submit(elapkin())
    s = receipt.submission
    year = datetime.now(UTC).astimezone(RULES.calendar.zone).year
    assert s.receipt_number == f"E-LAPKIN-{year}-0001"
    assert s.due_at is not None
    assert s.due_at > s.received_at
    assert h.uow.commits == 1
    assert len(h.store.blobs) == 3
    assert s.recap is not None
    assert s.recap.rows == 3
    [entry] = h.uow.outbox.entries
    assert entry.topic == SUBMISSIONS.name
    assert entry.key == s.submission_id
    event = entry.event
    assert isinstance(event, SubmissionReceived)
    assert event.recap is not None
    assert event.recap.sha256 == s.recap.sha256
    assert event.recap.url == f"/internal/v1/submissions/{s.submission_id}/recap"
    assert samples.nip(0) not in event.model_dump_json(), "the recap never rides in the event"
    document, content = await service.get_recap(h.uow, h.store, s.submission_id)
    assert content == elapkin().uploads["rekap-nilai-laporan-kinerja"].data
    assert document.media_type == "text/csv"


async def test_a_refused_submission_stores_nothing_sends_nothing_and_keeps_its_number() -> None:
    h = Harness()
    rows = [samples.elapkin_row(i, "2026-10") for i in range(2)]
    rows[1]["Hasil Kerja"] = "9"
    with pytest.raises(DomainError) as info:
        await h.submit(elapkin(samples.recap_csv(samples.ELAPKIN_HEADER, rows)))
    assert info.value.error.code == "RECAP_INVALID"
    assert [(d["row"], d["code"]) for d in info.value.details] == [(3, "RECAP_RATING_INVALID")]
    assert h.uow.submissions.rows == {}
    assert h.uow.outbox.entries == []
    assert h.store.blobs == {}
    second = await h.submit(REPAIR)
    assert second.submission.receipt_number is not None
    assert second.submission.receipt_number.endswith("-0001")


async def test_an_earlier_accepted_recap_of_the_unit_and_period_makes_its_nips_duplicates() -> None:
    h = Harness()
    await h.submit(elapkin(samples.elapkin_recap(3, "2026-10")))
    with pytest.raises(DomainError) as info:
        await h.submit(elapkin(samples.elapkin_recap(2, "2026-10", first=2)))
    assert [(d["row"], d["code"]) for d in info.value.details] == [(2, "RECAP_NIP_ALREADY_ACCEPTED")]
    other = await h.submit(elapkin(samples.elapkin_recap(2, "2026-10", first=2)), Applicant("DINKES", "u2"))
    assert other.submission.perangkat_daerah == "DINKES"


async def test_a_returned_submission_can_be_replaced_by_a_resubmission_with_the_same_recap() -> None:
    h = Harness()
    first = (await h.submit(elapkin())).submission
    await h.handle(
        SubmissionReturned(
            submission_id=first.submission_id,
            case_id="c1",
            reasons=["SKP belum ditandatangani"],
            returned_at=datetime.now(UTC),
        )
    )
    again = await h.submit(elapkin(replaces=first.submission_id))
    assert again.submission.replaces == first.submission_id
    old, timeline = await service.get_submission(h.uow, first.submission_id)
    assert old.replaced_by == again.submission.submission_id
    assert [e.step for e in timeline] == ["DITERIMA", "DIKEMBALIKAN"]
    assert timeline[1].reasons == ("SKP belum ditandatangani",)
    with pytest.raises(DomainError) as info:
        await h.submit(elapkin(replaces=first.submission_id), Applicant("DINKES", "u2"))
    assert info.value.error.code == "SUBMISSION_NOT_FOUND", "another unit's submission is not found"


async def test_status_and_timeline_follow_routings_facts_once() -> None:
    h = Harness()
    s = (await h.submit(REPAIR)).submission
    now = datetime.now(UTC)
    ack = SubmissionAcknowledged(submission_id=s.submission_id, case_id="c1", acknowledged_at=now)
    await h.handle(ack)
    step = CaseStepChanged(
        submission_id=s.submission_id,
        case_id="c1",
        step="PERBAIKAN",
        step_label="Perbaikan oleh petugas teknis",
        holder_role="petugas-teknis",
        due_at=now + timedelta(hours=7),
        changed_at=now + timedelta(seconds=1),
    )
    await h.handle(step)
    found, timeline = await service.get_submission(h.uow, s.submission_id, scope="DISDIK")
    assert (found.status, found.current_step, found.holder_role) == (
        SubmissionStatus.IN_PROGRESS,
        "PERBAIKAN",
        "petugas-teknis",
    )
    assert [e.step for e in timeline] == ["DITERIMA", "TERCATAT", "PERBAIKAN"]
    with pytest.raises(DomainError) as info:
        await service.get_submission(h.uow, s.submission_id, scope="DINKES")
    assert info.value.error.code == "SUBMISSION_NOT_FOUND"
    by_receipt, _ = await service.get_by_receipt(h.uow, s.receipt_number or "", scope="DISDIK")
    assert by_receipt.submission_id == s.submission_id


async def test_a_repair_requests_contact_stays_out_of_the_public_event() -> None:
    h = Harness()
    await h.submit(REPAIR)
    [entry] = h.uow.outbox.entries
    assert isinstance(entry.event, SubmissionReceived)
    assert entry.event.request == {"terminal": "X100C lobi", "problem": "mati"}


async def test_a_redelivered_acknowledgement_is_skipped_and_an_unknown_submission_changes_nothing() -> None:
    h = Harness()
    s = (await h.submit(REPAIR)).submission
    event = SubmissionAcknowledged(
        submission_id=s.submission_id, case_id="c1", acknowledged_at=datetime.now(UTC)
    )
    meta = EventMetadata(type=event.event_type, source="/routing", correlation_id="c")
    await handle_once(h.uow, GROUP, service.record_acknowledgement, event, meta)
    await handle_once(h.uow, GROUP, service.record_acknowledgement, event, meta)
    assert h.uow.submissions.status_writes == 1
    unknown = SubmissionAcknowledged(
        submission_id="00000000-0000-0000-0000-000000000000", case_id="c", acknowledged_at=datetime.now(UTC)
    )
    unknown_meta = EventMetadata(type=event.event_type, source="/routing")
    await handle_once(h.uow, GROUP, service.record_acknowledgement, unknown, unknown_meta)
    assert (GROUP, unknown_meta.id) in h.uow.inbox.handled


async def test_a_retried_request_with_the_same_idempotency_key_gets_the_first_receipt() -> None:
    h = Harness()
    first = await h.submit(REPAIR, key="k1")
    again = await h.submit(REPAIR, key="k1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.submission == first.submission
    assert len(h.uow.outbox.entries) == 1, "announced once"
    other = SubmissionForm(REPAIR.service_code, {**REPAIR.fields, "title": "Lain"}, {})
    with pytest.raises(DomainError) as info:
        await h.submit(other, key="k1")
    assert info.value.error.code == "IDEMPOTENCY_KEY_REUSED"
    with pytest.raises(DomainError):
        await h.submit(REPAIR, Applicant("DINKES", "u2"), key="k1")


async def test_a_document_is_served_only_within_the_scope() -> None:
    h = Harness()
    s = (await h.submit(elapkin())).submission
    letter = next(d for d in s.documents if d.requirement_id == "surat-pengantar")
    _, content = await service.get_document(h.uow, h.store, s.submission_id, letter.document_id, "DISDIK")
    assert content == samples.PDF
    for scope, document_id in (("DINKES", letter.document_id), ("DISDIK", "nope")):
        with pytest.raises(DomainError):
            await service.get_document(h.uow, h.store, s.submission_id, document_id, scope)
