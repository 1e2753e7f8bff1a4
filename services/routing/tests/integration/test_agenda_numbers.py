"""Agenda numbers: a running number per calendar year with no gaps, also when registrations
run at once or one of them rolls back; and a double click is one registration."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.routing.adapters.repository import PostgresRoutingUnitOfWork
from bkpsdm.routing.settings import IDENTITY

pytestmark = pytest.mark.integration

Routing = Any


async def open_cases(routing: Routing, count: int) -> list[str]:
    events = [
        SubmissionReceived(
            submission_id=str(uuid.uuid4()),
            service_code="E-LAPKIN",
            perangkat_daerah=f"UNIT-{i}",
            title=f"Rekap {i}",
            received_at=datetime.now(UTC),
        )
        for i in range(count)
    ]
    for event in events:
        await routing.publish(SUBMISSIONS, event)
    return [(await routing.case_of(e.submission_id))["case_id"] for e in events]


async def test_concurrent_registrations_take_every_number_once_without_gaps(routing: Routing) -> None:
    cases = await open_cases(routing, 12)
    answers = await asyncio.gather(*(routing.post("admin", f"/api/v1/cases/{c}/register") for c in cases))
    assert [a.status_code for a in answers] == [200] * 12
    numbers = sorted(a.json()["agenda_number"] for a in answers)
    assert numbers == [f"{n:03d}/BKPSDM/XI/2026" for n in range(1, 13)]


async def test_a_rolled_back_registration_gives_its_number_back(routing: Routing) -> None:
    def uow() -> PostgresRoutingUnitOfWork:
        return PostgresRoutingUnitOfWork(routing.runtime.db, IDENTITY.source)

    async with uow() as first:
        assert await first.cases.next_agenda_seq(2031) == 1

    async def fail_after_taking_a_number() -> None:
        async with uow() as failing:
            assert await failing.cases.next_agenda_seq(2031) == 2
            raise RuntimeError("the registration failed after taking its number")

    with pytest.raises(RuntimeError):
        await fail_after_taking_a_number()
    async with uow() as after:
        assert await after.cases.next_agenda_seq(2031) == 2
        assert await after.cases.next_agenda_seq(2032) == 1, "each calendar year has its own sequence"


async def test_a_double_click_sent_at_once_is_one_registration(routing: Routing) -> None:
    [case_id] = await open_cases(routing, 1)
    clicks = await asyncio.gather(
        *(
            routing.post("admin", f"/api/v1/cases/{case_id}/register", {"client_key": "dobel"})
            for _ in range(3)
        )
    )
    assert [c.status_code for c in clicks] == [200, 200, 200]
    assert len({c.text for c in clicks}) == 1
    history = (await routing.get("admin", f"/api/v1/cases/{case_id}")).json()["history"]
    assert [h["action"] for h in history] == ["opened", "register"]
    mismatch = await routing.post("admin", f"/api/v1/cases/{case_id}/forward", {"client_key": "a"}, key="b")
    assert (mismatch.status_code, mismatch.json()["code"]) == (409, "CLIENT_KEY_MISMATCH")
