"""In-memory adapters for routing's use cases: unit tests run the real use cases on them."""

from __future__ import annotations

from bkpsdm.common.memory import InMemoryUnitOfWork
from bkpsdm.routing.domain.case import Case


class InMemoryCaseRepository:
    def __init__(self) -> None:
        self.by_submission_id: dict[str, tuple[Case, str | None]] = {}

    async def add(self, case: Case, correlation_id: str | None) -> bool:
        if case.submission_id in self.by_submission_id:
            return False
        self.by_submission_id[case.submission_id] = (case, correlation_id)
        return True

    async def by_submission(self, submission_id: str) -> Case | None:
        row = self.by_submission_id.get(submission_id)
        return row[0] if row else None


class InMemoryRoutingUnitOfWork(InMemoryUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.cases = InMemoryCaseRepository()
