"""A submission from an applicant unit (Perangkat Daerah) and its status. Pure: no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.intake.domain import errors

# Service standards the agency runs (seeds 000-004), by the code applicants use.
SERVICE_CATALOGUE: dict[str, str] = {
    "E-LAPKIN": "Pelaporan Kinerja PNS melalui E-LAPKIN",
    "IP-ASN": "Indeks Profesionalitas ASN",
    "PORTAL-INFO": "Portal Informasi Kepegawaian Daerah",
    "ABSENSI-FINGER": "Instalasi/Perbaikan Aplikasi Absensi Sidik Jari",
}


class SubmissionStatus(StrEnum):
    RECEIVED = "DITERIMA"  # accepted by intake, waiting for routing to register it
    ACKNOWLEDGED = "TERCATAT"  # routing opened a case for it


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


def new_submission(service_code: str, perangkat_daerah: str, title: str, now: datetime) -> Submission:
    code = service_code.strip().upper()
    if code not in SERVICE_CATALOGUE:
        raise DomainError(errors.SERVICE_UNKNOWN)
    if not perangkat_daerah.strip():
        raise DomainError(errors.APPLICANT_REQUIRED)
    if not title.strip():
        raise DomainError(errors.TITLE_REQUIRED)
    return Submission(
        submission_id=str(uuid.uuid4()),
        service_code=code,
        perangkat_daerah=perangkat_daerah.strip(),
        title=title.strip(),
        status=SubmissionStatus.RECEIVED,
        received_at=now,
    )


def acknowledge(submission: Submission, case_id: str, at: datetime) -> Submission:
    """Routing opened a case. Acknowledging twice keeps the first acknowledgement."""
    if submission.status is SubmissionStatus.ACKNOWLEDGED:
        return submission
    return replace(submission, status=SubmissionStatus.ACKNOWLEDGED, case_id=case_id, acknowledged_at=at)
