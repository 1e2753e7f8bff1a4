"""Mapping a terminal's user ids while a poll stores their punches loses none: the mapping waits
for the poll's batch and then releases what it stored unmapped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from bkpsdm.attendance_gateway import service
from bkpsdm.attendance_gateway.adapters.repository import PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.adapters.zk_log import RawPunch
from bkpsdm.attendance_gateway.settings import IDENTITY
from bkpsdm.common.db import quote_schema

pytestmark = pytest.mark.integration

NIP = "198503152010011001"


async def test_users_mapped_during_a_polls_batch_get_the_punches_it_stored_unmapped(
    gateway_factory: Callable[..., Any], technician_headers: dict[str, str], pool: asyncpg.Pool, schema: str
) -> None:
    async with gateway_factory(polling_enabled=False) as (runtime, client):
        client.headers.update(technician_headers)
        body = {"name": "Lobi", "address": "10.9.8.7", "unit": "BKPSDM"}
        terminal_id = (await client.post("/api/v1/terminals", json=body)).json()["terminal_id"]

        def unit_of_work() -> PostgresGatewayUnitOfWork:
            return PostgresGatewayUnitOfWork(runtime.db, IDENTITY.source)

        async with unit_of_work() as uow:
            [lease] = await uow.polling.claim("test-poller", 1, 30)
        punch = RawPunch(0, "1001", datetime(2026, 11, 2, 7, 25), verify_type=1, punch_state=0)
        async with unit_of_work() as batch:  # a poll's batch, as apply_poll runs it
            assert await batch.polling.lock_lease(lease, 30)
            stored = await batch.punches.store(lease.terminal, "SN1", [punch], datetime.now(UTC), "cid")
            assert stored == (1, 0)  # stored, not announced: user 1001 is not mapped yet
            mapping = asyncio.create_task(
                service.map_users(unit_of_work(), terminal_id, [("1001", NIP)], "cid")
            )
            await asyncio.sleep(0.5)
            assert not mapping.done()  # it waits for the batch instead of missing its punch
        assert await mapping == 1

    async with pool.acquire() as conn:
        published = await conn.fetchval(
            f"SELECT nip FROM {quote_schema(schema)}.punches WHERE published_at IS NOT NULL"
        )
        events = await conn.fetchval(
            f"SELECT count(*) FROM {quote_schema(schema)}.outbox WHERE payload->>'user_id' = '1001'"
        )
    assert (published, events) == (NIP, 1)
