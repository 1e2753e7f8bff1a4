"""Intake's use cases with in-memory adapters: state, events and de-duplication together."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.subscriptions import handle_once
from bkpsdm.intake import service
from bkpsdm.intake.adapters.memory import InMemoryIntakeUnitOfWork
from bkpsdm.intake.domain.submission import SubmissionStatus

GROUP = "intake.case-status"


async def submit(uow: InMemoryIntakeUnitOfWork) -> str:
    receipt = await service.receive_submission(
        uow,
        service_code="E-LAPKIN",
        perangkat_daerah="Dinas Pendidikan",
        title="Rekap",
        correlation_id="cid-1",
    )
    return receipt.submission.submission_id


def acknowledgement(
    submission_id: str, case_id: str = "case-1"
) -> tuple[SubmissionAcknowledged, EventMetadata]:
    event = SubmissionAcknowledged(
        submission_id=submission_id, case_id=case_id, acknowledged_at=datetime.now(UTC)
    )
    return event, EventMetadata(type=event.event_type, source="/bkpsdm/routing", correlation_id="cid-1")


async def test_a_received_submission_is_stored_with_its_event_in_one_commit() -> None:
    uow = InMemoryIntakeUnitOfWork()
    submission_id = await submit(uow)
    assert uow.commits == 1
    assert uow.submissions.rows[submission_id][1] == "cid-1"
    [entry] = uow.outbox.entries
    assert entry.topic == SUBMISSIONS.name
    assert entry.key == submission_id, "keyed by submission: its events stay in order"
    assert isinstance(entry.event, SubmissionReceived)
    assert entry.meta.correlation_id == "cid-1"


async def test_a_refused_submission_stores_nothing_and_sends_nothing() -> None:
    uow = InMemoryIntakeUnitOfWork()
    with pytest.raises(DomainError):
        await service.receive_submission(
            uow, service_code="TIDAK-ADA", perangkat_daerah="Dinas", title="x", correlation_id="c"
        )
    assert uow.submissions.rows == {}
    assert uow.outbox.entries == []


async def test_an_acknowledgement_marks_the_submission_registered_once() -> None:
    uow = InMemoryIntakeUnitOfWork()
    submission_id = await submit(uow)
    event, meta = acknowledgement(submission_id)
    await handle_once(uow, GROUP, service.record_acknowledgement, event, meta)
    other, _ = acknowledgement(submission_id, case_id="case-2")
    await handle_once(uow, GROUP, service.record_acknowledgement, other, meta)  # same event id: a redelivery
    submission = await service.get_submission(uow, submission_id)
    assert submission.status is SubmissionStatus.ACKNOWLEDGED
    assert submission.case_id == "case-1"
    assert uow.submissions.status_writes == 1, "the redelivery was skipped, not applied again"


async def test_an_acknowledgement_for_an_unknown_submission_changes_nothing_but_is_recorded() -> None:
    uow = InMemoryIntakeUnitOfWork()
    event, meta = acknowledgement("00000000-0000-0000-0000-000000000000")
    await handle_once(uow, GROUP, service.record_acknowledgement, event, meta)
    assert uow.submissions.rows == {}
    assert (GROUP, meta.id) in uow.inbox.handled


async def test_a_failure_inside_the_unit_of_work_rolls_back_the_inbox_record() -> None:
    uow = InMemoryIntakeUnitOfWork()
    submission_id = await submit(uow)
    event, meta = acknowledgement(submission_id)

    async def broken_save(_: object) -> None:
        raise ConnectionError("database went away")

    uow.submissions.save_status = broken_save  # type: ignore[method-assign,assignment]
    with pytest.raises(ConnectionError):
        await handle_once(uow, GROUP, service.record_acknowledgement, event, meta)
    assert (GROUP, meta.id) not in uow.inbox.handled, "the redelivery will be handled"


async def test_an_unknown_submission_id_is_not_found() -> None:
    with pytest.raises(DomainError) as info:
        await service.get_submission(InMemoryIntakeUnitOfWork(), "nope")
    assert info.value.error.code == "SUBMISSION_NOT_FOUND"


async def test_a_retried_request_with_the_same_idempotency_key_gets_the_first_receipt() -> None:
    uow = InMemoryIntakeUnitOfWork()
    request = {
        "service_code": "IP-ASN",
        "perangkat_daerah": "Dinas",
        "title": "Laporan",
        "correlation_id": "c",
    }
    first = await service.receive_submission(uow, **request, idempotency_key="rekap-2026-11")
    again = await service.receive_submission(uow, **request, idempotency_key="rekap-2026-11")
    assert not first.replayed
    assert again.replayed
    assert again.submission == first.submission
    assert len(uow.submissions.rows) == 1
    assert len(uow.outbox.entries) == 1, "announced once"


async def test_the_same_idempotency_key_with_other_content_is_refused() -> None:
    uow = InMemoryIntakeUnitOfWork()
    await service.receive_submission(
        uow,
        service_code="IP-ASN",
        perangkat_daerah="Dinas",
        title="Laporan",
        correlation_id="c",
        idempotency_key="k1",
    )
    with pytest.raises(DomainError) as info:
        await service.receive_submission(
            uow,
            service_code="IP-ASN",
            perangkat_daerah="Dinas",
            title="Lain",
            correlation_id="c",
            idempotency_key="k1",
        )
    assert info.value.error.code == "IDEMPOTENCY_KEY_REUSED"
