"""Intake's HTTP API and acknowledgement handler against real PostgreSQL and Kafka."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from bkpsdm.common.contracts import CASES, SubmissionAcknowledged
from bkpsdm.common.events import EventMetadata
from bkpsdm.intake.bootstrap import bootstrap
from bkpsdm.intake.settings import IntakeSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import running_service, settings_for_test
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

VALID = {"service_code": "E-LAPKIN", "perangkat_daerah": "Dinas Pendidikan", "title": "Rekap SKP Oktober"}


@pytest.fixture
async def intake(infra: Infra, schema: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running_service(bootstrap, settings_for_test(IntakeSettings, infra, schema)) as (_, client):
        yield client


async def test_a_submission_gets_a_receipt_and_its_event_goes_out_through_the_outbox(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, schema: str
) -> None:
    response = await intake.post(
        "/api/v1/submissions", json=VALID, headers={"X-Correlation-ID": "cid-intake-1"}
    )
    assert response.status_code == 201
    receipt = response.json()
    assert receipt["status"] == "DITERIMA"
    assert response.headers["x-correlation-id"] == "cid-intake-1"

    async def published() -> bool:
        async with pool.acquire() as conn:
            row = await conn.fetchrow(f'SELECT * FROM "{schema}".outbox')
        return row is not None and row["sent_at"] is not None

    await eventually(published, 20, "the relay to publish the submission event")
    async with pool.acquire() as conn:
        row = await conn.fetchrow(f'SELECT * FROM "{schema}".outbox')
    assert row is not None
    assert row["aggregateid"] == receipt["submission_id"]
    assert row["type"] == "id.go.bkpsdm.intake.submission-received.v1"
    assert json.loads(row["headers"])["correlation_id"] == "cid-intake-1"

    status = await intake.get(f"/api/v1/submissions/{receipt['submission_id']}")
    assert status.status_code == 200
    assert status.json()["submission_id"] == receipt["submission_id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"service_code": "E-LAPKIN", ', 400, "BODY_NOT_JSON"),
        (b"bukan json", 400, "BODY_NOT_JSON"),
        (json.dumps({"service_code": "E-LAPKIN"}).encode(), 422, "REQUEST_INVALID"),
        (json.dumps({**VALID, "service_code": "CUTI"}).encode(), 422, "SERVICE_UNKNOWN"),
        (json.dumps({**VALID, "perangkat_daerah": "  "}).encode(), 422, "APPLICANT_REQUIRED"),
        (json.dumps({**VALID, "title": "x" * 301}).encode(), 422, "REQUEST_INVALID"),
        (b"[1, 2, 3]", 422, "REQUEST_INVALID"),
        (json.dumps({**VALID, "title": "   "}).encode(), 422, "TITLE_REQUIRED"),
        (json.dumps({**VALID, "perangkat_daerah": "Dinas\u0000Kesehatan"}).encode(), 422, "REQUEST_INVALID"),
    ],
)
async def test_bad_input_gets_a_stable_code_and_an_indonesian_message(
    intake: httpx.AsyncClient, body: bytes, status: int, code: str
) -> None:
    response = await intake.post(
        "/api/v1/submissions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]


async def test_missing_fields_are_named(intake: httpx.AsyncClient) -> None:
    response = await intake.post("/api/v1/submissions", json={"service_code": "E-LAPKIN"})
    fields = {d["field"] for d in response.json()["details"]}
    assert fields == {"perangkat_daerah", "title"}
    assert response.json()["message"] == "Data permintaan tidak sesuai format."


async def test_an_oversized_upload_is_refused_before_it_is_read(intake: httpx.AsyncClient) -> None:
    response = await intake.post(
        "/api/v1/submissions", content=b"x" * (6 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "Ukuran permintaan melebihi batas yang diizinkan.",
    }


@pytest.mark.parametrize("submission_id", [str(uuid.uuid4()), "bukan-uuid"])
async def test_an_unknown_submission_is_not_found(intake: httpx.AsyncClient, submission_id: str) -> None:
    response = await intake.get(f"/api/v1/submissions/{submission_id}")
    assert response.status_code == 404
    assert response.json() == {"code": "SUBMISSION_NOT_FOUND", "message": "Pengajuan tidak ditemukan."}


async def test_unknown_routes_and_methods_answer_in_indonesian(intake: httpx.AsyncClient) -> None:
    assert (await intake.get("/tidak-ada")).json()["code"] == "NOT_FOUND"
    assert (await intake.delete("/api/v1/submissions")).json()["code"] == "METHOD_NOT_ALLOWED"


async def test_an_acknowledgement_delivered_twice_updates_the_status_once(
    intake: httpx.AsyncClient, infra: Infra, pool: asyncpg.Pool, schema: str
) -> None:
    receipt = (await intake.post("/api/v1/submissions", json=VALID)).json()
    event = SubmissionAcknowledged(
        submission_id=receipt["submission_id"], case_id="case-77", acknowledged_at=datetime.now(UTC)
    )
    meta = EventMetadata(type=SubmissionAcknowledged.event_type, source="/tests", correlation_id="cid-ack")
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        for _ in range(2):  # the same event id twice: a redelivery
            await producer.send_and_wait(
                CASES.name,
                event.model_dump_json().encode(),
                key=receipt["submission_id"].encode(),
                headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
            )
    finally:
        await producer.stop()

    async def acknowledged() -> bool:
        body = (await intake.get(f"/api/v1/submissions/{receipt['submission_id']}")).json()
        return bool(body["status"] == "TERCATAT")

    await eventually(acknowledged, 30, "the acknowledgement to reach the submission")

    async def both_deliveries_seen() -> bool:
        async with pool.acquire() as conn:
            seen = await conn.fetchval(f'SELECT count(*) FROM "{schema}".inbox WHERE event_id = $1', meta.id)
        return bool(seen == 1)

    await eventually(both_deliveries_seen, 10, "the inbox to record the event once")
    body = (await intake.get(f"/api/v1/submissions/{receipt['submission_id']}")).json()
    assert body["case_id"] == "case-77"


async def test_a_retry_with_the_same_idempotency_key_does_not_make_a_second_submission(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, schema: str
) -> None:
    headers = {"Idempotency-Key": f"pd-dikbud-{uuid.uuid4().hex[:8]}"}
    first = await intake.post("/api/v1/submissions", json=VALID, headers=headers)
    again = await intake.post("/api/v1/submissions", json=VALID, headers=headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["submission_id"] == first.json()["submission_id"]
    other = await intake.post("/api/v1/submissions", json={**VALID, "title": "Lain"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    async with pool.acquire() as conn:
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".submissions') == 1
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".outbox') == 1
    bad_key = await intake.post("/api/v1/submissions", json=VALID, headers={"Idempotency-Key": "a b"})
    assert bad_key.status_code == 422
