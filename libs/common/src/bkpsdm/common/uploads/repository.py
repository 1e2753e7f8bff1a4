"""Uploads and their rows in the service's own schema, and the unit of work that holds them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.uow import PostgresUnitOfWork
from bkpsdm.common.uploads.adapters import PendingRow
from bkpsdm.common.uploads.model import (
    Outcome,
    Reason,
    ReportTable,
    RowPlan,
    RowResult,
    RowState,
    RuleSetInfo,
)

MIGRATIONS = Path(__file__).parent / "migrations"

_ROW_COLUMNS = (
    "request_id",
    "row_no",
    "nip",
    "nama",
    "unit_kerja",
    "target",
    "natural_key",
    "idempotency_key",
    "payload",
    "detail",
    "state",
    "reasons",
)


@dataclass(frozen=True)
class NewUpload:
    request_id: str
    submission_id: str
    case_id: str
    service_code: str
    perangkat_daerah: str
    period: str | None
    attempt: int
    requested_by: str | None
    requested_at: datetime
    correlation_id: str | None
    recap: dict[str, Any]
    rules: RuleSetInfo
    sections: Sequence[ReportTable]
    notes: Sequence[str]
    adapter: str


@dataclass(frozen=True)
class Upload:
    request_id: str
    submission_id: str
    case_id: str
    service_code: str
    perangkat_daerah: str
    period: str | None
    attempt: int
    requested_by: str | None
    requested_at: datetime
    correlation_id: str | None
    recap: dict[str, Any]
    rules: RuleSetInfo
    sections: tuple[ReportTable, ...]
    notes: tuple[str, ...]
    adapter: str
    status: str
    outcome: Outcome | None
    rows_total: int
    rows_stored: int | None
    rows_rejected: int | None
    rows_failed: int | None
    reasons: tuple[str, ...]
    received_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status == "FINISHED"


@dataclass(frozen=True)
class StoredRow:
    row_no: int
    nip: str | None
    nama: str | None
    unit_kerja: str | None
    target: str | None
    state: RowState
    bkn_id: str | None
    replayed: bool
    reasons: tuple[Reason, ...]
    attempts: int
    detail: dict[str, Any]


def _upload(r: asyncpg.Record) -> Upload:
    rules = json.loads(r["rules"])
    return Upload(
        request_id=r["request_id"],
        submission_id=r["submission_id"],
        case_id=r["case_id"],
        service_code=r["service_code"],
        perangkat_daerah=r["perangkat_daerah"],
        period=r["period"],
        attempt=r["attempt"],
        requested_by=r["requested_by"],
        requested_at=r["requested_at"],
        correlation_id=r["correlation_id"],
        recap=json.loads(r["recap"]),
        rules=RuleSetInfo(rules["id"], rules["version"], rules["source"]),
        sections=tuple(ReportTable.of(t) for t in json.loads(r["sections"])),
        notes=tuple(json.loads(r["notes"])),
        adapter=r["adapter"],
        status=r["status"],
        outcome=Outcome(r["outcome"]) if r["outcome"] else None,
        rows_total=r["rows_total"],
        rows_stored=r["rows_stored"],
        rows_rejected=r["rows_rejected"],
        rows_failed=r["rows_failed"],
        reasons=tuple(json.loads(r["reasons"])),
        received_at=r["received_at"],
        finished_at=r["finished_at"],
    )


def _stored_row(r: asyncpg.Record) -> StoredRow:
    return StoredRow(
        row_no=r["row_no"],
        nip=r["nip"],
        nama=r["nama"],
        unit_kerja=r["unit_kerja"],
        target=r["target"],
        state=RowState(r["state"]),
        bkn_id=r["bkn_id"],
        replayed=r["replayed"],
        reasons=tuple(Reason.of(x) for x in json.loads(r["reasons"])),
        attempts=r["attempts"],
        detail=json.loads(r["detail"]),
    )


class UploadRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._schema = schema
        self._q = quote_schema(schema)

    async def exists(self, request_id: str) -> bool:
        found = await self._conn.fetchval(
            f"SELECT 1 FROM {self._q}.uploads WHERE request_id = $1", request_id
        )
        return found is not None

    async def create(self, upload: NewUpload, rows: Sequence[RowPlan], keys: Sequence[str | None]) -> bool:
        """The upload and all its rows; False when the request is already known."""
        inserted = await self._conn.fetchval(
            f"""INSERT INTO {self._q}.uploads (request_id, submission_id, case_id, service_code,
                perangkat_daerah, period, attempt, requested_by, requested_at, correlation_id, recap,
                rules, sections, notes, adapter, rows_total)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb,
                $14::jsonb, $15, $16)
            ON CONFLICT (request_id) DO NOTHING RETURNING true""",
            upload.request_id,
            upload.submission_id,
            upload.case_id,
            upload.service_code,
            upload.perangkat_daerah,
            upload.period,
            upload.attempt,
            upload.requested_by,
            upload.requested_at,
            upload.correlation_id,
            json.dumps(upload.recap),
            json.dumps(upload.rules.as_dict()),
            json.dumps([t.as_dict() for t in upload.sections]),
            json.dumps(list(upload.notes)),
            upload.adapter,
            len(rows),
        )
        if not inserted:
            return False
        records = [
            (
                upload.request_id,
                row.row_no,
                row.nip,
                row.nama,
                row.unit_kerja,
                row.target,
                row.natural_key,
                key,
                json.dumps(dict(row.payload)) if row.payload is not None else None,
                json.dumps(dict(row.detail)),
                (RowState.REJECTED if row.rejection else RowState.PENDING).value,
                json.dumps([r.as_dict() for r in row.rejection]),
            )
            for row, key in zip(rows, keys, strict=True)
        ]
        await self._conn.copy_records_to_table(
            "upload_rows", schema_name=self._schema, columns=_ROW_COLUMNS, records=records
        )
        return True

    async def notify(self, channel: str) -> None:
        """Wake the runners when the transaction commits."""
        await self._conn.execute("SELECT pg_notify($1, '')", channel)

    async def get(self, request_id: str) -> Upload | None:
        row = await self._conn.fetchrow(f"SELECT * FROM {self._q}.uploads WHERE request_id = $1", request_id)
        return _upload(row) if row is not None else None

    async def find(self, *, submission_id: str | None, unit: str | None, limit: int) -> list[Upload]:
        rows = await self._conn.fetch(
            f"""SELECT * FROM {self._q}.uploads
            WHERE ($1::text IS NULL OR submission_id = $1) AND ($2::text IS NULL OR perangkat_daerah = $2)
            ORDER BY received_at DESC, request_id LIMIT $3""",
            submission_id,
            unit,
            limit,
        )
        return [_upload(r) for r in rows]

    async def unfinished(self, limit: int) -> list[str]:
        rows = await self._conn.fetch(
            f"SELECT request_id FROM {self._q}.uploads WHERE status = 'UPLOADING' ORDER BY received_at LIMIT $1",
            limit,
        )
        return [r["request_id"] for r in rows]

    async def pending_rows(self, request_id: str) -> list[PendingRow]:
        rows = await self._conn.fetch(
            f"""SELECT row_no, target, payload, idempotency_key FROM {self._q}.upload_rows
            WHERE request_id = $1 AND state = 'PENDING' ORDER BY row_no""",
            request_id,
        )
        return [
            PendingRow(r["row_no"], r["target"], json.loads(r["payload"]), r["idempotency_key"]) for r in rows
        ]

    async def record(self, request_id: str, results: Sequence[tuple[int, RowResult]]) -> None:
        """Each row's answer; a row already final is left as it is (a second runner's late answer)."""
        await self._conn.executemany(
            f"""UPDATE {self._q}.upload_rows SET state = $3, bkn_id = $4, replayed = $5,
                reasons = $6::jsonb, attempts = attempts + $7, updated_at = now()
            WHERE request_id = $1 AND row_no = $2 AND state = 'PENDING'""",
            [
                (
                    request_id,
                    row_no,
                    result.state.value,
                    result.bkn_id,
                    result.replayed,
                    json.dumps([r.as_dict() for r in result.reasons]),
                    result.attempts,
                )
                for row_no, result in results
            ],
        )

    async def counts(self, request_id: str) -> dict[RowState, int]:
        rows = await self._conn.fetch(
            f"SELECT state, count(*) AS n FROM {self._q}.upload_rows WHERE request_id = $1 GROUP BY state",
            request_id,
        )
        counts = dict.fromkeys(RowState, 0)
        counts.update({RowState(r["state"]): int(r["n"]) for r in rows})
        return counts

    async def reason_counts(self, request_id: str) -> list[tuple[str, str, str, int]]:
        """(state, code, message, rows) of rows not stored, most frequent first."""
        rows = await self._conn.fetch(
            f"""SELECT u.state, r->>'code' AS code, min(r->>'message') AS message, count(DISTINCT u.row_no) AS n
            FROM {self._q}.upload_rows u, jsonb_array_elements(u.reasons) r
            WHERE u.request_id = $1 AND u.state IN ('REJECTED', 'FAILED')
            GROUP BY u.state, r->>'code' ORDER BY n DESC, code""",
            request_id,
        )
        return [(r["state"], r["code"], r["message"], int(r["n"])) for r in rows]

    async def finish(
        self, request_id: str, outcome: Outcome, counts: dict[RowState, int], reasons: Sequence[str]
    ) -> Upload | None:
        """Mark the upload finished; None when it already was (another runner got there first)."""
        row = await self._conn.fetchrow(
            f"""UPDATE {self._q}.uploads SET status = 'FINISHED', outcome = $2, rows_stored = $3,
                rows_rejected = $4, rows_failed = $5, reasons = $6::jsonb, finished_at = now()
            WHERE request_id = $1 AND status = 'UPLOADING' RETURNING *""",
            request_id,
            outcome.value,
            counts[RowState.STORED] + counts[RowState.EXPORTED],
            counts[RowState.REJECTED],
            counts[RowState.FAILED],
            json.dumps(list(reasons)),
        )
        return _upload(row) if row is not None else None

    async def unit_counts(self, request_id: str) -> list[tuple[str | None, RowState, int]]:
        rows = await self._conn.fetch(
            f"""SELECT unit_kerja, state, count(*) AS n FROM {self._q}.upload_rows WHERE request_id = $1
            GROUP BY unit_kerja, state ORDER BY unit_kerja NULLS LAST""",
            request_id,
        )
        return [(r["unit_kerja"], RowState(r["state"]), int(r["n"])) for r in rows]

    async def rows(self, request_id: str, *, problems_only: bool) -> list[StoredRow]:
        where = "AND state IN ('REJECTED', 'FAILED', 'PENDING')" if problems_only else ""
        rows = await self._conn.fetch(
            f"""SELECT row_no, nip, nama, unit_kerja, target, state, bkn_id, replayed, reasons, attempts,
                detail FROM {self._q}.upload_rows WHERE request_id = $1 {where} ORDER BY row_no""",
            request_id,
        )
        return [_stored_row(r) for r in rows]

    async def export_rows(self, request_id: str) -> list[tuple[int, str, dict[str, Any]]]:
        rows = await self._conn.fetch(
            f"""SELECT row_no, target, payload FROM {self._q}.upload_rows
            WHERE request_id = $1 AND payload IS NOT NULL ORDER BY row_no""",
            request_id,
        )
        return [(r["row_no"], r["target"], json.loads(r["payload"])) for r in rows]


class UploadsUnitOfWork(PostgresUnitOfWork):
    uploads: UploadRepository

    def bind(self, conn: Connection, schema: str) -> None:
        self.uploads = UploadRepository(conn, schema)
