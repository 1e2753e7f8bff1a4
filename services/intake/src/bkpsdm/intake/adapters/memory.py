"""In-memory adapters for intake's use cases: unit tests run the real use cases on them."""

from __future__ import annotations

import dataclasses

from bkpsdm.common.memory import InMemoryUnitOfWork
from bkpsdm.intake.domain.submission import Submission


class InMemorySubmissionRepository:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[Submission, str]] = {}
        self.keys: dict[str, str] = {}
        self.status_writes = 0

    async def add(
        self, submission: Submission, correlation_id: str, idempotency_key: str | None = None
    ) -> bool:
        if idempotency_key is not None:
            if idempotency_key in self.keys:
                return False
            self.keys[idempotency_key] = submission.submission_id
        self.rows[submission.submission_id] = (submission, correlation_id)
        return True

    async def by_idempotency_key(self, idempotency_key: str) -> Submission | None:
        submission_id = self.keys.get(idempotency_key)
        return self.rows[submission_id][0] if submission_id else None

    async def get(self, submission_id: str, *, for_update: bool = False) -> Submission | None:
        row = self.rows.get(submission_id)
        return row[0] if row else None

    async def save_status(self, submission: Submission) -> None:
        self.status_writes += 1
        _, correlation_id = self.rows[submission.submission_id]
        self.rows[submission.submission_id] = (dataclasses.replace(submission), correlation_id)


class InMemoryIntakeUnitOfWork(InMemoryUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.submissions = InMemorySubmissionRepository()
