"""Intake's use cases: each one unit of work that changes state and adds its events."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol, Self

from bkpsdm.common.contracts import (
    CaseStepChanged,
    DocumentReference,
    RecapReference,
    SubmissionAcknowledged,
    SubmissionReceived,
    SubmissionReturned,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.common.service_calendar import ServiceCalendar
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.intake.adapters.recap_files import RecapFile, RecapFileRefused, read_recap_file
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.catalogue import Catalogue, Requirement, ServiceStandard
from bkpsdm.intake.domain.documents import MEDIA_TYPES, accept_document
from bkpsdm.intake.domain.listing import ListedSubmission, Page, SubmissionFilter, page_of, scoped_unit
from bkpsdm.intake.domain.recap import RecapKind, RecapValidation, check_already_accepted, validate_recap
from bkpsdm.intake.domain.submission import (
    DocumentRef,
    RecapRef,
    Submission,
    SubmissionForm,
    SubmissionStatus,
    TimelineEntry,
    acknowledge,
    check_form,
    check_replacement,
    move_to_step,
    new_submission,
    send_back,
)

log = get_logger(__name__)

RECAP_URL = "/internal/v1/submissions/{submission_id}/recap"
PRIVATE_FIELDS = frozenset({"contact"})


class SubmissionRepository(Protocol):
    async def add(
        self,
        submission: Submission,
        correlation_id: str,
        *,
        received: TimelineEntry,  # its first timeline entry, written with it and its documents
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        recap_nips: list[str] | None = None,
        announced: SubmissionReceived | None = None,  # its event, written in the same statement
    ) -> bool: ...
    async def by_idempotency_key(self, idempotency_key: str) -> tuple[Submission, str | None] | None: ...
    async def get(self, submission_id: str, *, for_update: bool = False) -> Submission | None: ...
    async def by_receipt(self, receipt_number: str) -> Submission | None: ...
    async def save_status(self, submission: Submission) -> None: ...
    async def accepted_nips(
        self, perangkat_daerah: str, service_code: str, period: str, excluding: str | None
    ) -> set[str]: ...
    async def next_receipt_seq(self, service_code: str, year: int) -> int: ...
    async def add_timeline(self, submission_id: str, entry: TimelineEntry) -> None: ...
    async def listed(self, wanted: SubmissionFilter) -> list[ListedSubmission]: ...
    async def timeline(self, submission_id: str) -> list[TimelineEntry]: ...


class IntakeUnitOfWork(UnitOfWork, Protocol):
    @property
    def submissions(self) -> SubmissionRepository: ...

    # Each statement commits alone: for a submission written in one statement.
    def without_transaction(self) -> AbstractAsyncContextManager[Self]: ...


class DocumentStore(Protocol):
    async def put(self, data: bytes) -> str: ...
    async def get(self, sha256: str) -> bytes | None: ...


@dataclass(frozen=True)
class IntakeRules:
    """What the use cases need besides storage: the standards, the calendar, the limits."""

    catalogue: Catalogue
    calendar: ServiceCalendar
    receipt_pattern: str = "{service}/{year}/{seq:05d}"
    document_max_bytes: int = 4 * 1024 * 1024
    recap_max_rows: int = 50_000


@dataclass(frozen=True)
class Applicant:
    unit: str  # the Perangkat Daerah the submission is for
    subject: str  # who signed in


@dataclass(frozen=True)
class Receipt:
    submission: Submission
    replayed: bool  # the same Idempotency-Key was seen before: this is the first receipt again
    timeline: tuple[TimelineEntry, ...] = ()


class _KeyTaken(Exception):
    """A concurrent request with the same Idempotency-Key committed first."""


@dataclass(frozen=True)
class _Checked:
    standard: ServiceStandard
    documents: list[tuple[Requirement, str, bytes, str]]  # requirement, filename, content, media type
    recap: tuple[Requirement, str, bytes, RecapFile, RecapValidation] | None


def _fingerprint(form: SubmissionForm) -> str:
    content = {
        "service": form.service_code.strip().upper(),
        "fields": {k: v.strip() for k, v in sorted(form.fields.items())},
        "uploads": {k: hashlib.sha256(u.data).hexdigest() for k, u in sorted(form.uploads.items())},
        "replaces": form.replaces,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _check(rules: IntakeRules, form: SubmissionForm) -> _Checked:
    """Every rule that needs no stored state; CPU only (run off the event loop)."""
    standard = check_form(rules.catalogue, form)
    documents: list[tuple[Requirement, str, bytes, str]] = []
    recap: tuple[Requirement, str, bytes, RecapFile, RecapValidation] | None = None
    for requirement_id, upload in form.uploads.items():
        requirement = standard.requirement(requirement_id)
        if not requirement.recap:
            sniffed = accept_document(requirement, upload.data, rules.document_max_bytes)
            documents.append((requirement, upload.filename, upload.data, sniffed.media_type))
            continue
        if len(upload.data) > rules.document_max_bytes:
            raise DomainError(
                errors.DOCUMENT_TOO_LARGE,
                [{"requirement": requirement.id, "max_bytes": rules.document_max_bytes}],
            )
        try:
            file = read_recap_file(upload.data, upload.filename, max_rows=rules.recap_max_rows)
        except RecapFileRefused as refused:
            raise errors.recap_file_refused(refused.issues, requirement.id) from None
        validation = validate_recap(
            RecapKind(standard.code), file.sheet, period=form.fields["period"].strip()
        )
        if not validation.ok:
            raise errors.recap_invalid(validation.errors, requirement.id)
        recap = (requirement, upload.filename, upload.data, file, validation)
    return _Checked(standard, documents, recap)


async def receive_submission(
    uow: IntakeUnitOfWork,
    store: DocumentStore,
    rules: IntakeRules,
    applicant: Applicant,
    form: SubmissionForm,
    *,
    correlation_id: str,
    idempotency_key: str | None = None,
) -> Receipt:
    """Check a submission against its standard, keep its documents, give a receipt number and
    due time, and announce it. Nothing is stored when any check fails. With an idempotency key,
    a retry of the same request returns the first receipt; the same key with other content is
    refused."""
    # Hashing megabytes of documents (2.5 ms for 4 MiB) would stall every other request on the
    # event loop: uploads are hashed in a thread, where hashlib lets go of the GIL.
    fingerprint = await asyncio.to_thread(_fingerprint, form) if form.uploads else _fingerprint(form)
    if idempotency_key is not None:
        first = await _replay(uow, idempotency_key, fingerprint, applicant)
        if first is not None:
            return first
    # Documents are sniffed and a recap read and validated (up to a second for a large one) off
    # the event loop too; a form of text fields only is checked (and fingerprinted above) in
    # microseconds, less than a thread hop costs.
    checked = await asyncio.to_thread(_check, rules, form) if form.uploads else _check(rules, form)
    try:
        return await _store(
            uow, store, rules, applicant, form, checked, correlation_id, idempotency_key, fingerprint
        )
    except _KeyTaken:
        assert idempotency_key is not None
        first = await _replay(uow, idempotency_key, fingerprint, applicant)
        assert first is not None
        return first


async def _replay(
    uow: IntakeUnitOfWork, idempotency_key: str, fingerprint: str, applicant: Applicant
) -> Receipt | None:
    async with uow:
        found = await uow.submissions.by_idempotency_key(idempotency_key)
        if found is None:
            return None
        first, first_fingerprint = found
        timeline = await uow.submissions.timeline(first.submission_id)
    if first_fingerprint != fingerprint or first.perangkat_daerah != applicant.unit:
        raise DomainError(errors.IDEMPOTENCY_KEY_REUSED)
    log.info("submission.retry_answered", submission_id=first.submission_id)
    return Receipt(first, replayed=True, timeline=tuple(timeline))


async def _store(
    uow: IntakeUnitOfWork,
    store: DocumentStore,
    rules: IntakeRules,
    applicant: Applicant,
    form: SubmissionForm,
    checked: _Checked,
    correlation_id: str,
    idempotency_key: str | None,
    fingerprint: str,
) -> Receipt:
    standard = checked.standard
    received_at = datetime.now(UTC)
    # A resubmission updates the one it replaces, and a recap is checked against the unit's
    # accepted ones: a transaction holds those together. Otherwise everything is written in
    # one statement (the receipt number comes from a sequence, outside any transaction), so
    # none is needed: two round trips fewer for most submissions.
    together = form.replaces is not None or checked.recap is not None
    async with uow if together else uow.without_transaction():
        replaced: Submission | None = None
        if form.replaces is not None:
            replaced = await uow.submissions.get(form.replaces, for_update=True)
            if replaced is None or replaced.perangkat_daerah != applicant.unit:
                raise DomainError(errors.SUBMISSION_NOT_FOUND, [{"field": "replaces"}])
            check_replacement(replaced, standard)
        recap_ref: RecapRef | None = None
        recap_nips: list[str] | None = None
        documents: list[DocumentRef] = []
        if checked.recap is not None:
            requirement, filename, data, file, validation = checked.recap
            period = validation.period or form.fields["period"].strip()
            earlier = await uow.submissions.accepted_nips(
                applicant.unit, standard.code, period, form.replaces
            )
            validation = check_already_accepted(validation, earlier)
            if not validation.ok:
                raise errors.recap_invalid(validation.errors, requirement.id)
            sha256 = await store.put(data)
            document_id = str(uuid.uuid4())
            documents.append(
                DocumentRef(
                    document_id, requirement.id, filename, MEDIA_TYPES[file.format], len(data), sha256
                )
            )
            recap_ref = RecapRef(
                document_id, sha256, len(validation.records), file.format, validation.rules_version
            )
            recap_nips = sorted({str(r.values["nip"]) for r in validation.records if r.values.get("nip")})
        for requirement, filename, data, media_type in checked.documents:
            sha256 = await store.put(data)
            documents.append(
                DocumentRef(str(uuid.uuid4()), requirement.id, filename, media_type, len(data), sha256)
            )
        local = received_at.astimezone(rules.calendar.zone)
        seq = await uow.submissions.next_receipt_seq(standard.code, local.year)
        receipt_number = rules.receipt_pattern.format(service=standard.code, year=local.year, seq=seq)
        days = standard.completion_time.working_days if standard.completion_time else 0
        due_at = rules.calendar.due_after(received_at, rules.calendar.working_days(days))
        submission = new_submission(
            standard,
            form,
            perangkat_daerah=applicant.unit,
            submitted_by=applicant.subject,
            received_at=received_at,
            receipt_number=receipt_number,
            due_at=due_at,
            documents=tuple(documents),
            recap=recap_ref,
        )
        received = TimelineEntry(
            received_at,
            SubmissionStatus.RECEIVED.value,
            f"Pengajuan diterima dengan nomor tanda terima {receipt_number}",
            due_at=due_at,
        )
        added = await uow.submissions.add(
            submission,
            correlation_id,
            received=received,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            recap_nips=recap_nips,
            announced=_received_event(submission),
        )
        if not added:
            raise _KeyTaken
        if replaced is not None:
            await uow.submissions.save_status(replace(replaced, replaced_by=submission.submission_id))
    log.info(
        "submission.received",
        submission_id=submission.submission_id,
        service_code=submission.service_code,
        receipt_number=receipt_number,
        documents=len(documents),
    )
    return Receipt(submission, replayed=False, timeline=(received,))


def _received_event(s: Submission) -> SubmissionReceived:
    return SubmissionReceived(
        submission_id=s.submission_id,
        service_code=s.service_code,
        perangkat_daerah=s.perangkat_daerah,
        title=s.title,
        received_at=s.received_at,
        receipt_number=s.receipt_number,
        period=s.period,
        due_at=s.due_at,
        recap=None
        if s.recap is None
        else RecapReference(
            url=RECAP_URL.format(submission_id=s.submission_id),
            sha256=s.recap.sha256,
            rows=s.recap.rows,
            format=s.recap.format,
            rules_version=s.recap.rules_version,
        ),
        documents=[
            DocumentReference(
                document_id=d.document_id,
                requirement_id=d.requirement_id,
                media_type=d.media_type,
                sha256=d.sha256,
            )
            for d in s.documents
        ],
        replaces=s.replaces,
        # Contact details stay in intake (officials read them there): the topic is public.
        request={k: v for k, v in s.request.items() if k not in PRIVATE_FIELDS} or None,
    )


async def _visible(uow: IntakeUnitOfWork, submission: Submission | None, scope: str | None) -> Submission:
    # Another unit's submission is "not found", so its ids cannot be probed.
    if submission is None or (scope is not None and submission.perangkat_daerah != scope):
        raise DomainError(errors.SUBMISSION_NOT_FOUND)
    return submission


async def get_submission(
    uow: IntakeUnitOfWork, submission_id: str, scope: str | None = None
) -> tuple[Submission, list[TimelineEntry]]:
    """The submission and its timeline; `scope` is the applicant's unit (None: every unit)."""
    async with uow:
        submission = await _visible(uow, await uow.submissions.get(submission_id), scope)
        return submission, await uow.submissions.timeline(submission.submission_id)


