"""Routing's use cases with in-memory adapters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bkpsdm.common.contracts import CASES, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.subscriptions import handle_once
from bkpsdm.routing import service
from bkpsdm.routing.adapters.memory import InMemoryRoutingUnitOfWork

GROUP = "routing.case-opening"


def received(submission_id: str = "sub-1") -> tuple[SubmissionReceived, EventMetadata]:
    event = SubmissionReceived(
        submission_id=submission_id,
        service_code="E-LAPKIN",
        perangkat_daerah="Dinas Pendidikan",
        title="Rekap",
        received_at=datetime.now(UTC),
    )
    return event, EventMetadata(type=event.event_type, source="/bkpsdm/intake", correlation_id="cid-r")


async def test_a_received_submission_opens_a_case_and_acknowledges_it_under_the_same_correlation() -> None:
    uow = InMemoryRoutingUnitOfWork()
    event, meta = received()
    assert await handle_once(uow, GROUP, service.open_case_for_submission, event, meta)
    case = await service.case_for_submission(uow, "sub-1")
    [entry] = uow.outbox.entries
    assert entry.topic == CASES.name
    assert entry.key == "sub-1"
    assert isinstance(entry.event, SubmissionAcknowledged)
    assert entry.event.case_id == case.case_id
    assert entry.meta.correlation_id == "cid-r"


async def test_redelivery_and_a_second_event_for_the_same_submission_open_nothing_more() -> None:
    uow = InMemoryRoutingUnitOfWork()
    event, meta = received()
    assert await handle_once(uow, GROUP, service.open_case_for_submission, event, meta)
    first = await service.case_for_submission(uow, "sub-1")
    assert not await handle_once(uow, GROUP, service.open_case_for_submission, event, meta), "redelivered"
    _, resent = received()
    assert await handle_once(uow, GROUP, service.open_case_for_submission, event, resent), "sent again"
    assert len(uow.outbox.entries) == 1, "a second event for the same submission opens nothing more"
    assert (await service.case_for_submission(uow, "sub-1")).case_id == first.case_id


async def test_an_unknown_submission_has_no_case() -> None:
    with pytest.raises(DomainError) as info:
        await service.case_for_submission(InMemoryRoutingUnitOfWork(), "nope")
    assert info.value.error.code == "CASE_NOT_FOUND"
