"""The public statistics over HTTP on the real database: cases seeded through routing's own
repository (one done within its SLA, one breached, one returned and resubmitted, one still open,
one of a service without a target, others outside the period) are counted exactly, anonymously."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.routing.adapters.repository import PostgresRoutingUnitOfWork
from bkpsdm.routing.domain.case import CaseStatus, HistoryEntry, open_case
from bkpsdm.routing.domain.workflow import Action
from bkpsdm.routing.ports import RoutingContext
from bkpsdm.routing.settings import IDENTITY

from .conftest import Routing

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def clock() -> Any:
    from ..conftest import FakeClock

    # Routing's own clock sits in 2030: a submission another test publishes meanwhile opens a
    # case then, never in the 2029 the figures below are asked for.
    return FakeClock(datetime(2030, 6, 3, 9, 0, tzinfo=WIB))


def at(day: str, hour: int, minute: int = 0) -> datetime:
    y, m, d = (int(p) for p in day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=WIB)


async def seed(
    routing: Routing,
    service_code: str,
    opened_at: datetime,
    *,
    completed_at: datetime | None = None,
    returned_at: datetime | None = None,
    resubmitted_at: datetime | None = None,
) -> None:
    ctx: RoutingContext = routing.app.state.context
    definition = ctx.workflows.current(service_code)
    assert definition is not None
    case, _, _ = open_case(
        definition,
        submission_id=str(uuid.uuid4()),
        perangkat_daerah="DISDIK",
        title=f"Statistik {service_code}",
        opened_at=opened_at,
        opened_by=None,
        sla=ctx.sla,
        rules_version=ctx.rules.version,
    )
    moves = [("opened", opened_at)]
    if returned_at is not None:
        moves.append((Action.RETURN.value, returned_at))
    if resubmitted_at is not None:
        restarted = ctx.sla.case(resubmitted_at, 1)
        assert restarted is not None
        case = replace(case, sla_round=2, case_due_at=restarted.due_at)
        moves.append((Action.RESUBMITTED.value, resubmitted_at))
    if completed_at is not None:
        case = replace(
            case,
            status=CaseStatus.DONE,
            step="SELESAI",
            holder_role=None,
            holder_unit=None,
            step_entered_at=completed_at,
            step_due_at=None,
        )
        moves.append((Action.COMPLETE.value, completed_at))
    uow = PostgresRoutingUnitOfWork(routing.runtime.db, IDENTITY.source)
    async with uow:
        assert await uow.cases.add(case, None)
        for action, when in moves:
            await uow.cases.append_history(
                HistoryEntry(case.case_id, when, action, None, case.step, None, None, None)
            )


async def test_the_public_statistics_count_each_service_exactly_and_need_no_sign_in(routing: Routing) -> None:
    monday = "2029-11-19"  # E-LAPKIN: "1 Hari" = 6 service hours, due Tuesday 09:00
    await seed(routing, "E-LAPKIN", at(monday, 9), completed_at=at(monday, 13))  # 2.5 h: within
    await seed(routing, "E-LAPKIN", at(monday, 9), completed_at=at("2029-11-21", 10))  # 13 h: breached
    await seed(  # returned; the resubmission restarts the clock (due Wednesday 10:00): within, 2.5 h
        routing,
        "E-LAPKIN",
        at(monday, 9),
        returned_at=at(monday, 10),
        resubmitted_at=at("2029-11-20", 10),
        completed_at=at("2029-11-20", 14),
    )
    await seed(routing, "E-LAPKIN", at(monday, 9))  # still open
    await seed(routing, "E-LAPKIN", at("2029-10-08", 9))  # October, still open
    await seed(routing, "PORTAL-INFO", at(monday, 9), completed_at=at(monday, 10))  # no target: 1 h
    await seed(routing, "E-LAPKIN", at("2028-12-31", 23, 30), completed_at=at("2029-01-02", 9))  # 2028 (WIB)

    response = await routing.client.get("/api/v1/statistics", params={"year": 2029})
    assert response.status_code == 200, response.text
    body = response.json()
    services = {s["service_code"]: s for s in body["services"]}
    assert set(services) == {"ABSENSI-FINGER", "E-LAPKIN", "IP-ASN", "PORTAL-INFO"}
    figures = ("received", "completed", "in_progress", "returned_at_least_once", "completed_with_sla")
    lapkin = services["E-LAPKIN"]
    assert [lapkin[f] for f in figures] == [5, 3, 2, 1, 3]
    assert (lapkin["completed_within_sla"], lapkin["sla_compliance_percent"]) == (2, 66.67)
    assert lapkin["median_completion_service_hours"] == 2.5
    assert (lapkin["service_name"], lapkin["sla_target"]) == ("Pelayanan Pelaporan Kinerja PNS", "1 Hari")
    portal = services["PORTAL-INFO"]
    assert [portal[f] for f in figures] == [1, 1, 0, 0, 0]
    assert (portal["sla_compliance_percent"], portal["median_completion_service_hours"]) == (None, 1.0)
    assert services["IP-ASN"]["received"] == 0
    assert services["IP-ASN"]["sla_compliance_percent"] is None
    totals = body["totals"]
    assert [totals[f] for f in figures] == [6, 4, 2, 1, 3]
    assert (totals["completed_within_sla"], totals["sla_compliance_percent"]) == (2, 66.67)
    assert totals["median_completion_service_hours"] == 2.5  # of 1, 2.5, 2.5, 13
    assert (body["year"], body["month"]) == (2029, None)
    assert body["period_start"] == "2029-01-01T00:00:00+07:00"
    assert body["generated_at"] == "2030-06-03T09:00:00+07:00"

    october = (await routing.client.get("/api/v1/statistics", params={"year": 2029, "month": 10})).json()
    assert october["totals"]["received"] == 1
    assert october["totals"]["in_progress"] == 1
    earlier = (await routing.client.get("/api/v1/statistics", params={"year": 2028})).json()
    assert earlier["totals"]["received"] == 1
    # Opened on a Sunday night: its clock starts at the next opening (2 January, after New Year).
    assert earlier["totals"]["completed_within_sla"] == 1


@pytest.mark.parametrize("params", [{"year": 1999}, {"year": 2032}, {"year": 2029, "month": 13}])
async def test_a_period_outside_the_sane_range_is_refused_in_indonesian(
    routing: Routing, params: dict[str, int]
) -> None:
    # The bounds are in the OpenAPI schema: refused as any out-of-schema value is.
    response = await routing.client.get("/api/v1/statistics", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "REQUEST_INVALID"
    assert response.json()["details"], "names the field and the bound"
