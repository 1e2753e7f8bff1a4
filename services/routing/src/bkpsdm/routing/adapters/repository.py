"""Cases in routing's schema, and the unit of work that carries them."""

from __future__ import annotations

import uuid

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.uow import PostgresUnitOfWork
from bkpsdm.routing.domain.case import Case


class PostgresCaseRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._table = f"{quote_schema(schema)}.cases"

    async def add(self, case: Case, correlation_id: str | None) -> bool:
        """False when the submission already has a case (the first one stands)."""
        inserted = await self._conn.fetchval(
            f"INSERT INTO {self._table} (case_id, submission_id, service_code, perangkat_daerah,"
            " workflow_version, opened_at, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (submission_id) DO NOTHING RETURNING true",
            uuid.UUID(case.case_id),
            case.submission_id,
            case.service_code,
            case.perangkat_daerah,
            case.workflow_version,
            case.opened_at,
            correlation_id,
        )
        return bool(inserted)

    async def by_submission(self, submission_id: str) -> Case | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {self._table} WHERE submission_id = $1", submission_id
        )
        if row is None:
            return None
        return Case(
            case_id=str(row["case_id"]),
            submission_id=row["submission_id"],
            service_code=row["service_code"],
            perangkat_daerah=row["perangkat_daerah"],
            workflow_version=row["workflow_version"],
            opened_at=row["opened_at"],
        )


class PostgresRoutingUnitOfWork(PostgresUnitOfWork):
    cases: PostgresCaseRepository

    def bind(self, conn: Connection, schema: str) -> None:
        self.cases = PostgresCaseRepository(conn, schema)
