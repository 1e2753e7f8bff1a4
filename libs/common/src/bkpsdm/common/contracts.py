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
    # Added with issue 7; optional. For a case started inside the agency (no submission),
    # `submission_id` carries the case id.
    action: str | None = Field(default=None, description="What moved the case, e.g. register, disposisi")
    actor_role: str | None = Field(
        default=None, description="Role the actor held; None when routing moved it"
    )
    acting_for: str | None = Field(default=None, description="Plt/Plh: the role the actor stood in for")


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


# --- Complaints (complaints): complaints from every channel, their lifecycle and SLA clocks ---
# Public contract: no reporter identity, no report text and no ticket code (the reporter's key
# to follow and answer the complaint) ever ride in these events; the complaint stays in the service.


class ComplaintReceived(Event):
    """A complaint, suggestion or request arrived through one of the agency's channels."""

    event_type: ClassVar[str] = "id.go.bkpsdm.complaints.complaint-received.v1"

    complaint_id: str = Field(description="The complaints service's id (the Kafka key)")
    channel: str = Field(
        description="WEBSITE, EMAIL, SMS, TATAP_MUKA, KOTAK_SARAN, SURAT, TELEPON, FAKSIMILE or SP4N_LAPOR"
    )
    classification: str = Field(description="ASPIRASI, PENGADUAN, PERMINTAAN_INFORMASI or WHISTLE_BLOWING")
    anonim: bool = Field(description="The reporter is hidden from the public and the party reported")
    rahasia: bool = Field(description="The whole report is hidden from the public")
    receipt_number: str | None = Field(default=None, description="The submission it is about, if any")
    lapor_id: str | None = Field(default=None, description="SP4N-LAPOR! tracking id, if it came from there")
    received_at: datetime
    verify_due_at: datetime = Field(description="Verification and forwarding due, in service hours")


class ComplaintStatusChanged(Event):
    """An official (or the clock) moved a complaint; every change is also a history row."""

    event_type: ClassVar[str] = "id.go.bkpsdm.complaints.complaint-status-changed.v1"

    complaint_id: str
    status: str = Field(
        description="DITERIMA, TERVERIFIKASI, DITUNDA, BUKAN_WEWENANG, DIARSIPKAN, DIDISPOSISI,"
        " DITINDAKLANJUTI, DIJAWAB or SELESAI"
    )
    previous_status: str
    action: str = Field(description="What moved it, e.g. VERIFY, ASSIGN, ANSWER, AUTO_CLOSE, REPLY")
    actor_role: str | None = Field(default=None, description="Role of who acted; None for the clock")
    assigned_unit: str | None = Field(default=None, description="The unit the complaint is disposed to")
    due_at: datetime | None = Field(default=None, description="When the clock now running is due")
    changed_at: datetime


class ComplaintReplied(Event):
    """The reporter answered (by ticket code, e-mail or SMS); an answered complaint reopens."""

    event_type: ClassVar[str] = "id.go.bkpsdm.complaints.complaint-replied.v1"

    complaint_id: str
    channel: str
    status: str = Field(description="The complaint's status after the reply")
    replied_at: datetime


class ComplaintSlaWarning(Event):
    """An SLA clock is about to run out (a configured time before it is due)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.complaints.complaint-sla-warning.v1"

    complaint_id: str
    clock: str = Field(description="VERIFIKASI (verify and forward) or TINDAK_LANJUT (the unit's follow-up)")
    status: str
    due_at: datetime
    observed_at: datetime


class ComplaintSlaBreached(Event):
    """An SLA clock ran out before the complaint moved on."""

    event_type: ClassVar[str] = "id.go.bkpsdm.complaints.complaint-sla-breached.v1"

    complaint_id: str
    clock: str = Field(description="VERIFIKASI or TINDAK_LANJUT")
    status: str
    assigned_unit: str | None = None
    due_at: datetime
    breached_at: datetime


COMPLAINTS = TOPICS.register(
    TopicSpec(
        name="public.complaints.complaints.v1",
        key="complaint_id",
        owner="complaints",
        description="Complaints' lifecycle and SLA clocks, keyed by complaint id; no reporter identity.",
        events=(
            ComplaintReceived,
            ComplaintStatusChanged,
            ComplaintReplied,
            ComplaintSlaWarning,
            ComplaintSlaBreached,
        ),
    )
)


# --- Routing (routing): SLA clocks of cases, and notifications for officials ---


class CaseDeadlineApproaching(Event):
    """A case's step (or the whole case) is due soon: the configured share of its SLA is left."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.case-deadline-approaching.v1"

    case_id: str = Field(description="Routing's case id (the Kafka key)")
    submission_id: str | None = Field(default=None, description="None for a case started inside the agency")
    service_code: str
    scope: str = Field(description="STEP (the current step's SLA) or CASE (the whole service's)")
    step: str
    step_label: str | None = None
    holder_role: str | None
    holder_unit: str | None = None
    due_at: datetime
    observed_at: datetime


class CaseDeadlineBreached(Event):
    """A case's step (or the whole case) is past its due time in service hours."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.case-deadline-breached.v1"

    case_id: str
    submission_id: str | None = None
    service_code: str
    scope: str = Field(description="STEP or CASE")
    step: str
    step_label: str | None = None
    holder_role: str | None
    holder_unit: str | None = None
    due_at: datetime
    breached_at: datetime


class CaseEscalated(Event):
    """A late case went one level up the hierarchy (and one more at each further interval)."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.case-escalated.v1"

    case_id: str
    submission_id: str | None = None
    service_code: str
    step: str
    holder_role: str | None
    holder_unit: str | None = None
    escalated_to_role: str
    escalated_to_unit: str | None = None
    level: int = Field(ge=1, description="1 = the holder's supervisor, 2 = theirs, ...")
    due_at: datetime
    escalated_at: datetime


ROUTING_SLA = TOPICS.register(
    TopicSpec(
        name="public.routing.sla.v1",
        key="case_id",
        owner="routing",
        description="SLA warnings, breaches and escalations of routing's cases, keyed by case id.",
        events=(CaseDeadlineApproaching, CaseDeadlineBreached, CaseEscalated),
    )
)


class NotificationRaised(Event):
    """Someone should hear of something (who, what, link): a case arrived in their inbox, a
    disposisi or a copy reached them, a deadline is near or passed, a case was escalated or
    returned. A notifier delivers it (e-mail, chat); routing only raises it."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.notification-raised.v1"

    notification_id: str
    case_id: str = Field(description="The Kafka key")
    kind: str = Field(
        description="INBOX, DISPOSISI, TEMBUSAN, DISPOSISI_DITARIK, SLA_WARNING, SLA_BREACH, ESKALASI"
        " or DIKEMBALIKAN"
    )
    recipient_role: str
    recipient_unit: str | None = Field(default=None, description="None: the role's holder in any unit")
    recipient_subject: str | None = Field(
        default=None, description="A named person (an acting official, Plt/Plh); None: whoever holds the role"
    )
    title: str = Field(description="What happened, in Indonesian")
    message: str
    link: str = Field(description="The case on routing's API, e.g. /api/v1/cases/{case_id}")
    due_at: datetime | None = None
    raised_at: datetime


ROUTING_NOTIFICATIONS = TOPICS.register(
    TopicSpec(
        name="internal.routing.notifications.v1",
        key="case_id",
        owner="routing",
        description="Notifications for officials and applicant units (who, what, link), keyed by case id.",
        events=(NotificationRaised,),
    )
)
