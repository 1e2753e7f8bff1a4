"""Intake's use cases: each one unit of work that changes state and adds its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.submission import Submission, acknowledge, new_submission

log = get_logger(__name__)


class SubmissionRepository(Protocol):
    async def add(
        self, submission: Submission, correlation_id: str, idempotency_key: str | None = None
    ) -> bool: ...
    async def by_idempotency_key(self, idempotency_key: str) -> Submission | None: ...
    async def get(self, submission_id: str, *, for_update: bool = False) -> Submission | None: ...
    async def save_status(self, submission: Submission) -> None: ...


class IntakeUnitOfWork(UnitOfWork, Protocol):
    @property
    def submissions(self) -> SubmissionRepository: ...


@dataclass(frozen=True)
class Receipt:
    submission: Submission
    replayed: bool  # the same Idempotency-Key was seen before: this is the first receipt again


async def receive_submission(
    uow: IntakeUnitOfWork,
    *,
    service_code: str,
    perangkat_daerah: str,
    title: str,
    correlation_id: str,
    idempotency_key: str | None = None,
) -> Receipt:
    """Register a submission and announce it. With an idempotency key, a retry of the same
    request returns the first receipt and changes nothing; the same key with other content
    is refused."""
    submission = new_submission(service_code, perangkat_daerah, title, datetime.now(UTC))
    async with uow:
        if not await uow.submissions.add(submission, correlation_id, idempotency_key):
            assert idempotency_key is not None
            first = await uow.submissions.by_idempotency_key(idempotency_key)
            assert first is not None
            if (first.service_code, first.perangkat_daerah, first.title) != (
                submission.service_code,
                submission.perangkat_daerah,
                submission.title,
            ):
                raise DomainError(errors.IDEMPOTENCY_KEY_REUSED)
            log.info("submission.retry_answered", submission_id=first.submission_id)
            return Receipt(first, replayed=True)
        await uow.outbox.add(
            SUBMISSIONS,
            SubmissionReceived(
                submission_id=submission.submission_id,
                service_code=submission.service_code,
                perangkat_daerah=submission.perangkat_daerah,
                title=submission.title,
                received_at=submission.received_at,
            ),
            correlation_id=correlation_id,
        )
    log.info(
        "submission.received", submission_id=submission.submission_id, service_code=submission.service_code
    )
    return Receipt(submission, replayed=False)


async def get_submission(uow: IntakeUnitOfWork, submission_id: str) -> Submission:
    async with uow:
        submission = await uow.submissions.get(submission_id)
    if submission is None:
        raise DomainError(errors.SUBMISSION_NOT_FOUND)
    return submission


async def record_acknowledgement(
    uow: IntakeUnitOfWork, event: SubmissionAcknowledged, correlation_id: str | None
) -> None:
    """Routing opened a case: the submission is registered (TERCATAT). Runs inside the
    subscription's unit of work, which has already skipped a redelivery."""
    submission = await uow.submissions.get(event.submission_id, for_update=True)
    if submission is None:
        # Not ours (another intake deployment, or data reset): nothing to update.
        log.warning("submission.acknowledgement_unknown", submission_id=event.submission_id)
        return
    await uow.submissions.save_status(acknowledge(submission, event.case_id, event.acknowledged_at))
    log.info("submission.acknowledged", submission_id=event.submission_id, case_id=event.case_id)