async def list_submissions(
    uow: IntakeUnitOfWork, rules: IntakeRules, wanted: SubmissionFilter, scope: str | None = None
) -> Page:
    """A page of the submissions `scope` may see (None: every unit), newest first."""
    if wanted.service_code is not None:
        standard = rules.catalogue.get(wanted.service_code)
        if standard is None:
            raise DomainError(errors.SERVICE_UNKNOWN, [{"field": "service_code"}])
        wanted = replace(wanted, service_code=standard.code)
    visible, unit = scoped_unit(scope, wanted.unit)
    if not visible:
        return Page((), None)
    async with uow:
        rows = await uow.submissions.listed(replace(wanted, unit=unit))
    return page_of(rows, wanted.limit)


async def get_by_receipt(
    uow: IntakeUnitOfWork, receipt_number: str, scope: str | None = None
) -> tuple[Submission, list[TimelineEntry]]:
    async with uow:
        submission = await _visible(uow, await uow.submissions.by_receipt(receipt_number), scope)
        return submission, await uow.submissions.timeline(submission.submission_id)


async def get_document(
    uow: IntakeUnitOfWork, store: DocumentStore, submission_id: str, document_id: str, scope: str | None
) -> tuple[DocumentRef, bytes]:
    async with uow:
        submission = await _visible(uow, await uow.submissions.get(submission_id), scope)
    document = next((d for d in submission.documents if d.document_id == document_id), None)
    content = None if document is None else await store.get(document.sha256)
    if document is None or content is None:
        raise DomainError(errors.DOCUMENT_NOT_FOUND)
    return document, content


