"""Routing's use cases: each one unit of work that changes state and adds its events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bkpsdm.common.contracts import CASES, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.case import Case, open_case

log = get_logger(__name__)


class CaseRepository(Protocol):
    async def add(self, case: Case, correlation_id: str | None) -> bool: ...
    async def by_submission(self, submission_id: str) -> Case | None: ...


class RoutingUnitOfWork(UnitOfWork, Protocol):
    @property
    def cases(self) -> CaseRepository: ...


async def open_case_for_submission(
    uow: RoutingUnitOfWork, event: SubmissionReceived, correlation_id: str | None
) -> Case | None:
    """Record the submission as a case and acknowledge it, once per submission. Runs inside
    the subscription's unit of work, which has already skipped a redelivery."""
    case = open_case(event.submission_id, event.service_code, event.perangkat_daerah, datetime.now(UTC))
    if not await uow.cases.add(case, correlation_id):
        log.info("case.already_open", submission_id=event.submission_id)
        return None
    await uow.outbox.add(
        CASES,
        SubmissionAcknowledged(
            submission_id=case.submission_id, case_id=case.case_id, acknowledged_at=case.opened_at
        ),
        correlation_id=correlation_id,
    )
    log.info("case.opened", submission_id=case.submission_id, case_id=case.case_id)
    return case


async def case_for_submission(uow: RoutingUnitOfWork, submission_id: str) -> Case:
    async with uow:
        case = await uow.cases.by_submission(submission_id)
    if case is None:
        raise DomainError(errors.CASE_NOT_FOUND)
    return case
