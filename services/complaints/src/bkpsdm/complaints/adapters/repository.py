"""Complaints, their history and attachments, the channels' state, LAPOR's cursor and pushes,
submissions and survey answers in complaints' schema; the units of work that carry them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import asyncpg

from bkpsdm.common import deadlines
from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.uow import PostgresInbox, PostgresOutbox, PostgresUnitOfWork
from bkpsdm.complaints.domain.attachments import Attachment
from bkpsdm.complaints.domain.complaint import (
    Action,
    AttachmentRef,
    Channel,
    Classification,
    Complaint,
    HistoryEntry,
    Reporter,
    Status,
)
from bkpsdm.complaints.domain.sms import SmsPart


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _reporter_json(reporter: Reporter | None) -> str | None:
    if reporter is None:
        return None
    return json.dumps({"name": reporter.name, "email": reporter.email, "phone": reporter.phone})


class ComplaintRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)

    async def add(self, c: Complaint, attachments: Sequence[Attachment], correlation_id: str | None) -> bool:
        """False when the channel already delivered this one (same external id): nothing written."""
        inserted = await self._conn.fetchval(
            f"INSERT INTO {self._s}.complaints (complaint_id, ticket_code, channel, classification, title,"
            " content, status, anonim, rahasia, reporter, receipt_number, reference, external_id, lapor_id,"
            " received_at, verify_due_at, updated_at, correlation_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $15, $17)"
            " ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(c.complaint_id),
            c.ticket_code,
            c.channel.value,
            c.classification.value,
            c.title,
            c.content,
            c.status.value,
            c.anonim,
            c.rahasia,
            _reporter_json(c.reporter),
            c.receipt_number,
            c.reference,
            c.external_id,
            c.lapor_id,
            c.received_at,
            c.verify_due_at,
            correlation_id,
        )
        if not inserted:
            return False
        if attachments:
            await self._conn.executemany(
                f"INSERT INTO {self._s}.attachments (attachment_id, complaint_id, filename, media_type,"
                " size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [
                    (
                        uuid.UUID(ref.attachment_id),
                        uuid.UUID(c.complaint_id),
                        ref.filename,
                        ref.media_type,
                        ref.size,
                        ref.sha256,
                        a.data,
                    )
                    for ref, a in zip(c.attachments, attachments, strict=True)
                ],
            )
        return True

    async def get(self, complaint_id: str, *, for_update: bool = False) -> Complaint | None:
        key = _uuid(complaint_id)
        if key is None:
            return None
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.complaints WHERE complaint_id = $1"
            + (" FOR UPDATE" if for_update else ""),
            key,
        )
        return None if row is None else await self._load(row)

    async def by_ticket(self, ticket_code: str, *, for_update: bool = False) -> Complaint | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.complaints WHERE ticket_code = $1"
            + (" FOR UPDATE" if for_update else ""),
            ticket_code,
        )
        return None if row is None else await self._load(row)

    async def by_external(self, channel: Channel, external_id: str) -> Complaint | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.complaints WHERE channel = $1 AND external_id = $2",
            channel.value,
            external_id,
        )
        return None if row is None else await self._load(row)

    async def lapor_ids(self, lapor_ids: Sequence[str]) -> set[str]:
        rows = await self._conn.fetch(
            f"SELECT lapor_id FROM {self._s}.complaints WHERE lapor_id = ANY($1::text[])", list(lapor_ids)
        )
        return {r["lapor_id"] for r in rows}

    async def save(self, c: Complaint, at: datetime) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.complaints SET classification = $2, status = $3, assigned_unit = $4,"
            " verify_due_at = $5, follow_up_due_at = $6, answered_at = $7, auto_close_at = $8, closed_at = $9,"
            " paused_verify_s = $10, sla_breaches = $11, updated_at = $12 WHERE complaint_id = $1",
            uuid.UUID(c.complaint_id),
            c.classification.value,
            c.status.value,
            c.assigned_unit,
            c.verify_due_at,
            c.follow_up_due_at,
            c.answered_at,
            c.auto_close_at,
            c.closed_at,
            c.paused_verify_s,
            list(c.sla_breaches),
            at,
        )

    async def add_history(self, complaint_id: str, entry: HistoryEntry) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._s}.complaint_history (complaint_id, at, action, status, actor_role, note,"
            " unit, public) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            uuid.UUID(complaint_id),
            entry.at,
            entry.action.value,
            entry.status.value,
            entry.actor_role,
            entry.note,
            entry.unit,
            entry.public,
        )

    async def history(self, complaint_id: str) -> list[HistoryEntry]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.complaint_history WHERE complaint_id = $1 ORDER BY position",
            uuid.UUID(complaint_id),
        )
        return [
            HistoryEntry(
                r["at"],
                Action(r["action"]),
                Status(r["status"]),
                r["actor_role"],
                r["note"],
                r["unit"],
                r["public"],
            )
            for r in rows
        ]

    async def attachment(self, complaint_id: str, attachment_id: str) -> tuple[AttachmentRef, bytes] | None:
        complaint_key, key = _uuid(complaint_id), _uuid(attachment_id)
        if complaint_key is None or key is None:
            return None
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.attachments WHERE complaint_id = $1 AND attachment_id = $2",
            complaint_key,
            key,
        )
        if row is None:
            return None
        return _attachment_ref(row), bytes(row["content"])

    async def search(
        self,
        *,
        status: str | None,
        channel: str | None,
        unit: str | None,
        public_only: bool,
        limit: int,
        offset: int,
    ) -> list[Complaint]:
        """Newest first. `public_only`: what the public may read (not rahasia)."""
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.complaints WHERE ($1::text IS NULL OR status = $1)"
            " AND ($2::text IS NULL OR channel = $2) AND ($3::text IS NULL OR assigned_unit = $3)"
            " AND (NOT $4 OR NOT rahasia) ORDER BY received_at DESC, complaint_id LIMIT $5 OFFSET $6",
            status,
            channel,
            unit,
            public_only,
            limit,
            offset,
        )
        return [await self._load(r, attachments=False) for r in rows]

    async def claim_key(
        self, subject: str, key: str, complaint_id: str, action: str, fingerprint: str, at: datetime
    ) -> bool:
        """True for the first use of (subject, key); a concurrent claim waits for this one's commit."""
        claimed = await self._conn.fetchval(
            f"INSERT INTO {self._s}.client_keys (subject, client_key, complaint_id, action, fingerprint,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
            subject,
            key,
            complaint_id,
            action,
            fingerprint,
            at,
        )
        return bool(claimed)

    async def stored_key(self, subject: str, key: str) -> tuple[str, str, str] | None:
        """What the first use of the key asked for: (complaint id, action, fingerprint)."""
        row = await self._conn.fetchrow(
            f"SELECT complaint_id, action, fingerprint FROM {self._s}.client_keys"
            " WHERE subject = $1 AND client_key = $2",
            subject,
            key,
        )
        return None if row is None else (row["complaint_id"], row["action"], row["fingerprint"])

    async def volumes(self, start: datetime, end: datetime, zone: str) -> list[tuple[int, str, int]]:
        """Complaints received in [start, end): (local month, current status, count)."""
        rows = await self._conn.fetch(
            "SELECT extract(month FROM received_at AT TIME ZONE $3)::int AS month, status, count(*) AS n"
            f" FROM {self._s}.complaints WHERE received_at >= $1 AND received_at < $2"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            start,
            end,
            zone,
        )
        return [(r["month"], r["status"], r["n"]) for r in rows]

    async def _load(self, row: asyncpg.Record, *, attachments: bool = True) -> Complaint:
        refs: tuple[AttachmentRef, ...] = ()
        if attachments:
            found = await self._conn.fetch(
                f"SELECT attachment_id, filename, media_type, size_bytes, sha256 FROM {self._s}.attachments"
                " WHERE complaint_id = $1 ORDER BY filename, attachment_id",
                row["complaint_id"],
            )
            refs = tuple(_attachment_ref(a) for a in found)
        reporter = json.loads(row["reporter"]) if row["reporter"] else None
        return Complaint(
            complaint_id=str(row["complaint_id"]),
            ticket_code=row["ticket_code"],
            channel=Channel(row["channel"]),
            classification=Classification(row["classification"]),
            title=row["title"],
            content=row["content"],
            status=Status(row["status"]),
            received_at=row["received_at"],
            verify_due_at=row["verify_due_at"],
            anonim=row["anonim"],
            rahasia=row["rahasia"],
            reporter=None if reporter is None else Reporter(**reporter),
            receipt_number=row["receipt_number"],
            reference=row["reference"],
            external_id=row["external_id"],
            lapor_id=row["lapor_id"],
            assigned_unit=row["assigned_unit"],
            follow_up_due_at=row["follow_up_due_at"],
            answered_at=row["answered_at"],
            auto_close_at=row["auto_close_at"],
            closed_at=row["closed_at"],
            paused_verify_s=row["paused_verify_s"],
            sla_breaches=tuple(row["sla_breaches"]),
            attachments=refs,
        )