async def get_recap(
    uow: IntakeUnitOfWork, store: DocumentStore, submission_id: str
) -> tuple[DocumentRef, bytes]:
    """The recap file as the applicant sent it (other services check it against the event's hash)."""
    async with uow:
        submission = await _visible(uow, await uow.submissions.get(submission_id), None)
    if submission.recap is None:
        raise DomainError(errors.RECAP_NOT_AVAILABLE)
    return await get_document(uow, store, submission_id, submission.recap.document_id, None)


# ---- routing's facts about the case ----


async def _ours(uow: IntakeUnitOfWork, submission_id: str, what: str) -> Submission | None:
    submission = await uow.submissions.get(submission_id, for_update=True)
    if submission is None:
        # Not ours (another intake deployment, or data reset): nothing to update.
        log.warning(f"submission.{what}_unknown", submission_id=submission_id)
    return submission


async def record_acknowledgement(
    uow: IntakeUnitOfWork, event: SubmissionAcknowledged, correlation_id: str | None
) -> None:
    """Routing opened a case: the submission is registered (TERCATAT). Runs inside the
    subscription's unit of work, which has already skipped a redelivery."""
    submission = await _ours(uow, event.submission_id, "acknowledgement")
    if submission is None:
        return
    await uow.submissions.save_status(acknowledge(submission, event.case_id, event.acknowledged_at))
    await uow.submissions.add_timeline(
        submission.submission_id,
        TimelineEntry(
            event.acknowledged_at,
            SubmissionStatus.ACKNOWLEDGED.value,
            f"Pengajuan dicatat sebagai perkara {event.case_id}",
        ),
    )
    log.info("submission.acknowledged", submission_id=event.submission_id, case_id=event.case_id)


