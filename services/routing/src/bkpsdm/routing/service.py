"""Routing's use cases: each one unit of work that changes state and adds its events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bkpsdm.common.contracts import CASES, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.logs import get_logger
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.routing.domain.case import Case, open_case

log = get_logger(__name__)
SOURCE = "/bkpsdm/routing"


class CaseNotFound(Exception):
    pass


class CaseRepository(Protocol):
    async def add(self, case: Case, correlation_id: str | None) -> bool: ...
    async def by_submission(self, submission_id: str) -> Case | None: ...


class RoutingUnitOfWork(UnitOfWork, Protocol):
    @property
    def cases(self) -> CaseRepository: ...


async def open_case_for_submission(
    uow: RoutingUnitOfWork, event: SubmissionReceived, meta: EventMetadata, inbox_name: str
) -> Case | None:
    """Record the submission as a case and acknowledge it, once per submission."""
    async with uow:
        if not await uow.inbox.first_delivery(inbox_name, meta):
            log.info("event.duplicate_skipped")
            return None
        case = open_case(event.submission_id, event.service_code, event.perangkat_daerah, datetime.now(UTC))
        if not await uow.cases.add(case, meta.correlation_id):
            log.info("case.already_open", submission_id=event.submission_id)
            return None
        await uow.outbox.add(
            CASES,
            case.submission_id,
            SubmissionAcknowledged(
                submission_id=case.submission_id, case_id=case.case_id, acknowledged_at=case.opened_at
            ),
            aggregate_type="case",
            correlation_id=meta.correlation_id,
        )
    log.info("case.opened", submission_id=case.submission_id, case_id=case.case_id)
    return case


async def case_for_submission(uow: RoutingUnitOfWork, submission_id: str) -> Case:
    async with uow:
        case = await uow.cases.by_submission(submission_id)
    if case is None:
        raise CaseNotFound(submission_id)
    return case
