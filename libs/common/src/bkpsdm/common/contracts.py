"""Event contracts between services, and the registry of every topic.

Services never import each other; they share only these models. Each model names its
CloudEvents type; each topic names its key (which keeps order per submission) and the
events it carries. Evolve by adding optional fields; a breaking change is a new type.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from bkpsdm.common.events import Event
from bkpsdm.common.topics import TopicRegistry, TopicSpec


class RecapReference(BaseModel):
    """Where a consumer fetches a recap (intake's internal endpoint, role internal-service)
    and the hash it must match."""

    url: str = Field(description="Path on intake, e.g. /internal/v1/submissions/{id}/recap")
    sha256: str = Field(description="SHA-256 of the file served there (hex)")
    rows: int = Field(description="Data rows in the recap")
    format: str = Field(description="csv or xlsx")
    rules_version: str | None = Field(default=None, description="Recap rule set the rows passed")


class DocumentReference(BaseModel):
    document_id: str
    requirement_id: str = Field(description="The standard's requirement the document fulfils")
    media_type: str = Field(description="Sniffed from the content")
    sha256: str


class SubmissionReceived(Event):
    """An applicant unit (Perangkat Daerah) submitted a request to a service standard."""

    event_type: ClassVar[str] = "id.go.bkpsdm.intake.submission-received.v1"

    submission_id: str = Field(description="Intake's id of the submission (the Kafka key)")
    service_code: str = Field(description="Service standard, e.g. E-LAPKIN or IP-ASN")
    perangkat_daerah: str = Field(description="Applicant unit")
    title: str
    received_at: datetime
    # Added with issue 6; optional, so older producers and consumers keep working.
    receipt_number: str | None = Field(default=None, description="The receipt number the applicant holds")
    period: str | None = Field(default=None, description="Reporting period, YYYY or YYYY-MM (recaps)")
    due_at: datetime | None = Field(default=None, description="Due time of the service, in service hours")
    recap: RecapReference | None = Field(
        default=None, description="The recap, by reference: it never rides in the event"
    )
    documents: list[DocumentReference] | None = Field(default=None, description="Documents submitted")
    replaces: str | None = Field(default=None, description="The submission this one resubmits")
    request: dict[str, str] | None = Field(
        default=None, description="The service's own fields, e.g. terminal, problem, contact (repairs)"
    )


class SubmissionAcknowledged(Event):
    """Routing opened a case for the submission; intake shows it as acknowledged."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.submission-acknowledged.v1"

    submission_id: str
    case_id: str
    acknowledged_at: datetime


class CaseStepChanged(Event):
    """A submission's case moved to a step (who holds it now, by when); `completed` on the last."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.case-step-changed.v1"

    submission_id: str
    case_id: str
    step: str = Field(description="Stable step code, e.g. DISPOSISI-KEPALA-BADAN")
    step_label: str | None = Field(default=None, description="The step as applicants read it (Indonesian)")
    holder_role: str | None = Field(default=None, description="Role that holds the case now")
    due_at: datetime | None = Field(default=None, description="When this step is due, in service hours")
    changed_at: datetime
    completed: bool = Field(default=False, description="The service is finished")


class SubmissionReturned(Event):
    """The case was sent back to the applicant unit with reasons; it may resubmit."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.submission-returned.v1"

    submission_id: str
    case_id: str
    reasons: list[str] = Field(min_length=1, description="Why, in Indonesian, as the applicant reads it")
    returned_by_role: str | None = None
    returned_at: datetime


TOPICS = TopicRegistry()

SUBMISSIONS = TOPICS.register(
    TopicSpec(
        name="public.intake.submissions.v1",
        key="submission_id",
        owner="intake",
        description="Submissions received from applicant units, keyed by submission id.",
        events=(SubmissionReceived,),
    )
)
CASES = TOPICS.register(
    TopicSpec(
        name="public.routing.cases.v1",
        key="submission_id",
        owner="routing",
        description="Workflow facts about each submission's case, keyed by submission id.",
        events=(SubmissionAcknowledged, CaseStepChanged, SubmissionReturned),
    )
)


# --- Attendance (attendance-gateway): fingerprint terminals and their punches ---


class AttendancePunched(Event):
    """A punch read from a fingerprint terminal, for an employee the terminal's user id maps to.

    Public contract: other agencies read it. Consumers de-duplicate by `idempotency_key`
    (a terminal log read again, or a gateway restarted mid-pull, yields the same key).
    """

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.punched.v1"

    idempotency_key: str = Field(
        description="terminal serial|user id|terminal wall-clock time (ISO, no offset)|punch state"
    )
    nip: str = Field(description="The employee's NIP (the Kafka key)")
    terminal_id: str = Field(description="The gateway's id of the terminal")
    terminal_serial: str
    user_id: str = Field(description="The user id enrolled on the terminal")
    punched_at: datetime = Field(description="ISO-8601 with the terminal's UTC offset")
    time_zone: str = Field(description="The terminal's IANA time zone, e.g. Asia/Jakarta")
    verify_type: int = Field(description="How the user verified: 1 finger, 15 face, ...")
    punch_state: int = Field(description="In/out key: 0 in, 1 out, 2/3 break, 4/5 overtime, 255 undefined")
    unit: str = Field(description="The unit (Perangkat Daerah) the terminal belongs to")


class TerminalHealthChanged(Event):
    """A terminal's health changed: ONLINE, OFFLINE (unreachable) or FAULTY (answers wrongly)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-health-changed.v1"

    terminal_id: str = Field(description="The gateway's id of the terminal (the Kafka key)")
    terminal_serial: str | None = None
    unit: str
    status: str = Field(description="ONLINE, OFFLINE or FAULTY")
    previous_status: str
    reason: str | None = Field(default=None, description="Stable code, e.g. TIMEOUT, BAD_RECORDS")
    detail: str | None = None
    failure_streak: int
    observed_at: datetime


class TerminalErrorStreak(Event):
    """A terminal's polls failed this many times in a row (emitted when the streak reaches the threshold)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-error-streak.v1"

    terminal_id: str
    terminal_serial: str | None = None
    unit: str
    failure_streak: int
    reason: str
    last_success_at: datetime | None = None
    observed_at: datetime


class TerminalClockDrifted(Event):
    """A terminal's clock is further from the gateway's than the threshold (its punches are stamped wrongly)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-clock-drifted.v1"

    terminal_id: str
    terminal_serial: str | None = None
    unit: str
    drift_seconds: float = Field(description="Terminal clock minus gateway clock")
    threshold_seconds: float
    terminal_time: datetime
    observed_at: datetime


class TerminalRecordsRejected(Event):
    """Records of a terminal's log that could not be read (e.g. an impossible timestamp); the rest went on."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-records-rejected.v1"

    terminal_id: str
    terminal_serial: str | None = None
    unit: str
    rejected: int
    reason: str
    positions: list[int] = Field(description="Positions in the terminal's log (first 100)")
    observed_at: datetime


class TerminalLogNearlyFull(Event):
    """A terminal's attendance log is nearly full (it stops recording, or overwrites, when full)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-log-nearly-full.v1"

    terminal_id: str
    terminal_serial: str | None = None
    unit: str
    records: int
    records_capacity: int
    observed_at: datetime


class TerminalDiagnosisRequested(Event):
    """Routing's repair workflow asks the gateway to examine a terminal; answered by TerminalDiagnosed."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-diagnosis-requested.v1"

    request_id: str
    terminal_id: str = Field(description="The gateway's id of the terminal (the Kafka key)")
    case_id: str | None = Field(default=None, description="Routing's repair case, echoed in the answer")
    requested_at: datetime


class TerminalDiagnosed(Event):
    """The answer to a diagnosis request: what the terminal said (or why it could not be reached)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.attendance.terminal-diagnosed.v1"

    request_id: str
    terminal_id: str
    case_id: str | None = None
    reachable: bool
    reason: str | None = Field(
        default=None, description="Why not, e.g. TIMEOUT, TERMINAL_NOT_FOUND, TERMINAL_BUSY"
    )
    terminal_serial: str | None = None
    firmware: str | None = None
    terminal_time: datetime | None = None
    drift_seconds: float | None = None
    records: int | None = None
    records_capacity: int | None = None
    records_free: int | None = Field(default=None, description="Free attendance-log space, in records")
    users: int | None = None
    last_successful_poll_at: datetime | None = None
    diagnosed_at: datetime


ATTENDANCE_PUNCHES = TOPICS.register(
    TopicSpec(
        name="public.attendance.punches.v1",
        key="nip",
        owner="attendance-gateway",
        description="Fingerprint punches, keyed by employee NIP; de-duplicate by idempotency_key.",
        partitions=6,
        events=(AttendancePunched,),
    )
)
TERMINAL_STATUS = TOPICS.register(
    TopicSpec(
        name="public.attendance.terminal-status.v1",
        key="terminal_id",
        owner="attendance-gateway",
        description="Fingerprint terminals' health, clock drift and unreadable records, keyed by terminal id.",
        events=(
            TerminalHealthChanged,
            TerminalErrorStreak,
            TerminalClockDrifted,
            TerminalRecordsRejected,
            TerminalLogNearlyFull,
            TerminalDiagnosed,
        ),
    )
)
TERMINAL_REQUESTS = TOPICS.register(
    TopicSpec(
        name="public.attendance.terminal-requests.v1",
        key="terminal_id",
        owner="routing",
        description="Requests to the attendance gateway about a terminal (diagnosis), keyed by terminal id.",
        events=(TerminalDiagnosisRequested,),
    )
)


# --- Uploads to BKN: routing asks an uploader, the uploader answers with the outcome ---


class UploadRequested(Event):
    """Routing's processing unit accepted a submission: upload its recap to BKN (a command).

    One request per attempt: a retry after a failure is a new `request_id` with `attempt` + 1.
    The uploader fetches the recap from intake by reference and checks its hash.
    """

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.upload-requested.v1"

    request_id: str = Field(description="Unique per attempt; the uploader's idempotency anchor")
    submission_id: str = Field(description="Intake's id of the submission (the Kafka key)")
    case_id: str
    service_code: str = Field(description="E-LAPKIN or IP-ASN: which uploader acts")
    perangkat_daerah: str = Field(description="Applicant unit")
    period: str | None = Field(default=None, description="Reporting period, YYYY or YYYY-MM")
    recap: RecapReference
    attempt: int = Field(default=1, ge=1)
    requested_by: str | None = Field(default=None, description="Subject of the official who accepted")
    requested_at: datetime


class UploadFinished(Event):
    """An uploader's outcome for one upload request, with counts; routing advances the case."""

    event_type: ClassVar[str] = "id.go.bkpsdm.uploads.upload-finished.v1"

    request_id: str
    submission_id: str = Field(description="The Kafka key")
    case_id: str
    service_code: str
    outcome: str = Field(description="COMPLETED, PARTIALLY_COMPLETED or FAILED")
    rows_total: int
    rows_stored: int = Field(description="Rows BKN stored (or already held, by idempotency key)")
    rows_rejected: int = Field(description="Rows BKN refused as invalid; retrying will not help")
    rows_failed: int = Field(description="Rows not stored for a transient reason (retry may help)")
    reasons: list[str] = Field(default_factory=list, description="Why, in Indonesian (failed or partial)")
    adapter: str = Field(description="http (BKN's API) or export-file (an operator imports it by hand)")
    rules_version: str | None = Field(default=None, description="Rule set the rows were mapped under")
    report_url: str | None = Field(default=None, description="Path on the uploader serving the upload report")
    finished_at: datetime


UPLOAD_REQUESTS = TOPICS.register(
    TopicSpec(
        name="internal.routing.upload-requests.v1",
        key="submission_id",
        owner="routing",
        description="Upload commands from routing to the BKN uploaders, keyed by submission id.",
        events=(UploadRequested,),
    )
)
LAPKIN_UPLOADS = TOPICS.register(
    TopicSpec(
        name="public.lapkin.uploads.v1",
        key="submission_id",
        owner="lapkin-uploader",
        description="E-LAPKIN upload outcomes (counts per outcome), keyed by submission id.",
        events=(UploadFinished,),
    )
)
IPASN_UPLOADS = TOPICS.register(
    TopicSpec(
        name="public.ipasn.uploads.v1",
        key="submission_id",
        owner="ipasn-uploader",
        description="IP-ASN upload outcomes (counts per outcome), keyed by submission id.",
        events=(UploadFinished,),
    )
)
