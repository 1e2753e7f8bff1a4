"""Submissions, their documents and timeline in intake's schema, and the unit of work that carries them."""

from __future__ import annotations

import hashlib
import json
import uuid

import asyncpg

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.outbox import OUTBOX_COLUMNS, outbox_row
from bkpsdm.common.uow import PostgresUnitOfWork
from bkpsdm.intake.domain.listing import ListedSubmission, SubmissionFilter
from bkpsdm.intake.domain.submission import (
    DocumentRef,
    RecapRef,
    Submission,
    SubmissionStatus,
    TimelineEntry,
)


def _uuid(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# Receipt sequences this process has seen exist (schema-qualified names). Sequences are never
# dropped, so once seen, `nextval` needs no savepoint in case the sequence is missing.
_KNOWN_SEQUENCES: set[str] = set()


class PostgresSubmissionRepository:
    def __init__(self, conn: Connection, schema: str, source: str) -> None:
        self._conn = conn
        self._source = source
        self._schema = quote_schema(schema)
        self._table = f"{self._schema}.submissions"
        # Data-modifying CTEs: the documents, the timeline entry and the event announcing it
        # (outbox) are written only when the submission row was (not on an Idempotency-Key
        # conflict); their foreign keys are checked at the end of the statement, when the
        # submission row is there. One statement: atomic without a transaction around it.
        self._add_sql = (
            f"WITH added AS (INSERT INTO {self._table} (submission_id, service_code, perangkat_daerah,"
            " title, status, received_at, correlation_id, idempotency_key, receipt_number, period, due_at,"
            " submitted_by, request, replaces, current_step, fingerprint, recap_nips)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17)"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING submission_id),"
            f" documents AS (INSERT INTO {self._schema}.documents (document_id, submission_id,"
            " requirement_id, filename, media_type, size_bytes, sha256, uploaded_by, uploaded_at, is_recap,"
            " recap_rows, recap_format, rules_version)"
            " SELECT d.id, a.submission_id, d.requirement_id, d.filename, d.media_type, d.size, d.sha256,"
            " coalesce($12, ''), $6, d.id IS NOT DISTINCT FROM $24,"
            " CASE WHEN d.id = $24 THEN $25::integer END, CASE WHEN d.id = $24 THEN $26::text END,"
            " CASE WHEN d.id = $24 THEN $27::text END"
            " FROM added a, unnest($18::uuid[], $19::text[], $20::text[], $21::text[], $22::bigint[],"
            " $23::text[]) AS d(id, requirement_id, filename, media_type, size, sha256)),"
            f" received AS (INSERT INTO {self._schema}.timeline (submission_id, at, step, label,"
            " holder_role, due_at, reasons) SELECT submission_id, $28, $29, $30, $31, $32, $33::jsonb"
            " FROM added),"
            f" announced AS (INSERT INTO {self._schema}.outbox ({', '.join(OUTBOX_COLUMNS)})"
            " SELECT $34::uuid, $35::text, $36::text, $37::text, $38::text, $39::jsonb, $40::jsonb"
            " FROM added WHERE $34::uuid IS NOT NULL)"
            " SELECT EXISTS (SELECT FROM added)"
        )

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
        """The submission with its documents, first timeline entry and the event announcing
        it, in one statement (one round trip); False when another submission already holds
        `idempotency_key` (nothing written)."""
        s = submission
        documents = s.documents
        event = (
            (None,) * len(OUTBOX_COLUMNS)
            if announced is None
            else outbox_row(SUBMISSIONS, announced, source=self._source, correlation_id=correlation_id)
        )
        inserted = await self._conn.fetchval(
            self._add_sql,
            uuid.UUID(s.submission_id),
            s.service_code,
            s.perangkat_daerah,
            s.title,
            s.status.value,
            s.received_at,
            correlation_id,
            idempotency_key,
            s.receipt_number,
            s.period,
            s.due_at,
            s.submitted_by,
            json.dumps(dict(s.request)),
            _uuid(s.replaces),
            s.current_step,
            fingerprint,
            recap_nips,
            [uuid.UUID(d.document_id) for d in documents],
            [d.requirement_id for d in documents],
            [d.filename for d in documents],
            [d.media_type for d in documents],
            [d.size for d in documents],
            [d.sha256 for d in documents],
            None if s.recap is None else uuid.UUID(s.recap.document_id),
            None if s.recap is None else s.recap.rows,
            None if s.recap is None else s.recap.format,
            None if s.recap is None else s.recap.rules_version,
            received.at,
            received.step,
            received.label,
            received.holder_role,
            received.due_at,
            json.dumps(list(received.reasons)),
            *event,
        )
        return bool(inserted)

    async def by_idempotency_key(self, idempotency_key: str) -> tuple[Submission, str | None] | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._table} WHERE idempotency_key = $1", idempotency_key
        )
        return None if row is None else (await self._load(row), row["fingerprint"])

    async def get(self, submission_id: str, *, for_update: bool = False) -> Submission | None:
        key = _uuid(submission_id)
        if key is None:
            return None
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._table} WHERE submission_id = $1" + (" FOR UPDATE" if for_update else ""),
            key,
        )
        return None if row is None else await self._load(row)

    async def by_receipt(self, receipt_number: str) -> Submission | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._table} WHERE receipt_number = $1", receipt_number
        )
        return None if row is None else await self._load(row)

    async def save_status(self, submission: Submission) -> None:
        s = submission
        await self._conn.execute(
            f"UPDATE {self._table} SET status = $2, case_id = $3, acknowledged_at = $4, current_step = $5,"
            " holder_role = $6, step_due_at = $7, return_reasons = $8, replaced_by = $9"
            " WHERE submission_id = $1",
            uuid.UUID(s.submission_id),
            s.status.value,
            s.case_id,
            s.acknowledged_at,
            s.current_step,
            s.holder_role,
            s.step_due_at,
            json.dumps(list(s.return_reasons)),
            _uuid(s.replaced_by),
        )

    async def accepted_nips(
        self, perangkat_daerah: str, service_code: str, period: str, excluding: str | None
    ) -> set[str]:
        # Accepted: not returned, not replaced by a resubmission, and not the one being replaced.
        rows = await self._conn.fetch(
            f"SELECT DISTINCT unnest(recap_nips) AS nip FROM {self._table}"
            " WHERE perangkat_daerah = $1 AND service_code = $2 AND period = $3 AND recap_nips IS NOT NULL"
            " AND status <> $4 AND replaced_by IS NULL AND submission_id IS DISTINCT FROM $5",
            perangkat_daerah,
            service_code,
            period,
            SubmissionStatus.RETURNED.value,
            _uuid(excluding),
        )
        return {r["nip"] for r in rows}

    async def next_receipt_seq(self, service_code: str, year: int) -> int:
        # A PostgreSQL sequence per service and year: `nextval` takes no lock that lasts until
        # commit. A counter row did, and serialized every submission of a service (the bench
        # measured 70 a second, queueing for seconds under load). A submission that fails
        # after taking its number leaves a gap (numbers are taken after every check passed):
        # receipt numbers identify, they are not a ledger.
        name = f"{self._schema}.receipt_{hashlib.sha256(service_code.encode()).hexdigest()[:12]}_{year}"
        if name in _KNOWN_SEQUENCES:
            # One round trip; the savepoint below costs two more and is needed only once.
            try:
                return int(await self._conn.fetchval("SELECT nextval($1::regclass)", name))
            except asyncpg.UndefinedTableError:
                _KNOWN_SEQUENCES.discard(name)  # its schema was dropped and made again
                raise
        try:
            async with self._conn.transaction():  # a savepoint: a missing sequence aborts only it
                value = int(await self._conn.fetchval("SELECT nextval($1::regclass)", name))
        except asyncpg.UndefinedTableError:
            try:
                async with self._conn.transaction():
                    await self._conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
            except asyncpg.UniqueViolationError:
                pass  # another submission created it at the same moment (IF NOT EXISTS races)
            # Not known yet: this transaction may still roll the new sequence back.
            return int(await self._conn.fetchval("SELECT nextval($1::regclass)", name))
        _KNOWN_SEQUENCES.add(name)
        return value

    async def listed(self, wanted: SubmissionFilter) -> list[ListedSubmission]:
        """Up to `wanted.limit + 1` matches, newest first (ties by id), after `wanted.after`."""
        # Only the filters given are in the statement: a generic plan of `$1 IS NULL OR ...`
        # could not use the (unit, received_at, id) index. Each shape is prepared once.
        conditions: list[str] = []
        args: list[object] = []

        def arg(value: object) -> str:
            args.append(value)
            return f"${len(args)}"

        if wanted.unit is not None:
            conditions.append(f"perangkat_daerah = {arg(wanted.unit)}")
        if wanted.service_code is not None:
            conditions.append(f"service_code = {arg(wanted.service_code)}")
        if wanted.status is not None:
            conditions.append(f"status = {arg(wanted.status.value)}")
        if wanted.after is not None:
            after = wanted.after
            conditions.append(
                f"(received_at, submission_id) < ({arg(after.received_at)}, {arg(uuid.UUID(after.submission_id))})"
            )
        limit = arg(wanted.limit + 1)
        rows = await self._conn.fetch(
            "SELECT submission_id, receipt_number, service_code, perangkat_daerah, title, period,"
            " received_at, status, current_step, holder_role, due_at, step_due_at, replaces, replaced_by"
            f" FROM {self._table}"
            + (" WHERE " + " AND ".join(conditions) if conditions else "")
            + f" ORDER BY received_at DESC, submission_id DESC LIMIT {limit}",
            *args,
        )
        return [
            ListedSubmission(
                submission_id=str(r["submission_id"]),
                receipt_number=r["receipt_number"],
                service_code=r["service_code"],
                perangkat_daerah=r["perangkat_daerah"],
                title=r["title"],
                period=r["period"],
                received_at=r["received_at"],
                status=SubmissionStatus(r["status"]),
                current_step=r["current_step"],
                holder_role=r["holder_role"],
                due_at=r["due_at"],
                step_due_at=r["step_due_at"],
                replaces=None if r["replaces"] is None else str(r["replaces"]),
                replaced_by=None if r["replaced_by"] is None else str(r["replaced_by"]),
            )
            for r in rows
        ]

    async def add_timeline(self, submission_id: str, entry: TimelineEntry) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._schema}.timeline (submission_id, at, step, label, holder_role, due_at, reasons)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            uuid.UUID(submission_id),
            entry.at,
            entry.step,
            entry.label,
            entry.holder_role,
            entry.due_at,
            json.dumps(list(entry.reasons)),
        )

    async def timeline(self, submission_id: str) -> list[TimelineEntry]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._schema}.timeline WHERE submission_id = $1 ORDER BY at, position",
            uuid.UUID(submission_id),
        )
        return [
            TimelineEntry(
                r["at"], r["step"], r["label"], r["holder_role"], r["due_at"], tuple(json.loads(r["reasons"]))
            )
            for r in rows
        ]

    async def _load(self, row: asyncpg.Record) -> Submission:
        documents = await self._conn.fetch(
            f"SELECT * FROM {self._schema}.documents WHERE submission_id = $1 ORDER BY requirement_id",
            row["submission_id"],
        )
        recap = next((d for d in documents if d["is_recap"]), None)
        return Submission(
            submission_id=str(row["submission_id"]),
            service_code=row["service_code"],
            perangkat_daerah=row["perangkat_daerah"],
            title=row["title"],
            status=SubmissionStatus(row["status"]),
            received_at=row["received_at"],
            case_id=row["case_id"],
            acknowledged_at=row["acknowledged_at"],
            receipt_number=row["receipt_number"],
            period=row["period"],
            due_at=row["due_at"],
            submitted_by=row["submitted_by"],
            request=json.loads(row["request"]),
            replaces=None if row["replaces"] is None else str(row["replaces"]),
            replaced_by=None if row["replaced_by"] is None else str(row["replaced_by"]),
            current_step=row["current_step"],
            holder_role=row["holder_role"],
            step_due_at=row["step_due_at"],
            return_reasons=tuple(json.loads(row["return_reasons"])),
            documents=tuple(
                DocumentRef(
                    str(d["document_id"]),
                    d["requirement_id"],
                    d["filename"],
                    d["media_type"],
                    d["size_bytes"],
                    d["sha256"],
                )
                for d in documents
            ),
            recap=None
            if recap is None
            else RecapRef(
                str(recap["document_id"]),
                recap["sha256"],
                recap["recap_rows"],
                recap["recap_format"],
                recap["rules_version"],
            ),
        )


class PostgresIntakeUnitOfWork(PostgresUnitOfWork):
    submissions: PostgresSubmissionRepository

    def bind(self, conn: Connection, schema: str) -> None:
        self.submissions = PostgresSubmissionRepository(conn, schema, self.source)
