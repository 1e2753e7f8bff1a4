"""Submissions in intake's schema, and the unit of work that carries them."""

from __future__ import annotations

import uuid

import asyncpg

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.uow import PostgresUnitOfWork
from bkpsdm.intake.domain.submission import Submission, SubmissionStatus


class PostgresSubmissionRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._table = f"{quote_schema(schema)}.submissions"

    async def add(
        self, submission: Submission, correlation_id: str, idempotency_key: str | None = None
    ) -> bool:
        """False when another submission already holds `idempotency_key` (nothing written)."""
        inserted = await self._conn.fetchval(
            f"INSERT INTO {self._table} (submission_id, service_code, perangkat_daerah, title,"
            " status, received_at, correlation_id, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING true",
            uuid.UUID(submission.submission_id),
            submission.service_code,
            submission.perangkat_daerah,
            submission.title,
            submission.status.value,
            submission.received_at,
            correlation_id,
            idempotency_key,
        )
        return bool(inserted)

    async def by_idempotency_key(self, idempotency_key: str) -> Submission | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._table} WHERE idempotency_key = $1", idempotency_key
        )
        return None if row is None else _submission(row)

    async def get(self, submission_id: str, *, for_update: bool = False) -> Submission | None:
        try:
            key = uuid.UUID(submission_id)
        except ValueError:
            return None
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._table} WHERE submission_id = $1" + (" FOR UPDATE" if for_update else ""),
            key,
        )
        if row is None:
            return None
        return _submission(row)

    async def save_status(self, submission: Submission) -> None:
        await self._conn.execute(
            f"UPDATE {self._table} SET status = $2, case_id = $3, acknowledged_at = $4"
            " WHERE submission_id = $1",
            uuid.UUID(submission.submission_id),
            submission.status.value,
            submission.case_id,
            submission.acknowledged_at,
        )


def _submission(row: asyncpg.Record) -> Submission:
    return Submission(
        submission_id=str(row["submission_id"]),
        service_code=row["service_code"],
        perangkat_daerah=row["perangkat_daerah"],
        title=row["title"],
        status=SubmissionStatus(row["status"]),
        received_at=row["received_at"],
        case_id=row["case_id"],
        acknowledged_at=row["acknowledged_at"],
    )


class PostgresIntakeUnitOfWork(PostgresUnitOfWork):
    submissions: PostgresSubmissionRepository

    def bind(self, conn: Connection, schema: str) -> None:
        self.submissions = PostgresSubmissionRepository(conn, schema)
