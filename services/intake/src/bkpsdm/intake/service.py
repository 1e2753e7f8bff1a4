"""Intake's use cases: each one a transaction that changes state and adds its events."""

from __future__ import annotations

from datetime import UTC, datetime

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.inbox import first_delivery
from bkpsdm.common.logs import get_logger
from bkpsdm.common.outbox import enqueue
from bkpsdm.common.runtime import Database
from bkpsdm.intake.adapters.repository import SubmissionRepository
from bkpsdm.intake.domain.errors import IntakeError
from bkpsdm.intake.domain.submission import Submission, acknowledge, new_submission

log = get_logger(__name__)
SOURCE = "/bkpsdm/intake"


async def receive_submission(
    db: Database, *, service_code: str, perangkat_daerah: str, title: str, correlation_id: str
) -> Submission:
    submission = new_submission(service_code, perangkat_daerah, title, datetime.now(UTC))
    async with db.pool.acquire() as conn, conn.transaction():
        await SubmissionRepository(conn, db.schema).add(submission, correlation_id)
        await enqueue(
            conn,
            db.schema,
            SUBMISSIONS,
            submission.submission_id,
            SubmissionReceived(
                submission_id=submission.submission_id,
                service_code=submission.service_code,
                perangkat_daerah=submission.perangkat_daerah,
                title=submission.title,
                received_at=submission.received_at,
            ),
            source=SOURCE,
            correlation_id=correlation_id,
            aggregate_type="submission",
        )
    log.info(
        "submission.received",
        submission_id=submission.submission_id,
        service_code=submission.service_code,
    )
    return submission


async def get_submission(db: Database, submission_id: str) -> Submission:
    async with db.pool.acquire() as conn:
        submission = await SubmissionRepository(conn, db.schema).get(submission_id)
    if submission is None:
        raise IntakeError("SUBMISSION_NOT_FOUND")
    return submission


async def record_acknowledgement(
    db: Database, event: SubmissionAcknowledged, meta: EventMetadata, group: str
) -> None:
    async with db.pool.acquire() as conn, conn.transaction():
        if not await first_delivery(conn, db.schema, group, meta):
            log.info("event.duplicate_skipped")
            return
        repo = SubmissionRepository(conn, db.schema)
        submission = await repo.get(event.submission_id, for_update=True)
        if submission is None:
            # Not ours (another intake deployment, or data reset): nothing to update.
            log.warning("submission.acknowledgement_unknown", submission_id=event.submission_id)
            return
        await repo.save_status(acknowledge(submission, event.case_id, event.acknowledged_at))
    log.info("submission.acknowledged", submission_id=event.submission_id, case_id=event.case_id)