def _attachment_ref(row: asyncpg.Record) -> AttachmentRef:
    return AttachmentRef(
        str(row["attachment_id"]), row["filename"], row["media_type"], row["size_bytes"], row["sha256"]
    )


class ChannelRepository:
    """What the public channels remember: used form tokens, SMS parts."""

    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)

    async def use_form_token(self, nonce: str, at: datetime) -> bool:
        """False when the token was used before (a replayed form)."""
        return bool(
            await self._conn.fetchval(
                f"INSERT INTO {self._s}.form_tokens_used (nonce, used_at) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                nonce,
                at,
            )
        )

    async def prune_form_tokens(self, before: datetime) -> int:
        result = await self._conn.execute(
            f"DELETE FROM {self._s}.form_tokens_used WHERE used_at < $1", before
        )
        return int(result.split()[-1])

    async def lock_sms(self, sender: str, reference: str) -> None:
        # The last two parts of one message may arrive at once: one of them assembles it.
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"sms|{sender}|{reference}")

    async def sms_part(self, message_id: str) -> tuple[SmsPart, str | None, str | None] | None:
        """The part, the complaint its message made or answered, and that outcome."""
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.sms_parts WHERE message_id = $1", message_id
        )
        if row is None:
            return None
        complaint_id = None if row["complaint_id"] is None else str(row["complaint_id"])
        return _sms_part(row), complaint_id, row["outcome"]

    async def add_sms_part(self, part: SmsPart, at: datetime) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._s}.sms_parts (message_id, sender, reference, part, total, text, received_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            part.message_id,
            part.sender,
            part.reference,
            part.part,
            part.total,
            part.text,
            at,
        )

    async def open_sms_parts(self, sender: str, reference: str) -> list[SmsPart]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.sms_parts WHERE sender = $1 AND reference = $2 AND complaint_id IS NULL",
            sender,
            reference,
        )
        return [_sms_part(r) for r in rows]

    async def close_sms_parts(self, sender: str, reference: str, complaint_id: str, outcome: str) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.sms_parts SET complaint_id = $3, outcome = $4"
            " WHERE sender = $1 AND reference = $2 AND complaint_id IS NULL",
            sender,
            reference,
            uuid.UUID(complaint_id),
            outcome,
        )


