"""Every service starts as its own process, migrates its schema, and reports ready
(broker and database reachable), live, and its metrics."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from bkpsdm.testing.services import SERVICES, ServiceFactory

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_every_service_is_ready_live_and_exposes_metrics(
    service_process: ServiceFactory, pool: asyncpg.Pool, run_id: str
) -> None:
    processes = {name: service_process(name) for name in SERVICES}
    await asyncio.gather(*(asyncio.to_thread(p.wait_ready, 90) for p in processes.values()))
    async with httpx.AsyncClient(timeout=10) as http:
        for name, process in processes.items():
            ready = (await http.get(f"{process.base_url}/health/ready")).json()
            assert (ready["status"], ready["checks"]) == ("ok", {"database": True, "kafka": True}), name
            assert "consumer_lag" in ready, "readiness shows each consumer group's lag"
            assert (await http.get(f"{process.base_url}/health/live")).status_code == 200
            metrics = await http.get(f"{process.base_url}/metrics")
            assert metrics.status_code == 200
            assert "process_cpu_seconds_total" in metrics.text
    async with pool.acquire() as conn:
        for name in SERVICES:
            schema = f"e2e_{run_id}_{name.replace('-', '_')}"
            applied = await conn.fetchval(f"SELECT count(*) FROM {schema}.schema_migrations")
            assert applied >= 1, f"{name} migrated its own schema"
