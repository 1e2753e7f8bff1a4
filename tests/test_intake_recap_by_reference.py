"""A report with its recap, through intake and routing as processes on the real broker and
database: routing registers it, and a service holding the event fetches the recap from intake
by reference, with the hash the event carries."""

from __future__ import annotations

import asyncio
import hashlib
import json

import asyncpg
import httpx
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.intake import samples
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.services import ServiceFactory
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_recap_travels_by_reference_and_matches_its_hash(
    service_process: ServiceFactory, pool: asyncpg.Pool, run_id: str
) -> None:
    intake, routing = service_process("intake"), service_process("routing")
    await asyncio.gather(asyncio.to_thread(intake.wait_ready), asyncio.to_thread(routing.wait_ready))
    recap = samples.elapkin_recap(25, "2026-10")
    async with httpx.AsyncClient(base_url=intake.base_url, timeout=10) as http:
        response = await http.post(
            "/api/v1/submissions",
            data={"service_code": "E-LAPKIN", "title": "Rekap SKP Oktober", "period": "2026-10"},
            files={
                "surat-pengantar": ("surat.pdf", samples.PDF, "application/pdf"),
                "skp": ("skp.pdf", samples.PDF, "application/pdf"),
                "rekap-nilai-laporan-kinerja": ("rekap.csv", recap, "text/csv"),
            },
            headers=bearer(Role.PERANGKAT_DAERAH, unit=f"UNIT-{run_id}"),
        )
        assert response.status_code == 201, response.text
        submission_id = response.json()["submission_id"]

        async def registered() -> bool:
            async with pool.acquire() as conn:
                found = await conn.fetchval(
                    f"SELECT count(*) FROM e2e_{run_id}_routing.cases WHERE submission_id = $1", submission_id
                )
            return bool(found == 1)

        await eventually(registered, 60, "routing to open a case for the report")
        async with pool.acquire() as conn:
            payload = await conn.fetchval(
                f"SELECT payload FROM e2e_{run_id}_intake.outbox WHERE aggregateid = $1", submission_id
            )
        event = json.loads(payload) if isinstance(payload, str) else payload
        assert "Pegawai" not in json.dumps(event), "no recap row rides in the event"
        fetched = await http.get(event["recap"]["url"], headers=bearer(Role.INTERNAL_SERVICE))
        assert fetched.status_code == 200
        assert hashlib.sha256(fetched.content).hexdigest() == event["recap"]["sha256"]
        assert event["recap"]["rows"] == 25
