"""SLA deadlines as database rows fired by routing under a controllable clock: a warning before
a step is due, a breach after it, escalation one level up and one more while it stays late;
the case's own deadline too. Its events go out on the SLA and notification topics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bkpsdm.common.contracts import (
    SUBMISSIONS,
    CaseDeadlineApproaching,
    CaseDeadlineBreached,
    CaseEscalated,
    NotificationRaised,
    SubmissionReceived,
)
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Routing = Any


async def test_a_late_step_is_warned_breached_and_escalated_under_a_moved_clock(routing: Routing) -> None:
    event = SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        service_code="E-LAPKIN",
        perangkat_daerah="DISDIK",
        title="Rekap SKP",
        received_at=datetime.now(UTC),
    )
    await routing.publish(SUBMISSIONS, event)  # Monday 09:00 WIB on the test's clock
    case = await routing.case_of(event.submission_id)
    assert case["due_at"] == "2026-11-23T09:30:00+07:00", "half an hour of service time at the admin desk"
    assert case["case_due_at"] == "2026-11-24T09:00:00+07:00", "1 Hari: six service hours"
    case_id = case["case_id"]

    async def sla(event_type: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await routing.outbox(event_type, case_id=case_id)
        return found

    await routing.fire()
    assert await sla(CaseDeadlineApproaching.event_type) == []
    routing.clock.advance(minutes=23)
    await routing.fire()
    [warning] = await sla(CaseDeadlineApproaching.event_type)
    assert (warning["scope"], warning["holder_role"]) == ("STEP", "petugas-administrasi")
    assert await sla(CaseDeadlineBreached.event_type) == []

    routing.clock.advance(minutes=8)
    await routing.fire()
    await routing.fire()  # a second pass fires nothing twice
    [breach] = await sla(CaseDeadlineBreached.event_type)
    assert breach["step"] == "PENERIMAAN"
    [first] = await sla(CaseEscalated.event_type)
    assert (first["escalated_to_role"], first["level"]) == ("kasubbag-umum-kepegawaian-aset", 1)
    item = (await routing.inbox("kasubbag"))[case_id]
    assert (item["escalated"], item["overdue"]) == (True, True)

    routing.clock.advance(minutes=31)  # still late a step-length later: one more level up
    await routing.fire()
    assert [(e["escalated_to_role"], e["level"]) for e in await sla(CaseEscalated.event_type)] == [
        ("kasubbag-umum-kepegawaian-aset", 1),
        ("sekretaris", 2),
    ]
    kinds = {(n["kind"], n["recipient_role"]) for n in await sla(NotificationRaised.event_type)}
    assert {
        ("SLA_WARNING", "petugas-administrasi"),
        ("SLA_BREACH", "petugas-administrasi"),
        ("ESKALASI", "sekretaris"),
    } <= kinds

    # Acting stops the step's clock; the case's own deadline keeps running.
    await routing.act("admin", case_id, "register")
    routing.clock.set(datetime.fromisoformat("2026-11-24T09:00:01+07:00"))
    await routing.fire()
    assert [w["scope"] for w in await sla(CaseDeadlineApproaching.event_type)] == ["STEP", "STEP", "CASE"]
    assert [w["scope"] for w in await sla(CaseDeadlineBreached.event_type)] == ["STEP", "STEP", "CASE"]
    view = (await routing.get("admin", f"/api/v1/cases/{case_id}")).json()
    assert [h["action"] for h in view["history"]].count("escalated") == 3

    async def published() -> bool:
        async with routing.pool.acquire() as conn:
            pending = await conn.fetchval(
                f'SELECT count(*) FROM "{routing.schema}".outbox WHERE sent_at IS NULL AND topic = $1',
                "public.routing.sla.v1",
            )
        return bool(pending == 0)

    await eventually(published, 30, "the SLA events to reach Kafka")
