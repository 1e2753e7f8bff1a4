"""Routing's use cases."""

from __future__ import annotations

from datetime import UTC, datetime

from bkpsdm.common.contracts import CASES, SubmissionAcknowledged, SubmissionReceived
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.inbox import first_delivery
from bkpsdm.common.logs import get_logger
from bkpsdm.common.outbox import enqueue
from bkpsdm.common.runtime import Database
from bkpsdm.routing.adapters.repository import CaseRepository
from bkpsdm.routing.domain.case import Case, open_case

log = get_logger(__name__)
SOURCE = "/bkpsdm/routing"


class CaseNotFound(Exception):
    pass


async def open_case_for_submission(
    db: Database, event: SubmissionReceived, meta: EventMetadata, group: str
) -> None:
    """Record the submission as a case and acknowledge it, once per event."""
    async with db.pool.acquire() as conn, conn.transaction():
        if not await first_delivery(conn, db.schema, group, meta):
            log.info("event.duplicate_skipped")
            return
        case = open_case(event.submission_id, event.service_code, event.perangkat_daerah, datetime.now(UTC))
        repo = CaseRepository(conn, db.schema)
        if not await repo.add(case, meta.correlation_id):
            log.info("case.already_open", submission_id=event.submission_id)
            return
        await enqueue(
            conn,
            db.schema,
            CASES,
            case.submission_id,
            SubmissionAcknowledged(
                submission_id=case.submission_id,
                case_id=case.case_id,
                acknowledged_at=case.opened_at,
            ),
            source=SOURCE,
            correlation_id=meta.correlation_id,
            aggregate_type="case",
        )
    log.info("case.opened", submission_id=case.submission_id, case_id=case.case_id)


async def case_for_submission(db: Database, submission_id: str) -> Case:
    async with db.pool.acquire() as conn:
        case = await CaseRepository(conn, db.schema).by_submission(submission_id)
    if case is None:
        raise CaseNotFound(submission_id)
    return case
