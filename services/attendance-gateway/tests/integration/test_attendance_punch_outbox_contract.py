"""The punch events PostgreSQL builds (adapters/punch_store.py) are the public contract: the
same bytes on the topic as `enqueue_many` writes for the `AttendancePunched` the Python code
would build, valid against the model, with a CloudEvents envelope of the same shape."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bkpsdm.attendance_gateway.adapters.repository import PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.adapters.zk_log import RawPunch, punch_key
from bkpsdm.attendance_gateway.bootstrap import MIGRATIONS
from bkpsdm.attendance_gateway.domain.terminal import Terminal, Transport
from bkpsdm.attendance_gateway.settings import IDENTITY
from bkpsdm.common.contracts import ATTENDANCE_PUNCHES, AttendancePunched
from bkpsdm.common.db import Database, migrate_service, quote_schema
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.outbox import enqueue_many
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

NIPS = {"1001": "198503152010011001", "1002": "199001012015032002"}
# A serial with what JSON must escape, and non-ASCII text, as a terminal may report it.
SERIAL = 'SN-"Ä\\1'
OUTBOX_COLUMNS = (
    "seq, id, aggregatetype, aggregateid, type, topic, payload::text AS payload, headers::text AS headers"
)


@pytest.fixture
async def database(infra: Infra, schema: str) -> AsyncIterator[Database]:
    db = Database(infra.database_url, schema, 1, 4)
    await db.connect()
    await migrate_service(db.pool, schema, IDENTITY.name, MIGRATIONS)
    yield db
    await db.close()


def terminal(time_zone: str, port: int) -> Terminal:
    return Terminal(
        terminal_id=str(uuid.uuid4()),
        name=f"Mesin {port}",
        address="10.0.0.1",
        port=port,
        transport=Transport.TCP,
        comm_key=0,
        time_zone=time_zone,
        poll_interval_s=60,
        unit="Dinas Kesehatan",
        enabled=True,
    )


def python_event(t: Terminal, p: RawPunch) -> AttendancePunched:
    """The event as the gateway built it in Python before the SQL path."""
    return AttendancePunched(
        idempotency_key=punch_key(SERIAL, p.user_id, p.timestamp, p.punch_state),
        nip=NIPS[p.user_id],
        terminal_id=t.terminal_id,
        terminal_serial=SERIAL,
        user_id=p.user_id,
        punched_at=p.timestamp.replace(tzinfo=ZoneInfo(t.time_zone)),
        time_zone=t.time_zone,
        verify_type=p.verify_type,
        punch_state=p.punch_state,
        unit=t.unit,
    )


@pytest.mark.parametrize(
    "time_zone",
    # Indonesia's three zones, a zero offset (pydantic writes "Z"), a half-hour offset, and a
    # zone with daylight saving (a summer and a winter punch).
    ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "UTC", "America/St_Johns", "Europe/Berlin"],
)
async def test_sql_built_punch_events_match_the_python_contract_byte_for_byte(
    database: Database, time_zone: str
) -> None:
    t = terminal(time_zone, 4370)
    day = datetime(2026, 7, 1, 7, 25, 9)
    punches = [
        RawPunch(0, "1001", day, 1, 0),
        RawPunch(1, "1002", day + timedelta(minutes=3), 15, 0),
        RawPunch(2, "2001", day + timedelta(minutes=4), 1, 0),  # unmapped: stored, not announced
        RawPunch(3, "1001", day, 1, 0),  # the same record twice in one log: one punch
        RawPunch(4, "1002", day + timedelta(hours=9), 1, 255),
        RawPunch(5, "1001", datetime(2026, 1, 5, 16, 1), 4, 1),
    ]
    correlation_id = str(uuid.uuid4())

    def uow() -> PostgresGatewayUnitOfWork:
        return PostgresGatewayUnitOfWork(database, IDENTITY.source)

    async with uow() as u:
        await u.terminals.add(t)
        await u.terminals.map_users(t.terminal_id, list(NIPS.items()))
        assert await u.punches.store(t, SERIAL, punches[1:2], datetime.now(UTC), correlation_id) == (1, 1)
    async with uow() as u:  # the log read again, with more records: only the new ones
        assert await u.punches.store(t, SERIAL, punches, datetime.now(UTC), correlation_id) == (4, 3)

    q = quote_schema(database.schema)
    async with database.pool.acquire() as conn:
        built = await conn.fetch(f"SELECT {OUTBOX_COLUMNS} FROM {q}.outbox ORDER BY seq")
        expected_events = [python_event(t, p) for p in (punches[1], punches[0], punches[4], punches[5])]
        async with conn.transaction():
            await enqueue_many(
                conn,
                database.schema,
                ATTENDANCE_PUNCHES,
                expected_events,
                source=IDENTITY.source,
                correlation_id=correlation_id,
            )
        python_rows = await conn.fetch(
            f"SELECT {OUTBOX_COLUMNS} FROM {q}.outbox WHERE seq > $1 ORDER BY seq", built[-1]["seq"]
        )

    assert len(built) == len(python_rows) == 4  # in log order, each punch once
    for sql_row, python_row, event in zip(built, python_rows, expected_events, strict=True):
        # What the relay publishes: key, value and the other columns, byte for byte.
        for column in ("aggregatetype", "aggregateid", "type", "topic", "payload"):
            assert sql_row[column] == python_row[column], column
        parsed = AttendancePunched.model_validate_json(sql_row["payload"])
        assert parsed == event
        assert set(json.loads(sql_row["payload"])) == set(AttendancePunched.model_fields)

        headers, python_headers = json.loads(sql_row["headers"]), json.loads(python_row["headers"])
        assert set(headers) == set(python_headers)
        assert headers["ce_id"] == str(sql_row["id"])  # consumers de-duplicate by it
        ce_time = datetime.fromisoformat(headers["ce_time"])
        assert ce_time.isoformat() == headers["ce_time"]  # written as Python writes it
        assert abs(ce_time - datetime.now(UTC)) < timedelta(minutes=1)
        volatile = {"ce_id", "ce_time"}
        assert {k: v for k, v in headers.items() if k not in volatile} == {
            k: v for k, v in python_headers.items() if k not in volatile
        }
        meta = EventMetadata.from_headers(headers)
        assert (meta.type, meta.source, meta.correlation_id) == (
            AttendancePunched.event_type,
            IDENTITY.source,
            correlation_id,
        )
    assert len({r["id"] for r in built}) == len(built)


async def test_punches_stored_and_announced_keep_the_stored_row_in_step(
    database: Database, pool: asyncpg.Pool
) -> None:
    """The punch row holds the instant and the publication mark the event announced."""
    t = terminal("Asia/Makassar", 4371)
    when = datetime(2026, 11, 2, 7, 25)
    read_at = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
    async with PostgresGatewayUnitOfWork(database, IDENTITY.source) as u:
        await u.terminals.add(t)
        await u.terminals.map_users(t.terminal_id, [("1001", NIPS["1001"])])
        stored = await u.punches.store(
            t, SERIAL, [RawPunch(0, "1001", when, 1, 0), RawPunch(1, "2001", when, 1, 0)], read_at, None
        )
    assert stored == (2, 1)
    q = quote_schema(database.schema)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT user_id, nip, punched_at, published_at FROM {q}.punches ORDER BY user_id"
        )
        headers = json.loads(await conn.fetchval(f"SELECT headers::text FROM {q}.outbox"))
    instant = when.replace(tzinfo=ZoneInfo("Asia/Makassar"))
    assert [tuple(r) for r in rows] == [
        ("1001", NIPS["1001"], instant, read_at),
        ("2001", None, instant, None),  # waits for its mapping
    ]
    assert "correlation_id" not in headers  # none given: none written, as `enqueue` does
