"""Storing a batch of punches and announcing the new ones in one SQL statement.

A 100,000-record log made the gateway spend most of its storing time building outbox rows
in Python (a pydantic event, its envelope and their JSON per punch, on the event loop the
relay also runs on). Here PostgreSQL builds them from the punch rows it just inserted: the
insert (ON CONFLICT on the idempotency key) and the outbox rows of the new, mapped punches
are one statement. The payload follows `AttendancePunched` field for field and the headers
come from the Python envelope (only `ce_id`, the row's id, is made per row); other agencies
read this topic, so tests/integration/test_attendance_punch_outbox_contract.py compares
both with what `enqueue_many` writes for the same punches.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from bkpsdm.attendance_gateway.adapters.zk_log import RawPunch, punch_key
from bkpsdm.attendance_gateway.domain.terminal import Terminal
from bkpsdm.common.contracts import ATTENDANCE_PUNCHES, AttendancePunched
from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.events import EventMetadata

# `punched_at` as the contract's model writes it (pydantic: "Z" for a zero offset, whole minutes).
_PUNCHED_AT = TypeAdapter(list[datetime])
_TOPIC = ATTENDANCE_PUNCHES  # keyed by `nip`, which the SQL fills in
_AGGREGATE_TYPE = _TOPIC.key.removesuffix("_id")  # as `enqueue` names it


def envelope_headers(source: str, correlation_id: str | None) -> str:
    """The CloudEvents headers of this statement's events, as `enqueue` writes them, minus
    `ce_id` (per row). One `ce_time` for the statement's events."""
    meta = EventMetadata(type=AttendancePunched.event_type, source=source, correlation_id=correlation_id)
    headers = meta.to_headers()
    del headers["ce_id"]
    return json.dumps(headers)


class PunchStore:
    def __init__(self, conn: Connection, schema: str, source: str) -> None:
        self._conn, self._source = conn, source
        s = quote_schema(schema)
        # `input` keeps the log's order (ordinality), so a key's events keep it in the outbox.
        # gen_random_uuid() in a subquery's select list runs once per row: the row id and
        # its `ce_id` are the same value.
        self._sql = f"""
            WITH input AS (
                SELECT x.*, u.nip
                FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::int[], $6::int[])
                     WITH ORDINALITY AS x(k, user_id, punched_at, punched_at_text, verify_type, punch_state, ord)
                LEFT JOIN {s}.terminal_users u ON u.terminal_id = $7 AND u.user_id = x.user_id
            ),
            new AS (
                INSERT INTO {s}.punches (idempotency_key, terminal_id, serial, user_id, punched_at,
                    verify_type, punch_state, nip, published_at)
                SELECT k, $7, $8, user_id, punched_at, verify_type, punch_state, nip,
                       CASE WHEN nip IS NULL THEN NULL ELSE $9::timestamptz END
                FROM input ORDER BY ord
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING idempotency_key
            ),
            announced AS (
                INSERT INTO {s}.outbox (id, aggregatetype, aggregateid, type, topic, payload, headers)
                SELECT e.id, $10, e.nip, $11, $12,
                       jsonb_build_object(
                           'idempotency_key', e.k,
                           'nip', e.nip,
                           'terminal_id', $7::text,
                           'terminal_serial', $8::text,
                           'user_id', e.user_id,
                           'punched_at', e.punched_at_text,
                           'time_zone', $13::text,
                           'verify_type', e.verify_type,
                           'punch_state', e.punch_state,
                           'unit', $14::text),
                       $15::jsonb || jsonb_build_object('ce_id', e.id::text)
                FROM (
                    SELECT gen_random_uuid() AS id, i.*
                    FROM input i
                    WHERE i.nip IS NOT NULL AND i.k IN (SELECT idempotency_key FROM new)
                    ORDER BY i.ord
                ) e
                ORDER BY e.ord
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM new) AS stored, (SELECT count(*) FROM announced) AS announced
        """

    async def store(
        self,
        terminal: Terminal,
        serial: str,
        punches: Sequence[RawPunch],
        read_at: datetime,
        correlation_id: str | None,
    ) -> tuple[int, int]:
        """Insert what is new and announce each new punch whose user id is mapped to a NIP
        (the others wait, unpublished, for their mapping); (stored, announced)."""
        if not punches:
            return 0, 0
        zone = ZoneInfo(terminal.time_zone)
        unique: dict[str, RawPunch] = {}
        for p in punches:  # a record read twice in one log is one punch, announced once
            unique.setdefault(punch_key(serial, p.user_id, p.timestamp, p.punch_state), p)
        rows = list(unique.values())
        punched_at = [p.timestamp.replace(tzinfo=zone) for p in rows]
        row = await self._conn.fetchrow(
            self._sql,
            list(unique),
            [p.user_id for p in rows],
            punched_at,
            _PUNCHED_AT.dump_python(punched_at, mode="json"),
            [p.verify_type for p in rows],
            [p.punch_state for p in rows],
            uuid.UUID(terminal.terminal_id),
            serial,
            read_at,
            _AGGREGATE_TYPE,
            AttendancePunched.event_type,
            _TOPIC.name,
            terminal.time_zone,
            terminal.unit,
            envelope_headers(self._source, correlation_id),
        )
        assert row is not None
        return int(row["stored"]), int(row["announced"])
