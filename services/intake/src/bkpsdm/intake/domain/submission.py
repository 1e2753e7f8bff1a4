"""A submission from an applicant unit (Perangkat Daerah), what it must carry, and its status.
Pure: no I/O."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.catalogue import Catalogue, RequirementKind, ServiceStandard


class SubmissionStatus(StrEnum):
    RECEIVED = "DITERIMA"  # accepted by intake, waiting for routing to register it
    ACKNOWLEDGED = "TERCATAT"  # routing opened a case for it
    IN_PROGRESS = "DIPROSES"  # a step of the case is with an official
    RETURNED = "DIKEMBALIKAN"  # sent back to the applicant with reasons
    COMPLETED = "SELESAI"


@dataclass(frozen=True)
class RequestField:
    name: str  # the form field
    label: str  # as the applicant reads it
    max_length: int


# Facts a request carries besides documents, per service. A repair request (seed 004) says
# which terminal, what is wrong and whom to call; the terminal itself is brought in person.
TITLE = RequestField("title", "Perihal pengajuan", 300)
PERIOD = RequestField("period", "Periode laporan (TTTT atau TTTT-BB)", 7)
REQUEST_FIELDS: Mapping[str, tuple[RequestField, ...]] = {
    "ABSENSI-FINGER": (
        RequestField("terminal", "Identitas mesin absensi (nomor seri, merek atau lokasi)", 200),
        RequestField("problem", "Uraian kerusakan atau kebutuhan instalasi", 2000),
        RequestField("contact", "Nama dan nomor telepon yang dapat dihubungi", 200),
    ),
}
_PERIOD = re.compile(r"^(20\d\d)(?:-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Upload:
    requirement_id: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class SubmissionForm:
    """What an applicant sent, before any rule looked at it."""

    service_code: str
    fields: Mapping[str, str]  # title, period and the service's own fields; blank ones absent
    uploads: Mapping[str, Upload]  # by requirement id
    replaces: str | None = None


@dataclass(frozen=True)
class DocumentRef:
    document_id: str
    requirement_id: str
    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class RecapRef:
    document_id: str
    sha256: str
    rows: int
    format: str
    rules_version: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    step: str
    label: str
    holder_role: str | None = None
    due_at: datetime | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submission:
    submission_id: str
    service_code: str
    perangkat_daerah: str
    title: str
    status: SubmissionStatus
    received_at: datetime
    case_id: str | None = None
    acknowledged_at: datetime | None = None
    receipt_number: str | None = None
    period: str | None = None
    due_at: datetime | None = None
    submitted_by: str | None = None
    request: Mapping[str, str] = field(default_factory=dict)  # the service's own fields
    replaces: str | None = None
    replaced_by: str | None = None
    current_step: str | None = None
    holder_role: str | None = None
    step_due_at: datetime | None = None
    return_reasons: tuple[str, ...] = ()
    documents: tuple[DocumentRef, ...] = ()
    recap: RecapRef | None = None


def check_form(catalogue: Catalogue, form: SubmissionForm) -> ServiceStandard:
    """The standard the form is for, once nothing it requires is missing and nothing else was
    sent. Every missing requirement is listed at once."""
    standard = catalogue.get(form.service_code)
    if standard is None:
        raise DomainError(errors.SERVICE_UNKNOWN)
    missing: list[dict[str, Any]] = []
    expected_fields = expected_request_fields(standard)
    for f in expected_fields:
        if not form.fields.get(f.name, "").strip():
            missing.append({"requirement": f.name, "text": f.label})
    documents = [r for r in standard.requirements if r.kind is RequirementKind.DOCUMENT]
    for r in documents:
        if r.id not in form.uploads:
            missing.append({"requirement": r.id, "text": r.text})
    if missing:
        raise DomainError(errors.REQUIREMENTS_MISSING, missing)
    unexpected = sorted(
        ({f for f in form.fields if f not in {e.name for e in expected_fields}})
        | ({u for u in form.uploads if u not in {r.id for r in documents}})
    )
    if unexpected:
        raise DomainError(errors.FIELDS_UNEXPECTED, [{"field": name} for name in unexpected])
    too_long = [
        {"field": f.name, "max_length": f.max_length}
        for f in expected_fields
        if len(form.fields[f.name].strip()) > f.max_length
    ]
    if too_long:
        raise DomainError(errors.FIELD_INVALID, too_long)
    if standard.recap_requirement is not None and not _PERIOD.match(form.fields["period"].strip()):
        raise DomainError(errors.PERIOD_INVALID, [{"field": "period"}])
    return standard


def expected_request_fields(standard: ServiceStandard) -> tuple[RequestField, ...]:
    own = REQUEST_FIELDS.get(standard.code, ())
    return (TITLE, *((PERIOD,) if standard.recap_requirement is not None else ()), *own)


def new_submission(
    standard: ServiceStandard,
    form: SubmissionForm,
    *,
    perangkat_daerah: str,
    submitted_by: str,
    received_at: datetime,
    receipt_number: str,
    due_at: datetime,
    documents: tuple[DocumentRef, ...] = (),
    recap: RecapRef | None = None,
) -> Submission:
    fields = {k: v.strip() for k, v in form.fields.items()}
    return Submission(
        submission_id=str(uuid.uuid4()),
        service_code=standard.code,
        perangkat_daerah=perangkat_daerah,
        title=fields["title"],
        status=SubmissionStatus.RECEIVED,
        received_at=received_at,
        receipt_number=receipt_number,
        period=fields.get("period"),
        due_at=due_at,
        submitted_by=submitted_by,
        request={k: v for k, v in fields.items() if k not in ("title", "period")},
        replaces=form.replaces,
        documents=documents,
        recap=recap,
        current_step=SubmissionStatus.RECEIVED.value,
    )


def acknowledge(submission: Submission, case_id: str, at: datetime) -> Submission:
    """Routing opened a case. Acknowledging twice keeps the first acknowledgement; a later
    step already recorded is not undone."""
    if submission.case_id is not None:
        return submission
    status = (
        SubmissionStatus.ACKNOWLEDGED if submission.status is SubmissionStatus.RECEIVED else submission.status
    )
    step = SubmissionStatus.ACKNOWLEDGED.value if status is SubmissionStatus.ACKNOWLEDGED else None
    return replace(
        submission,
        status=status,
        case_id=case_id,
        acknowledged_at=at,
        current_step=step or submission.current_step,
    )


def move_to_step(
    submission: Submission,
    *,
    case_id: str,
    step: str,
    holder_role: str | None,
    due_at: datetime | None,
    completed: bool,
) -> Submission:
    return replace(
        submission,
        status=SubmissionStatus.COMPLETED if completed else SubmissionStatus.IN_PROGRESS,
        case_id=submission.case_id or case_id,
        current_step=step,
        holder_role=holder_role,
        step_due_at=due_at,
        return_reasons=(),
    )


def send_back(submission: Submission, *, case_id: str, reasons: tuple[str, ...]) -> Submission:
    return replace(
        submission,
        status=SubmissionStatus.RETURNED,
        case_id=submission.case_id or case_id,
        current_step=SubmissionStatus.RETURNED.value,
        holder_role="perangkat-daerah",
        step_due_at=None,
        return_reasons=reasons,
    )


def check_replacement(replaced: Submission, standard: ServiceStandard) -> None:
    if replaced.service_code != standard.code:
        raise DomainError(errors.REPLACES_INVALID)
    if replaced.replaced_by is not None:
        raise DomainError(errors.REPLACES_ALREADY_REPLACED)
