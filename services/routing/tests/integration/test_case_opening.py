"""Routing opens one case per submission and acknowledges it once, whatever is redelivered."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.common.events import EventMetadata
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration


async def test_a_submission_delivered_three_times_opens_one_case_and_one_acknowledgement(
    routing: Any,
) -> None:
    submission_id = str(uuid.uuid4())
    event = SubmissionReceived(
        submission_id=submission_id,
        service_code="IP-ASN",
        perangkat_daerah="Dinas Kesehatan",
        title="Laporan IP-ASN 2026",
        received_at=datetime.now(UTC),
    )
    meta = EventMetadata(type=SubmissionReceived.event_type, source="/tests", correlation_id="cid-routing")
    resent = EventMetadata(type=SubmissionReceived.event_type, source="/tests", correlation_id="cid-routing")
    # The same event twice (a redelivery), then a second event for the same submission.
    for m in (meta, meta, resent):
        await routing.producer.send_and_wait(
            SUBMISSIONS.name,
            event.model_dump_json().encode(),
            key=submission_id.encode(),
            headers=[(k, v.encode()) for k, v in m.to_headers().items()],
        )

    async def both_events_seen() -> bool:
        async with routing.pool.acquire() as conn:
            seen = await conn.fetchval(
                f'SELECT count(*) FROM "{routing.schema}".inbox WHERE event_id = ANY($1)',
                [meta.id, resent.id],
            )
        return bool(seen == 2)

    await eventually(both_events_seen, 30, "routing to handle both events")
    response = await routing.get("admin", f"/api/v1/cases/by-submission/{submission_id}")
    assert response.status_code == 200
    assert (response.json()["service_code"], response.json()["step"]) == ("IP-ASN", "PENERIMAAN")

    async with routing.pool.acquire() as conn:
        cases = await conn.fetch(
            f'SELECT * FROM "{routing.schema}".cases WHERE submission_id = $1', submission_id
        )
        acks = await conn.fetch(
            f'SELECT * FROM "{routing.schema}".outbox WHERE aggregateid = $1', submission_id
        )
    assert len(cases) == 1
    assert len(acks) == 1
    assert cases[0]["correlation_id"] == "cid-routing"
    assert json.loads(acks[0]["headers"])["correlation_id"] == "cid-routing"
    assert json.loads(acks[0]["payload"])["case_id"] == str(cases[0]["case_id"])

    missing = await routing.get("admin", f"/api/v1/cases/by-submission/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["code"]) == (404, "CASE_NOT_FOUND")
    other_unit = await routing.get("disdik", f"/api/v1/cases/by-submission/{submission_id}")
    assert other_unit.status_code == 404, "another unit's case is not confirmed"
    anonymous = await routing.client.get(f"/api/v1/cases/by-submission/{submission_id}")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "TOKEN_MISSING")
    for bad in ("bukan-uuid", "a%00b"):
        response = await routing.get("admin", f"/api/v1/cases/by-submission/{bad}")
        assert response.status_code == 422
        assert response.json()["code"] == "REQUEST_INVALID"