def _sms_part(row: asyncpg.Record) -> SmsPart:
    return SmsPart(row["message_id"], row["sender"], row["reference"], row["part"], row["total"], row["text"])


@dataclass(frozen=True)
class LaporPush:
    push_id: str
    complaint_id: str
    lapor_id: str
    status: str
    text: str
    attempts: int


class LaporRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)

    async def cursor(self, agency: str) -> int:
        value = await self._conn.fetchval(
            f"SELECT last_seq FROM {self._s}.lapor_cursor WHERE agency = $1", agency
        )
        return int(value or 0)

    async def move_cursor(self, agency: str, last_seq: int, at: datetime) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._s}.lapor_cursor (agency, last_seq, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (agency) DO UPDATE SET last_seq = GREATEST(lapor_cursor.last_seq, $2), updated_at = $3",
            agency,
            last_seq,
            at,
        )

    async def add_push(self, complaint_id: str, lapor_id: str, status: str, text: str, at: datetime) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._s}.lapor_pushes (push_id, complaint_id, lapor_id, status, text, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            uuid.uuid4(),
            uuid.UUID(complaint_id),
            lapor_id,
            status,
            text,
            at,
        )

    async def pending_pushes(self, limit: int) -> list[LaporPush]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.lapor_pushes WHERE sent_at IS NULL ORDER BY position LIMIT $1", limit
        )
        return [
            LaporPush(
                str(r["push_id"]),
                str(r["complaint_id"]),
                r["lapor_id"],
                r["status"],
                r["text"],
                r["attempts"],
            )
            for r in rows
        ]

    async def push_sent(self, push_id: str, at: datetime) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.lapor_pushes SET sent_at = $2, attempts = attempts + 1 WHERE push_id = $1",
            uuid.UUID(push_id),
            at,
        )

    async def push_failed(self, push_id: str, error: str) -> None:
        await self._conn.execute(
            f"UPDATE {self._s}.lapor_pushes SET attempts = attempts + 1, last_error = $2 WHERE push_id = $1",
            uuid.UUID(push_id),
            error[:500],
        )

    async def pending_count(self) -> int:
        return int(
            await self._conn.fetchval(f"SELECT count(*) FROM {self._s}.lapor_pushes WHERE sent_at IS NULL")
        )


