"""What routing's use cases need from the outside world (repositories, deadlines) and the
configuration they run with. Adapters implement these; tests use the in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.routing.domain import errors
from bkpsdm.routing.domain.case import Case, HistoryEntry
from bkpsdm.routing.domain.delegation import Delegation
from bkpsdm.routing.domain.disposisi import Disposisi, Read
from bkpsdm.routing.domain.rules import RoutingRules
from bkpsdm.routing.domain.sla import SlaClock
from bkpsdm.routing.domain.workflow import WorkflowDefinition, Workflows


@dataclass(frozen=True)
class StoredKey:
    case_id: str
    action: str
    fingerprint: str
    response: dict[str, Any] | None


class CaseRepository(Protocol):
    async def add(self, case: Case, correlation_id: str | None) -> bool:
        """False when the case's submission already has a case (the first one stands)."""
        ...

    async def get(self, case_id: str, *, for_update: bool = False) -> Case | None: ...
    async def by_submission(self, submission_id: str, *, for_update: bool = False) -> Case | None: ...
    async def save(self, case: Case) -> None: ...
    async def link_submission(self, submission_id: str, case_id: str, at: datetime) -> bool: ...
    async def submissions_of(self, case_id: str) -> list[str]: ...
    async def append_history(self, entry: HistoryEntry) -> HistoryEntry: ...
    async def history(self, case_id: str) -> list[HistoryEntry]: ...
    async def next_agenda_seq(self, year: int) -> int: ...
    async def add_disposisi(self, disposisi: Disposisi) -> None: ...
    async def disposisi(self, disposisi_id: str, *, for_update: bool = False) -> Disposisi | None: ...
    async def disposisi_of(self, case_id: str) -> list[Disposisi]: ...
    async def withdraw_disposisi(self, disposisi_id: str, at: datetime) -> None: ...
    async def record_read(self, disposisi_id: str, read: Read) -> bool: ...
    async def add_delegation(self, delegation: Delegation) -> None: ...
    async def delegation(self, delegation_id: str, *, for_update: bool = False) -> Delegation | None: ...
    async def revoke_delegation(self, delegation_id: str, at: datetime) -> None: ...
    async def delegations(
        self, *, active_at: datetime | None, subject: str | None = None
    ) -> list[Delegation]:
        """Every delegation (`active_at` None) or those active then; of one delegate if `subject`."""
        ...

    async def claim_key(
        self, subject: str, key: str, case_id: str, action: str, fingerprint: str, at: datetime
    ) -> bool:
        """True for the first use of (subject, key); a concurrent claim waits for this one's commit."""
        ...

    async def stored_key(self, subject: str, key: str) -> StoredKey | None: ...
    async def save_key_response(self, subject: str, key: str, response: Mapping[str, Any]) -> None: ...
    async def inbox(
        self, holders: Sequence[tuple[str, str | None]], limit: int, offset: int
    ) -> list[tuple[Case, bool]]:
        """Open cases held by any (role, unit), or escalated to one (the flag), soonest due first."""
        ...


class DeadlineScheduler(Protocol):
    async def schedule(
        self, aggregate_id: str, kind: str, due_at: datetime, payload: Mapping[str, Any]
    ) -> None: ...
    async def cancel(self, aggregate_id: str, kind: str | None = None) -> int: ...


class RoutingUnitOfWork(UnitOfWork, Protocol):
    @property
    def cases(self) -> CaseRepository: ...

    @property
    def deadlines(self) -> DeadlineScheduler: ...


@dataclass(frozen=True)
class RoutingContext:
    """The rules a use case runs under, and the clock (injectable: tests move time)."""

    workflows: Workflows
    rules: RoutingRules
    sla: SlaClock
    clock: Callable[[], datetime]
    diagnosis_timeout: timedelta
    intake_url: str = ""

    def definition(self, case: Case) -> WorkflowDefinition:
        found = self.workflows.by_key(case.workflow_version)
        if found is None:
            raise DomainError(errors.WORKFLOW_UNAVAILABLE, {"workflow_version": case.workflow_version})
        return found
