"""The walking skeleton through the real pieces: intake and routing as processes, real Kafka,
real PostgreSQL. A submission posted over HTTP shows up in routing's table and back in
intake's status, once, with one correlation id in every log line on the way."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import CASES, SUBMISSIONS
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.kafka import start_group_at_end
from bkpsdm.testing.services import ServiceFactory
from bkpsdm.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_submission_goes_through_intake_and_routing_once_with_one_correlation_id(
    service_process: ServiceFactory, pool: asyncpg.Pool, run_id: str, infra: Infra
) -> None:
    # Routing's and intake's new groups start at the end of the shared topics, not at their start.
    bootstrap = infra.kafka_bootstrap_servers
    await start_group_at_end(bootstrap, f"routing.case-opening-{run_id}", SUBMISSIONS.name)
    await start_group_at_end(bootstrap, f"intake.case-status-{run_id}", CASES.name)
    intake, routing = service_process("intake"), service_process("routing")
    await asyncio.gather(asyncio.to_thread(intake.wait_ready), asyncio.to_thread(routing.wait_ready))
    correlation_id = f"skeleton-{run_id}"

    applicant = bearer(Role.PERANGKAT_DAERAH, unit="DISDIK")
    repair_request = {
        "service_code": "ABSENSI-FINGER",
        "title": "Mesin absensi lobi tidak membaca sidik jari",
        "terminal": "X100C lobi utama",
        "problem": "Sensor tidak merespons",
        "contact": "Budi, 0812-3456-7890",
    }
    async with httpx.AsyncClient(timeout=10, headers=applicant) as http:
        response = await http.post(
            f"{intake.base_url}/api/v1/submissions",
            files=[(k, (None, v.encode())) for k, v in repair_request.items()],  # multipart/form-data
            headers={"X-Correlation-ID": correlation_id},
        )
        assert response.status_code == 201, response.text
        submission_id = response.json()["submission_id"]

        async def acknowledged() -> bool:
            status = await http.get(f"{intake.base_url}/api/v1/submissions/{submission_id}")
            return bool(status.json()["status"] == "TERCATAT")

        await eventually(acknowledged, 60, "intake to show the submission as registered by routing")
        status = (await http.get(f"{intake.base_url}/api/v1/submissions/{submission_id}")).json()
        case = (await http.get(f"{routing.base_url}/api/v1/cases/by-submission/{submission_id}")).json()
    assert status["case_id"] == case["case_id"]

    async with pool.acquire() as conn:
        cases = await conn.fetch(
            f"SELECT * FROM e2e_{run_id}_routing.cases WHERE submission_id = $1", submission_id
        )
        submissions = await conn.fetch(
            f"SELECT * FROM e2e_{run_id}_intake.submissions WHERE submission_id = $1::uuid", submission_id
        )
        outboxes = [
            await conn.fetchval(
                f"SELECT count(*) FROM e2e_{run_id}_{s}.outbox WHERE aggregateid = $1", submission_id
            )
            for s in ("intake", "routing")
        ]
    assert len(cases) == 1
    assert len(submissions) == 1
    assert cases[0]["correlation_id"] == correlation_id
    assert outboxes == [1, 1], "one event each way"

    # Every log line about this submission, in both services, carries the one correlation id.
    lines = [
        line
        for process in (intake, routing)
        for line in process.json_lines()
        if submission_id in str(line.get("submission_id", ""))
    ]
    events = {line["event"] for line in lines}
    assert {"submission.received", "case.opened", "submission.acknowledged"} <= events
    assert {line.get("correlation_id") for line in lines} == {correlation_id}
    handled = [line for line in lines if line["event"] in {"case.opened", "submission.acknowledged"}]
    assert all(line.get("event_id") and line.get("topic") for line in handled)

    # SIGTERM (an operator's stop, a rolling deploy): both finish their shutdown in order.
    # (uvicorn re-raises the signal after a graceful stop, so the exit status names SIGTERM.)
    for process in (intake, routing):
        process.stop(timeout=30)
        assert process.wait_exit(1) in (0, -15)
        assert any(line.get("event") == "service.stopped" for line in process.json_lines())