@dataclass(frozen=True)
class KnownSubmission:
    submission_id: str
    receipt_number: str | None
    service_code: str
    perangkat_daerah: str
    delivered_at: datetime | None


class SurveyRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)

    async def add_submission(
        self,
        submission_id: str,
        receipt_number: str | None,
        service_code: str,
        perangkat_daerah: str,
        received_at: datetime,
    ) -> None:
        await self._conn.execute(
            f"INSERT INTO {self._s}.submissions (submission_id, receipt_number, service_code, perangkat_daerah,"
            " received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            submission_id,
            receipt_number,
            service_code,
            perangkat_daerah,
            received_at,
        )

    async def mark_delivered(self, submission_id: str, at: datetime) -> bool:
        result = await self._conn.execute(
            f"UPDATE {self._s}.submissions SET delivered_at = COALESCE(delivered_at, $2) WHERE submission_id = $1",
            submission_id,
            at,
        )
        return result != "UPDATE 0"

    async def by_receipt(self, receipt_number: str) -> KnownSubmission | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._s}.submissions WHERE receipt_number = $1", receipt_number
        )
        return None if row is None else _submission(row)

    async def add_response(
        self,
        submission_id: str,
        service_code: str,
        period: str,
        answers: dict[str, int],
        suggestion: str | None,
        at: datetime,
        rules_version: str,
    ) -> str | None:
        """The response's id; None when this product was rated before."""
        response_id = uuid.uuid4()
        inserted = await self._conn.fetchval(
            f"INSERT INTO {self._s}.survey_responses (response_id, submission_id, service_code, period, answers,"
            " suggestion, answered_at, rules_version) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)"
            " ON CONFLICT (submission_id) DO NOTHING RETURNING true",
            response_id,
            submission_id,
            service_code,
            period,
            json.dumps(answers),
            suggestion,
            at,
            rules_version,
        )
        return str(response_id) if inserted else None

    async def responses(self, period: str, service_code: str | None) -> list[tuple[str, dict[str, Any]]]:
        rows = await self._conn.fetch(
            f"SELECT service_code, answers FROM {self._s}.survey_responses"
            " WHERE period = $1 AND ($2::text IS NULL OR service_code = $2) ORDER BY service_code, answered_at",
            period,
            service_code,
        )
        return [(r["service_code"], json.loads(r["answers"])) for r in rows]


def _submission(row: asyncpg.Record) -> KnownSubmission:
    return KnownSubmission(
        row["submission_id"],
        row["receipt_number"],
        row["service_code"],
        row["perangkat_daerah"],
        row["delivered_at"],
    )


class Clocks:
    """SLA deadlines of the complaints, in the unit of work's transaction (bkpsdm.common.deadlines)."""

    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._schema = schema

    async def schedule(self, complaint_id: str, kind: str, due_at: datetime) -> None:
        await deadlines.schedule(
            self._conn, self._schema, aggregate_id=complaint_id, kind=kind, due_at=due_at
        )

    async def cancel(self, complaint_id: str, *kinds: str) -> None:
        if not kinds:
            await deadlines.cancel(self._conn, self._schema, aggregate_id=complaint_id)
        for kind in kinds:
            await deadlines.cancel(self._conn, self._schema, aggregate_id=complaint_id, kind=kind)


def _bind(uow: Any, conn: Connection, schema: str) -> None:
    uow.complaints = ComplaintRepository(conn, schema)
    uow.channels = ChannelRepository(conn, schema)
    uow.lapor = LaporRepository(conn, schema)
    uow.survey = SurveyRepository(conn, schema)
    uow.clocks = Clocks(conn, schema)


class PostgresComplaintsUnitOfWork(PostgresUnitOfWork):
    complaints: ComplaintRepository
    channels: ChannelRepository
    lapor: LaporRepository
    survey: SurveyRepository
    clocks: Clocks

    def bind(self, conn: Connection, schema: str) -> None:
        _bind(self, conn, schema)


class TransactionUnitOfWork:
    """The same repositories on a connection whose transaction someone else runs (the deadline
    firer's): entering and leaving it neither begins nor commits anything."""

    complaints: ComplaintRepository
    channels: ChannelRepository
    lapor: LaporRepository
    survey: SurveyRepository
    clocks: Clocks

    def __init__(self, conn: Connection, schema: str, source: str) -> None:
        self.outbox = PostgresOutbox(conn, schema, source)
        self.inbox = PostgresInbox(conn, schema)
        _bind(self, conn, schema)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None
