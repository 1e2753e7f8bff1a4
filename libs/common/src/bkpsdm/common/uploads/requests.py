"""Consuming routing's upload request: check it, fetch and read the recap, plan every row, and
store the upload with all its rows in the transaction that records the delivery.

Another service's request is ignored. A malformed request, an unknown submission, a recap whose
hash does not match or that cannot be read are permanent: the message is dead-lettered with a
readable error. The runner then sends the rows (see `runner`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from bkpsdm.common.contracts import RecapReference, UploadRequested
from bkpsdm.common.logs import get_logger
from bkpsdm.common.uploads.model import Column, Plan, RecapRow, RowPlan
from bkpsdm.common.uploads.recap_source import UploadRequestRefused
from bkpsdm.common.uploads.recap_table import read_recap
from bkpsdm.common.uploads.repository import NewUpload, UploadsUnitOfWork
from bkpsdm.common.uploads.runner import notify_channel

log = get_logger(__name__)

PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RecapSource(Protocol):
    async def fetch(self, recap: RecapReference) -> bytes: ...


# A service's rules: the recap's rows (and the request) in, a plan for every row out. Pure.
Planner = Callable[[Sequence[RecapRow], UploadRequested], Plan]


def idempotency_key(service_code: str, submission_id: str, row: RowPlan) -> str | None:
    """Derived from the submission and the row's record: a retry, a crash-and-restart, or routing's
    next attempt at the same submission sends the same key, so BKN stores a record once. A changed
    record (another rule set) is another key: a legitimate update."""
    if row.payload is None or row.target is None:
        return None
    canonical = json.dumps(dict(row.payload), sort_keys=True, separators=(",", ":"), default=str)
    text = f"{service_code}|{submission_id}|{row.target}|{row.natural_key}|{canonical}"
    return f"bkpsdm-{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def check_request(event: UploadRequested) -> None:
    for name in ("request_id", "submission_id", "case_id"):
        if not IDENTIFIER.fullmatch(getattr(event, name)):
            raise UploadRequestRefused("UPLOAD_REQUEST_MALFORMED", f"{name} is not a plain identifier")
    if not event.perangkat_daerah.strip():
        raise UploadRequestRefused("UPLOAD_REQUEST_MALFORMED", "perangkat_daerah is empty")
    if event.period is not None and not PERIOD.fullmatch(event.period):
        raise UploadRequestRefused("UPLOAD_REQUEST_MALFORMED", "period must be YYYY or YYYY-MM")


def accept_upload_request(
    *,
    service_code: str,
    columns: Sequence[Column],
    plan: Planner,
    source: RecapSource,
    adapter_name: str,
    schema: str,
) -> Callable[[UploadsUnitOfWork, UploadRequested, str | None], Any]:
    async def use_case(uow: UploadsUnitOfWork, event: UploadRequested, correlation_id: str | None) -> None:
        if event.service_code != service_code:
            return  # the other uploader's request
        check_request(event)
        if await uow.uploads.exists(event.request_id):
            log.info("upload.request_repeated", request_id=event.request_id)
            return
        data = await source.fetch(event.recap)
        rows = read_recap(data, event.recap.format, columns)
        if len(rows) != event.recap.rows:
            log.warning("upload.recap_rows_differ", expected=event.recap.rows, found=len(rows))
        planned = plan(rows, event)
        keys = [idempotency_key(service_code, event.submission_id, row) for row in planned.rows]
        await uow.uploads.create(
            _new_upload(event, planned, adapter_name, correlation_id), planned.rows, keys
        )
        await uow.uploads.notify(notify_channel(schema))
        log.info(
            "upload.accepted",
            request_id=event.request_id,
            rows=len(planned.rows),
            refused_before_sending=sum(1 for r in planned.rows if r.rejection),
            rules=planned.rules.label,
        )

    return use_case


def _new_upload(event: UploadRequested, plan: Plan, adapter: str, correlation_id: str | None) -> NewUpload:
    recap: Mapping[str, Any] = event.recap.model_dump(mode="json")
    return NewUpload(
        request_id=event.request_id,
        submission_id=event.submission_id,
        case_id=event.case_id,
        service_code=event.service_code,
        perangkat_daerah=event.perangkat_daerah,
        period=event.period,
        attempt=event.attempt,
        requested_by=event.requested_by,
        requested_at=event.requested_at,
        correlation_id=correlation_id,
        recap=dict(recap),
        rules=plan.rules,
        sections=plan.sections,
        notes=plan.notes,
        adapter=adapter,
    )