async def record_step(uow: IntakeUnitOfWork, event: CaseStepChanged, correlation_id: str | None) -> None:
    submission = await _ours(uow, event.submission_id, "step")
    if submission is None:
        return
    moved = move_to_step(
        submission,
        case_id=event.case_id,
        step=event.step,
        holder_role=event.holder_role,
        due_at=event.due_at,
        completed=event.completed,
    )
    await uow.submissions.save_status(moved)
    await uow.submissions.add_timeline(
        submission.submission_id,
        TimelineEntry(
            event.changed_at, event.step, event.step_label or event.step, event.holder_role, event.due_at
        ),
    )
    log.info("submission.step_changed", submission_id=event.submission_id, step=event.step)


async def record_return(uow: IntakeUnitOfWork, event: SubmissionReturned, correlation_id: str | None) -> None:
    submission = await _ours(uow, event.submission_id, "return")
    if submission is None:
        return
    reasons = tuple(event.reasons)
    await uow.submissions.save_status(send_back(submission, case_id=event.case_id, reasons=reasons))
    await uow.submissions.add_timeline(
        submission.submission_id,
        TimelineEntry(
            event.returned_at,
            SubmissionStatus.RETURNED.value,
            "Pengajuan dikembalikan kepada Perangkat Daerah untuk diperbaiki",
            event.returned_by_role,
            reasons=reasons,
        ),
    )
    log.info("submission.returned", submission_id=event.submission_id)
