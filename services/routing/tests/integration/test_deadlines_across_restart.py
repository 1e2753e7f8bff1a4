"""Routing as a process, SIGKILLed while its SLA deadlines come due and started again: every
deadline fires exactly once (its warning, breach and escalation events each appear once).

The calendar is open around the clock and every SLA is scaled down, so the deadlines of a
half-hour step and a one-day case come due within seconds of wall time."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.common.db import quote_schema
from bkpsdm.common.events import EventMetadata
from bkpsdm.routing.settings import IDENTITY
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CASES = 12
ALWAYS_OPEN = {
    "version": "test/always-open",
    "time_zone": "Asia/Jakarta",
    "weekly": {
        day: [{"start": "00:00", "end": "23:59:59.999999"}]
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    },
    "holidays": None,
}
# Per case: the step's warning and breach, escalations to kasubbag, sekretaris and kepala
# badan (then there is no one above), and the case's own warning and breach.
EXPECTED = Counter(
    {
        ("id.go.bkpsdm.routing.case-deadline-approaching.v1", "STEP"): 1,
        ("id.go.bkpsdm.routing.case-deadline-breached.v1", "STEP"): 1,
        ("id.go.bkpsdm.routing.case-escalated.v1", 1): 1,
        ("id.go.bkpsdm.routing.case-escalated.v1", 2): 1,
        ("id.go.bkpsdm.routing.case-escalated.v1", 3): 1,
        ("id.go.bkpsdm.routing.case-deadline-approaching.v1", "CASE"): 1,
        ("id.go.bkpsdm.routing.case-deadline-breached.v1", "CASE"): 1,
    }
)


@pytest.fixture
async def process_schema(pool: asyncpg.Pool) -> AsyncIterator[str]:
    name = f"kill_{uuid.uuid4().hex[:8]}"
    yield name
    async with pool.acquire() as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(name)} CASCADE")


async def test_routing_killed_and_restarted_fires_every_deadline_exactly_once(
    infra: Infra, pool: asyncpg.Pool, process_schema: str, tmp_path: Path
) -> None:
    from .conftest import start_at_end  # the shared helper of this folder

    calendar = tmp_path / "calendar.json"
    calendar.write_text(json.dumps(ALWAYS_OPEN))
    prefix, suffix = IDENTITY.env_prefix, f"-{process_schema}"
    env = {
        **infra.env(),
        f"{prefix}DB_SCHEMA": process_schema,
        f"{prefix}CONSUMER_GROUP_SUFFIX": suffix,
        f"{prefix}CALENDAR_FILE": str(calendar),
        f"{prefix}SLA_SCALE": "0.0005",  # the half-hour step: 0.9 s; the case's day: 10.8 s
        f"{prefix}DEADLINE_IDLE_INTERVAL_S": "0.2",
        f"{prefix}LOG_LEVEL": "WARNING",
    }
    await start_at_end(infra.kafka_bootstrap_servers, suffix)
    first = ServiceProcess(IDENTITY.module, prefix, env, tmp_path).start()
    second: ServiceProcess | None = None
    try:
        await asyncio.to_thread(first.wait_ready)
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
        await producer.start()
        submissions: list[str] = []
        try:
            for i in range(CASES):
                event = SubmissionReceived(
                    submission_id=str(uuid.uuid4()),
                    service_code="E-LAPKIN",
                    perangkat_daerah=f"UNIT-{i}",
                    title=f"Rekap {i}",
                    received_at=datetime.now(UTC),
                )
                submissions.append(event.submission_id)
                meta = EventMetadata(type=event.event_type, source="/tests")
                await producer.send_and_wait(
                    SUBMISSIONS.name,
                    event.model_dump_json().encode(),
                    key=event.submission_id.encode(),
                    headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
                )
        finally:
            await producer.stop()

        # Only this test's cases: other engineers' submissions may reach the shared topic meanwhile.
        schema = quote_schema(process_schema)
        mine = f"SELECT case_id::text FROM {schema}.cases WHERE submission_id = ANY($1)"
        deadlines = f"SELECT * FROM {schema}.deadlines WHERE aggregate_id IN ({mine})"

        async def some_fired() -> bool:
            async with pool.acquire() as conn:
                fired = await conn.fetchval(
                    f"SELECT count(*) FROM ({deadlines}) d WHERE fired_at IS NOT NULL", submissions
                )
            return bool(fired >= 5)

        await eventually(some_fired, 60, "the first deadlines to fire")
        first.kill()  # SIGKILL, in the middle of the firing
        second = ServiceProcess(IDENTITY.module, prefix, env, tmp_path).start()
        await asyncio.to_thread(second.wait_ready)

        async def all_fired() -> bool:
            async with pool.acquire() as conn:
                cases = await conn.fetchval(f"SELECT count(*) FROM ({mine}) c", submissions)
                open_ = await conn.fetchval(
                    f"SELECT count(*) FROM ({deadlines}) d WHERE fired_at IS NULL AND cancelled_at IS NULL",
                    submissions,
                )
            return bool(cases == CASES and open_ == 0)

        await eventually(all_fired, 90, "every deadline to fire")
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT type, payload FROM {schema}.outbox WHERE topic = 'public.routing.sla.v1'"
                f" AND aggregateid IN ({mine})",
                submissions,
            )
            parked = await conn.fetchval(
                f"SELECT count(*) FROM ({deadlines}) d WHERE parked_at IS NOT NULL", submissions
            )
        per_case: dict[str, Counter[tuple[str, object]]] = {}
        for row in rows:
            payload = json.loads(row["payload"])
            detail = payload.get("scope", payload.get("level"))
            per_case.setdefault(payload["case_id"], Counter())[(row["type"], detail)] += 1
        assert parked == 0
        assert len(per_case) == CASES
        assert all(seen == EXPECTED for seen in per_case.values()), per_case
    finally:
        first.kill()
        if second is not None:
            second.stop()
