"""In-memory adapters for routing's use cases: unit tests run the real use cases on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bkpsdm.common.memory import InMemoryUnitOfWork
from bkpsdm.routing.domain.case import Case, CaseStatus, HistoryEntry
from bkpsdm.routing.domain.delegation import Delegation
from bkpsdm.routing.domain.disposisi import Disposisi, Read
from bkpsdm.routing.ports import StoredKey


def _held(case: Case, holders: Sequence[tuple[str, str | None]], role: str | None, unit: str | None) -> bool:
    return any(role == r and (unit is None or unit == u) for r, u in holders)


class InMemoryCaseRepository:
    def __init__(self) -> None:
        self.cases: dict[str, tuple[Case, str | None]] = {}
        self.submissions: dict[str, str] = {}
        self.entries: dict[str, list[HistoryEntry]] = {}
        self.counters: dict[int, int] = {}
        self.disposisi_by_id: dict[str, Disposisi] = {}
        self.delegations_by_id: dict[str, Delegation] = {}
        self.keys: dict[tuple[str, str], StoredKey] = {}

    async def add(self, case: Case, correlation_id: str | None) -> bool:
        if case.submission_id in self.submissions:
            return False
        self.cases[case.case_id] = (replace(case, correlation_id=correlation_id), correlation_id)
        self.submissions[case.submission_id] = case.case_id
        return True

    async def get(self, case_id: str, *, for_update: bool = False) -> Case | None:
        found = self.cases.get(case_id)
        return found[0] if found else None

    async def by_submission(self, submission_id: str, *, for_update: bool = False) -> Case | None:
        case_id = self.submissions.get(submission_id)
        return None if case_id is None else await self.get(case_id)

    async def save(self, case: Case) -> None:
        self.cases[case.case_id] = (case, self.cases[case.case_id][1])

    async def link_submission(self, submission_id: str, case_id: str, at: datetime) -> bool:
        if submission_id in self.submissions:
            return False
        self.submissions[submission_id] = case_id
        return True

    async def submissions_of(self, case_id: str) -> list[str]:
        return [s for s, c in self.submissions.items() if c == case_id]

    async def append_history(self, entry: HistoryEntry) -> HistoryEntry:
        entries = self.entries.setdefault(entry.case_id, [])
        stored = replace(entry, seq=len(entries) + 1)
        entries.append(stored)
        return stored

    async def history(self, case_id: str) -> list[HistoryEntry]:
        return list(self.entries.get(case_id, []))

    async def next_agenda_seq(self, year: int) -> int:
        self.counters[year] = self.counters.get(year, 0) + 1
        return self.counters[year]

    async def add_disposisi(self, disposisi: Disposisi) -> None:
        self.disposisi_by_id[disposisi.disposisi_id] = disposisi

    async def disposisi(self, disposisi_id: str, *, for_update: bool = False) -> Disposisi | None:
        return self.disposisi_by_id.get(disposisi_id)

    async def disposisi_of(self, case_id: str) -> list[Disposisi]:
        return [d for d in self.disposisi_by_id.values() if d.case_id == case_id]

    async def withdraw_disposisi(self, disposisi_id: str, at: datetime) -> None:
        d = self.disposisi_by_id[disposisi_id]
        self.disposisi_by_id[disposisi_id] = replace(d, withdrawn_at=at)

    async def record_read(self, disposisi_id: str, read: Read) -> bool:
        d = self.disposisi_by_id[disposisi_id]
        if any(r.reader_subject == read.reader_subject for r in d.reads):
            return False
        self.disposisi_by_id[disposisi_id] = replace(d, reads=(*d.reads, read))
        return True

    async def add_delegation(self, delegation: Delegation) -> None:
        self.delegations_by_id[delegation.delegation_id] = delegation

    async def delegation(self, delegation_id: str, *, for_update: bool = False) -> Delegation | None:
        return self.delegations_by_id.get(delegation_id)

    async def revoke_delegation(self, delegation_id: str, at: datetime) -> None:
        d = self.delegations_by_id[delegation_id]
        self.delegations_by_id[delegation_id] = replace(d, revoked_at=at)

    async def delegations(
        self, *, active_at: datetime | None, subject: str | None = None
    ) -> list[Delegation]:
        return [
            d
            for d in self.delegations_by_id.values()
            if (active_at is None or d.active(active_at))
            and (subject is None or d.delegate_subject == subject)
        ]

    async def claim_key(
        self, subject: str, key: str, case_id: str, action: str, fingerprint: str, at: datetime
    ) -> bool:
        if (subject, key) in self.keys:
            return False
        self.keys[(subject, key)] = StoredKey(case_id, action, fingerprint, None)
        return True

    async def stored_key(self, subject: str, key: str) -> StoredKey | None:
        return self.keys.get((subject, key))

    async def save_key_response(self, subject: str, key: str, response: Mapping[str, Any]) -> None:
        self.keys[(subject, key)] = replace(self.keys[(subject, key)], response=dict(response))

    async def inbox(
        self, holders: Sequence[tuple[str, str | None]], limit: int, offset: int
    ) -> list[tuple[Case, bool]]:
        found = []
        for case, _ in self.cases.values():
            if case.status is CaseStatus.DONE:
                continue
            held = _held(case, holders, case.holder_role, case.holder_unit)
            escalated = _held(case, holders, case.escalated_to_role, case.escalated_to_unit)
            if held or escalated:
                found.append((case, not held))
        found.sort(
            key=lambda item: (
                item[0].step_due_at.timestamp() if item[0].step_due_at else float("inf"),
                item[0].step_entered_at.timestamp(),
            )
        )
        return found[offset : offset + limit]


class InMemoryDeadlines:
    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}

    async def schedule(
        self, aggregate_id: str, kind: str, due_at: datetime, payload: Mapping[str, Any]
    ) -> None:
        self.pending[(aggregate_id, kind)] = (due_at, dict(payload))

    async def cancel(self, aggregate_id: str, kind: str | None = None) -> int:
        gone = [k for k in self.pending if k[0] == aggregate_id and (kind is None or k[1] == kind)]
        for k in gone:
            del self.pending[k]
        return len(gone)

    def due(self, at: datetime) -> list[tuple[str, str, dict[str, Any]]]:
        """Take every deadline due at `at`, soonest first (as a firer would)."""
        ready = sorted((v[0], k) for k, v in self.pending.items() if v[0] <= at)
        taken = []
        for _, key in ready:
            _, payload = self.pending.pop(key)
            taken.append((key[0], key[1], payload))
        return taken


class InMemoryRoutingUnitOfWork(InMemoryUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.cases = InMemoryCaseRepository()
        self.deadlines = InMemoryDeadlines()
