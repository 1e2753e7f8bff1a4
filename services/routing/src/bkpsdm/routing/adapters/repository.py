"""Cases, their history, disposisi, delegations and client keys in routing's schema, and the
units of work that carry them (one that owns its transaction, one inside a caller's)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import asyncpg

from bkpsdm.common import deadlines
from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.uow import PostgresInbox, PostgresOutbox, PostgresUnitOfWork
from bkpsdm.routing.adapters.statistics import PostgresStatistics
from bkpsdm.routing.domain.case import Case, CaseStatus, HistoryEntry, Origin
from bkpsdm.routing.domain.delegation import Delegation, DelegationKind
from bkpsdm.routing.domain.disposisi import Addressee, Disposisi, Read
from bkpsdm.routing.ports import StoredKey


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _case(row: asyncpg.Record) -> Case:
    return Case(
        case_id=str(row["case_id"]),
        submission_id=row["submission_id"],
        current_submission_id=row["current_submission_id"],
        service_code=row["service_code"],
        perangkat_daerah=row["perangkat_daerah"],
        title=row["title"],
        workflow_version=row["workflow_version"],
        rules_version=row["rules_version"],
        calendar_version=row["calendar_version"],
        origin=Origin(row["origin"]),
        opened_at=row["opened_at"],
        opened_by=row["opened_by"],
        status=CaseStatus(row["status"]),
        step=row["step"],
        holder_role=row["holder_role"],
        holder_unit=row["holder_unit"],
        step_entered_at=row["step_entered_at"],
        step_due_at=row["step_due_at"],
        step_visit=row["step_visit"],
        case_due_at=row["case_due_at"],
        sla_round=row["sla_round"],
        agenda_number=row["agenda_number"],
        period=row["period"],
        recap=_json(row["recap"]),
        documents=tuple(_json(row["documents"])),
        request=_json(row["request"]),
        upload_request_id=row["upload_request_id"],
        upload_attempt=row["upload_attempt"],
        diagnosis_request_id=row["diagnosis_request_id"],
        diagnosis=_json(row["diagnosis"]),
        escalated_to_role=row["escalated_to_role"],
        escalated_to_unit=row["escalated_to_unit"],
        escalation_level=row["escalation_level"],
        correlation_id=row["correlation_id"],
    )


_MUTABLE = (
    "current_submission_id",
    "title",
    "status",
    "step",
    "holder_role",
    "holder_unit",
    "step_entered_at",
    "step_due_at",
    "step_visit",
    "case_due_at",
    "sla_round",
    "agenda_number",
    "period",
    "recap",
    "documents",
    "request",
    "upload_request_id",
    "upload_attempt",
    "diagnosis_request_id",
    "diagnosis",
    "escalated_to_role",
    "escalated_to_unit",
    "escalation_level",
)
_JSON = {"recap", "documents", "request", "diagnosis"}


def _value(case: Case, column: str) -> Any:
    value = getattr(case, column)
    if column in _JSON:
        return None if value is None else json.dumps(list(value) if column == "documents" else value)
    if column == "status":
        return value.value
    return value


def _delegation(row: asyncpg.Record) -> Delegation:
    return Delegation(
        delegation_id=str(row["delegation_id"]),
        role=row["role"],
        unit=row["unit"],
        delegate_subject=row["delegate_subject"],
        delegate_name=row["delegate_name"],
        kind=DelegationKind(row["kind"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        for_name=row["for_name"],
        granted_by_subject=row["granted_by_subject"],
        granted_by_name=row["granted_by_name"],
        granted_at=row["granted_at"],
        revoked_at=row["revoked_at"],
    )


def _addressees(value: Any) -> tuple[Addressee, ...]:
    return tuple(Addressee(a["role"], a.get("unit")) for a in _json(value))


class PostgresCaseRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)
        self._active: dict[datetime, list[Delegation]] = {}

    async def add(self, case: Case, correlation_id: str | None) -> bool:
        # One statement: the case and the link from its submission.
        inserted = await self._conn.fetchval(
            f"WITH c AS (INSERT INTO {self._s}.cases (case_id, submission_id, service_code, perangkat_daerah,"
            " workflow_version, opened_at, correlation_id, rules_version, calendar_version, origin, opened_by,"
            f" {', '.join(_MUTABLE)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
            f" {', '.join(f'${i}' for i in range(12, 12 + len(_MUTABLE)))})"
            " ON CONFLICT (submission_id) DO NOTHING RETURNING case_id, submission_id, opened_at)"
            f" INSERT INTO {self._s}.case_submissions (submission_id, case_id, linked_at)"
            " SELECT submission_id, case_id, opened_at FROM c RETURNING true",
            uuid.UUID(case.case_id),
            case.submission_id,
            case.service_code,
            case.perangkat_daerah,
            case.workflow_version,
            case.opened_at,
            correlation_id,
            case.rules_version,
            case.calendar_version,
            case.origin.value,
            case.opened_by,
            *(_value(case, c) for c in _MUTABLE),
        )
        return bool(inserted)

    async def get(self, case_id: str, *, for_update: bool = False) -> Case | None:
        key = _uuid(case_id)
        if key is None:
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM {self._s}.cases WHERE case_id = $1{lock}", key)
        return None if row is None else _case(row)

    async def by_submission(self, submission_id: str, *, for_update: bool = False) -> Case | None:
        lock = " FOR UPDATE OF c" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT c.* FROM {self._s}.case_submissions s JOIN {self._s}.cases c USING (case_id)"
            f" WHERE s.submission_id = $1{lock}",
            submission_id,
        )
        return None if row is None else _case(row)

    async def save(self, case: Case) -> None:
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(_MUTABLE, start=2))
        await self._conn.execute(
            f"UPDATE {self._s}.cases SET {sets} WHERE case_id = $1",
            uuid.UUID(case.case_id),
            *(_value(case, c) for c in _MUTABLE),
        )

    async def link_submission(self, submission_id: str, case_id: str, at: datetime) -> bool:
        linked = await self._conn.fetchval(
            f"INSERT INTO {self._s}.case_submissions (submission_id, case_id, linked_at) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            submission_id,
            uuid.UUID(case_id),
            at,
        )
        return bool(linked)

    async def submissions_of(self, case_id: str) -> list[str]:
        rows = await self._conn.fetch(
            f"SELECT submission_id FROM {self._s}.case_submissions WHERE case_id = $1 ORDER BY linked_at",
            uuid.UUID(case_id),
        )
        return [r["submission_id"] for r in rows]

    async def append_history(self, entry: HistoryEntry) -> HistoryEntry:
        # The case row is locked by the caller, so max(seq) + 1 is taken by one writer at a time.
        seq = await self._conn.fetchval(
            f"INSERT INTO {self._s}.case_history (case_id, seq, at, action, from_step, to_step,"
            " actor_subject, actor_name, actor_role, acting_for, note, details)"
            f" SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11::jsonb"
            f" FROM {self._s}.case_history WHERE case_id = $1 RETURNING seq",
            uuid.UUID(entry.case_id),
            entry.at,
            entry.action,
            entry.from_step,
            entry.to_step,
            entry.actor_subject,
            entry.actor_name,
            entry.actor_role,
            None if entry.acting_for is None else json.dumps(entry.acting_for),
            entry.note,
            json.dumps(entry.details),
        )
        return HistoryEntry(**{**entry.__dict__, "seq": seq})

    async def history(self, case_id: str) -> list[HistoryEntry]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.case_history WHERE case_id = $1 ORDER BY seq", uuid.UUID(case_id)
        )
        return [
            HistoryEntry(
                case_id=str(r["case_id"]),
                at=r["at"],
                action=r["action"],
                from_step=r["from_step"],
                to_step=r["to_step"],
                actor_subject=r["actor_subject"],
                actor_name=r["actor_name"],
                actor_role=r["actor_role"],
                acting_for=_json(r["acting_for"]),
                note=r["note"],
                details=_json(r["details"]),
                seq=r["seq"],
            )
            for r in rows
        ]

    async def next_agenda_seq(self, year: int) -> int:
        # The row stays locked until the registration commits or rolls back (then the number
        # is given back): concurrent registrations queue here, and the book has no gaps.
        seq = await self._conn.fetchval(
            f"INSERT INTO {self._s}.agenda_counters (year, last) VALUES ($1, 1)"
            " ON CONFLICT (year) DO UPDATE SET last = agenda_counters.last + 1 RETURNING last",
            year,
        )
        return int(seq)

    async def add_disposisi(self, disposisi: Disposisi) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._s}.disposisi (disposisi_id, case_id, from_step, to_step, instructions, note,"
            " recipients, tembusan, due_at, issued_by_subject, issued_by_name, issued_role, issued_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13)",
            uuid.UUID(disposisi.disposisi_id),
            uuid.UUID(disposisi.case_id),
            disposisi.from_step,
            disposisi.to_step,
            list(disposisi.instructions),
            disposisi.note,
            json.dumps([a.__dict__ for a in disposisi.recipients]),
            json.dumps([a.__dict__ for a in disposisi.tembusan]),
            disposisi.due_at,
            disposisi.issued_by_subject,
            disposisi.issued_by_name,
            disposisi.issued_role,
            disposisi.issued_at,
        )

    async def _reads(self, ids: Sequence[uuid.UUID]) -> dict[str, tuple[Read, ...]]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.disposisi_reads WHERE disposisi_id = ANY($1) ORDER BY read_at",
            list(ids),
        )
        reads: dict[str, list[Read]] = {}
        for r in rows:
            reads.setdefault(str(r["disposisi_id"]), []).append(
                Read(r["reader_subject"], r["reader_name"], r["reader_role"], r["read_at"])
            )
        return {k: tuple(v) for k, v in reads.items()}

    def _disposisi(self, row: asyncpg.Record, reads: Mapping[str, tuple[Read, ...]]) -> Disposisi:
        disposisi_id = str(row["disposisi_id"])
        return Disposisi(
            disposisi_id=disposisi_id,
            case_id=str(row["case_id"]),
            from_step=row["from_step"],
            to_step=row["to_step"],
            instructions=tuple(row["instructions"]),
            note=row["note"],
            recipients=_addressees(row["recipients"]),
            tembusan=_addressees(row["tembusan"]),
            due_at=row["due_at"],
            issued_by_subject=row["issued_by_subject"],
            issued_by_name=row["issued_by_name"],
            issued_role=row["issued_role"],
            issued_at=row["issued_at"],
            withdrawn_at=row["withdrawn_at"],
            reads=reads.get(disposisi_id, ()),
        )

    async def disposisi(self, disposisi_id: str, *, for_update: bool = False) -> Disposisi | None:
        key = _uuid(disposisi_id)
        if key is None:
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.disposisi WHERE disposisi_id = $1{lock}", key
        )
        if row is None:
            return None
        return self._disposisi(row, await self._reads([key]))

    async def disposisi_of(self, case_id: str) -> list[Disposisi]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.disposisi WHERE case_id = $1 ORDER BY issued_at", uuid.UUID(case_id)
        )
        reads = await self._reads([r["disposisi_id"] for r in rows]) if rows else {}
        return [self._disposisi(r, reads) for r in rows]

    async def withdraw_disposisi(self, disposisi_id: str, at: datetime) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.disposisi SET withdrawn_at = $2 WHERE disposisi_id = $1",
            uuid.UUID(disposisi_id),
            at,
        )

    async def record_read(self, disposisi_id: str, read: Read) -> bool:
        recorded = await self._conn.fetchval(
            f"INSERT INTO {self._s}.disposisi_reads (disposisi_id, reader_subject, reader_name, reader_role, read_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(disposisi_id),
            read.reader_subject,
            read.reader_name,
            read.reader_role,
            read.read_at,
        )
        return bool(recorded)

    async def add_delegation(self, delegation: Delegation) -> None:
        self._active.clear()
        d = delegation
        await self._conn.execute(
            f"INSERT INTO {self._s}.delegations (delegation_id, role, unit, delegate_subject, delegate_name, kind,"
            " starts_at, ends_at, for_name, granted_by_subject, granted_by_name, granted_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            uuid.UUID(d.delegation_id),
            d.role,
            d.unit,
            d.delegate_subject,
            d.delegate_name,
            d.kind.value,
            d.starts_at,
            d.ends_at,
            d.for_name,
            d.granted_by_subject,
            d.granted_by_name,
            d.granted_at,
        )

    async def delegation(self, delegation_id: str, *, for_update: bool = False) -> Delegation | None:
        key = _uuid(delegation_id)
        if key is None:
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.delegations WHERE delegation_id = $1{lock}", key
        )
        return None if row is None else _delegation(row)

    async def revoke_delegation(self, delegation_id: str, at: datetime) -> None:
        self._active.clear()
        await self._conn.execute(
            f"UPDATE {self._s}.delegations SET revoked_at = $2 WHERE delegation_id = $1",
            uuid.UUID(delegation_id),
            at,
        )

    async def delegations(
        self, *, active_at: datetime | None, subject: str | None = None
    ) -> list[Delegation]:
        if active_at is None:
            rows = await self._conn.fetch(
                f"SELECT * FROM {self._s}.delegations ORDER BY starts_at, delegation_id"
            )
            return [_delegation(r) for r in rows if subject is None or r["delegate_subject"] == subject]
        # One use case asks more than once (who acts, whom to notify): read once per transaction.
        if active_at not in self._active:
            rows = await self._conn.fetch(
                f"SELECT * FROM {self._s}.delegations WHERE revoked_at IS NULL AND starts_at <= $1 AND $1 < ends_at"
                " ORDER BY starts_at, delegation_id",
                active_at,
            )
            self._active[active_at] = [_delegation(r) for r in rows]
        return [d for d in self._active[active_at] if subject is None or d.delegate_subject == subject]

    async def claim_key(
        self, subject: str, key: str, case_id: str, action: str, fingerprint: str, at: datetime
    ) -> bool:
        claimed = await self._conn.fetchval(
            f"INSERT INTO {self._s}.client_keys (subject, client_key, case_id, action, fingerprint, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
            subject,
            key,
            case_id,
            action,
            fingerprint,
            at,
        )
        return bool(claimed)

    async def stored_key(self, subject: str, key: str) -> StoredKey | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.client_keys WHERE subject = $1 AND client_key = $2", subject, key
        )
        if row is None:
            return None
        return StoredKey(row["case_id"], row["action"], row["fingerprint"], _json(row["response"]))

    async def save_key_response(self, subject: str, key: str, response: Mapping[str, Any]) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.client_keys SET response = $3::jsonb WHERE subject = $1 AND client_key = $2",
            subject,
            key,
            json.dumps(dict(response)),
        )

    async def inbox(
        self, holders: Sequence[tuple[str, str | None]], limit: int, offset: int
    ) -> list[tuple[Case, bool]]:
        roles = [r for r, _ in holders]
        units = [u for _, u in holders]
        rows = await self._conn.fetch(
            "WITH h AS (SELECT * FROM unnest($1::text[], $2::text[]) AS h(role, unit))"
            f" SELECT c.*, NOT EXISTS (SELECT 1 FROM h WHERE c.holder_role = h.role"
            "   AND (c.holder_unit IS NULL OR c.holder_unit = h.unit)) AS escalated"
            f" FROM {self._s}.cases c WHERE c.status <> 'SELESAI' AND EXISTS (SELECT 1 FROM h WHERE"
            "   (c.holder_role = h.role AND (c.holder_unit IS NULL OR c.holder_unit = h.unit))"
            "   OR (c.escalated_to_role = h.role AND (c.escalated_to_unit IS NULL OR c.escalated_to_unit = h.unit)))"
            " ORDER BY c.step_due_at NULLS LAST, c.step_entered_at, c.case_id LIMIT $3 OFFSET $4",
            roles,
            units,
            limit,
            offset,
        )
        return [(_case(r), bool(r["escalated"])) for r in rows]


class PostgresDeadlines:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn, self._schema = conn, schema

    async def schedule(
        self, aggregate_id: str, kind: str, due_at: datetime, payload: Mapping[str, Any]
    ) -> None:
        await deadlines.schedule(
            self._conn, self._schema, aggregate_id=aggregate_id, kind=kind, due_at=due_at, payload=payload
        )

    async def cancel(self, aggregate_id: str, kind: str | None = None) -> int:
        return await deadlines.cancel(self._conn, self._schema, aggregate_id=aggregate_id, kind=kind)


class PostgresRoutingUnitOfWork(PostgresUnitOfWork):
    cases: PostgresCaseRepository
    deadlines: PostgresDeadlines
    statistics: PostgresStatistics

    def bind(self, conn: Connection, schema: str) -> None:
        self.cases = PostgresCaseRepository(conn, schema)
        self.deadlines = PostgresDeadlines(conn, schema)
        self.statistics = PostgresStatistics(conn, schema)


class ConnectionUnitOfWork:
    """Routing's repositories on a connection whose transaction someone else owns (a deadline
    firer's): entering and leaving it neither begins nor ends anything."""

    def __init__(self, conn: Connection, schema: str, source: str) -> None:
        self.outbox = PostgresOutbox(conn, schema, source)
        self.inbox = PostgresInbox(conn, schema)
        self.cases = PostgresCaseRepository(conn, schema)
        self.deadlines = PostgresDeadlines(conn, schema)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None
