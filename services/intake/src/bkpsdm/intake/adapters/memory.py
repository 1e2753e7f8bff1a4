"""In-memory adapters for intake's use cases: unit tests run the real use cases on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.common.memory import InMemoryOutbox, InMemoryUnitOfWork
from bkpsdm.intake.domain.listing import ListedSubmission, SubmissionFilter
from bkpsdm.intake.domain.submission import Submission, SubmissionStatus, TimelineEntry


@dataclass
class _Row:
    submission: Submission
    correlation_id: str
    fingerprint: str | None
    recap_nips: list[str] | None


@dataclass
class InMemorySubmissionRepository:
    rows: dict[str, _Row] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    sequences: dict[tuple[str, int], int] = field(default_factory=dict)
    timelines: dict[str, list[TimelineEntry]] = field(default_factory=dict)
    status_writes: int = 0
    outbox: InMemoryOutbox | None = None  # the unit of work's, for the events `add` announces

    async def add(
        self,
        submission: Submission,
        correlation_id: str,
        *,
        received: TimelineEntry,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        recap_nips: list[str] | None = None,
        announced: SubmissionReceived | None = None,
    ) -> bool:
        if idempotency_key is not None:
            if idempotency_key in self.keys:
                return False
            self.keys[idempotency_key] = submission.submission_id
        self.rows[submission.submission_id] = _Row(submission, correlation_id, fingerprint, recap_nips)
        self.timelines.setdefault(submission.submission_id, []).append(received)
        if announced is not None:
            assert self.outbox is not None, "an announcing repository needs its unit of work's outbox"
            await self.outbox.add(SUBMISSIONS, announced, correlation_id=correlation_id)
        return True

    async def by_idempotency_key(self, idempotency_key: str) -> tuple[Submission, str | None] | None:
        submission_id = self.keys.get(idempotency_key)
        if submission_id is None:
            return None
        row = self.rows[submission_id]
        return row.submission, row.fingerprint

    async def get(self, submission_id: str, *, for_update: bool = False) -> Submission | None:
        row = self.rows.get(submission_id)
        return row.submission if row else None

    async def by_receipt(self, receipt_number: str) -> Submission | None:
        return next(
            (r.submission for r in self.rows.values() if r.submission.receipt_number == receipt_number), None
        )

    async def save_status(self, submission: Submission) -> None:
        self.status_writes += 1
        self.rows[submission.submission_id].submission = submission

    async def accepted_nips(
        self, perangkat_daerah: str, service_code: str, period: str, excluding: str | None
    ) -> set[str]:
        return {
            nip
            for r in self.rows.values()
            if (r.submission.perangkat_daerah, r.submission.service_code, r.submission.period)
            == (perangkat_daerah, service_code, period)
            and r.submission.status is not SubmissionStatus.RETURNED
            and r.submission.replaced_by is None
            and r.submission.submission_id != excluding
            for nip in r.recap_nips or ()
        }

    async def next_receipt_seq(self, service_code: str, year: int) -> int:
        value = self.sequences.get((service_code, year), 0) + 1
        self.sequences[(service_code, year)] = value
        return value

    async def listed(self, wanted: SubmissionFilter) -> list[ListedSubmission]:
        found = [
            listed(r.submission)
            for r in self.rows.values()
            if wanted.unit in (None, r.submission.perangkat_daerah)
            and wanted.service_code in (None, r.submission.service_code)
            and wanted.status in (None, r.submission.status)
        ]
        found = [s for s in found if wanted.after is None or s.key < wanted.after]
        return sorted(found, key=lambda s: s.key, reverse=True)[: wanted.limit + 1]

    async def add_timeline(self, submission_id: str, entry: TimelineEntry) -> None:
        self.timelines.setdefault(submission_id, []).append(entry)

    async def timeline(self, submission_id: str) -> list[TimelineEntry]:
        return sorted(self.timelines.get(submission_id, []), key=lambda e: e.at)


def listed(s: Submission) -> ListedSubmission:
    return ListedSubmission(
        submission_id=s.submission_id,
        receipt_number=s.receipt_number,
        service_code=s.service_code,
        perangkat_daerah=s.perangkat_daerah,
        title=s.title,
        period=s.period,
        received_at=s.received_at,
        status=s.status,
        current_step=s.current_step,
        holder_role=s.holder_role,
        due_at=s.due_at,
        step_due_at=s.step_due_at,
        replaces=s.replaces,
        replaced_by=s.replaced_by,
    )


class InMemoryIntakeUnitOfWork(InMemoryUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.submissions = InMemorySubmissionRepository(outbox=self.outbox)
