"""The attendance repair flow through its diagnosis step and through its timeout, and the
portal cycle with a loop back, against the real broker and database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bkpsdm.common.contracts import (
    SUBMISSIONS,
    TERMINAL_STATUS,
    CaseStepChanged,
    SubmissionReceived,
    TerminalDiagnosed,
    TerminalDiagnosisRequested,
    TerminalHealthChanged,
)
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Routing = Any


def repair(terminal: str) -> SubmissionReceived:
    return SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        service_code="ABSENSI-FINGER",
        perangkat_daerah="DISDIK",
        title="Mesin absensi lobi tidak membaca sidik jari",
        received_at=datetime.now(UTC),
        request={"terminal": terminal, "problem": "Sensor tidak merespons"},
    )


async def handled(routing: Routing, event_id: str) -> None:
    async def seen() -> bool:
        async with routing.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    f'SELECT count(*) FROM "{routing.schema}".inbox WHERE event_id = $1', event_id
                )
            )

    await eventually(seen, 60, f"routing to handle event {event_id}")


async def test_a_repair_case_gets_its_diagnosis_and_the_unit_confirms_the_terminal(routing: Routing) -> None:
    terminal = f"TRM-{uuid.uuid4().hex[:8]}"
    event = repair(terminal)
    await routing.publish(SUBMISSIONS, event)
    case = await routing.case_of(event.submission_id, "DIAGNOSA")
    [request] = await routing.outbox(TerminalDiagnosisRequested.event_type, case_id=case["case_id"])
    assert request["terminal_id"] == terminal
    # The status topic also carries other terminal events: routing skips them.
    other = TerminalHealthChanged(
        terminal_id=terminal,
        unit="DISDIK",
        status="OFFLINE",
        previous_status="ONLINE",
        failure_streak=3,
        observed_at=datetime.now(UTC),
    )
    await routing.publish(TERMINAL_STATUS, other)
    answer = TerminalDiagnosed(
        request_id=request["request_id"],
        terminal_id=terminal,
        case_id=case["case_id"],
        reachable=True,
        terminal_serial="OGT2021",
        firmware="Ver 6.60 Apr 28 2017",
        drift_seconds=2.5,
        records_free=48000,
        diagnosed_at=datetime.now(UTC),
    )
    await routing.publish(TERMINAL_STATUS, answer)
    view = await routing.at_step(case["case_id"], "PEMERIKSAAN-TEKNIS")
    assert (view["diagnosis"]["terminal_serial"], view["diagnosis"]["reachable"]) == ("OGT2021", True)
    assert view["history"][-1]["action"] == "diagnosed"
    assert case["case_id"] in await routing.inbox("teknis")
    await routing.act("teknis", case["case_id"], "forward")
    await routing.act(
        "teknis", case["case_id"], "forward", {"note": "Aplikasi dipasang ulang sesuai Perwako 62/2019"}
    )
    done = await routing.act("disdik", case["case_id"], "complete")
    assert done["status"] == "SELESAI"
    steps = await routing.outbox(CaseStepChanged.event_type, submission_id=event.submission_id)
    assert [s["step"] for s in steps] == ["PEMERIKSAAN-TEKNIS", "PERBAIKAN", "KONFIRMASI", "SELESAI"]


async def test_a_repair_case_goes_on_without_a_diagnosis_after_its_timeout(routing: Routing) -> None:
    terminal = f"TRM-{uuid.uuid4().hex[:8]}"
    event = repair(terminal)
    await routing.publish(SUBMISSIONS, event)
    case = await routing.case_of(event.submission_id, "DIAGNOSA")
    await routing.fire()
    assert (await routing.get("admin", f"/api/v1/cases/{case['case_id']}")).json()["step"] == "DIAGNOSA", (
        "not yet"
    )
    routing.clock.advance(seconds=61)
    await routing.fire()
    view = await routing.at_step(case["case_id"], "PEMERIKSAAN-TEKNIS")
    assert (view["history"][-1]["action"], view["diagnosis"]) == ("diagnosis-timed-out", None)
    [request] = await routing.outbox(TerminalDiagnosisRequested.event_type, case_id=case["case_id"])
    late = TerminalDiagnosed(
        request_id=request["request_id"],
        terminal_id=terminal,
        case_id=case["case_id"],
        reachable=True,
        diagnosed_at=datetime.now(UTC),
    )
    await handled(routing, (await routing.publish(TERMINAL_STATUS, late)).id)
    after = (await routing.get("admin", f"/api/v1/cases/{case['case_id']}")).json()
    assert (after["diagnosis"], len(after["history"])) == (None, len(view["history"])), (
        "a late answer changes nothing"
    )


async def test_the_portal_cycle_runs_its_16_steps_with_a_loop_back(routing: Routing) -> None:
    started = await routing.post(
        "data", "/api/v1/cases", {"service_code": "PORTAL-INFO", "title": "Portal Triwulan IV 2026"}
    )
    assert started.status_code == 201, started.text
    case_id = started.json()["case_id"]
    refused = await routing.post("admin", "/api/v1/cases", {"service_code": "PORTAL-INFO", "title": "X"})
    assert (refused.status_code, refused.json()["code"]) == (403, "START_FORBIDDEN")
    not_internal = await routing.post("data", "/api/v1/cases", {"service_code": "E-LAPKIN", "title": "X"})
    assert (not_internal.status_code, not_internal.json()["code"]) == (403, "WORKFLOW_NOT_INTERNAL")

    disposisi: dict[str, Any] = {"instructions": ["PROSES-LANJUT"], "recipients": [{"role": "pengolah-data"}]}
    first_round: list[tuple[str, str, Any]] = [
        ("data", "forward", None),
        ("kabid-info", "forward", None),
        ("kabid-info", "forward", None),
        ("data", "forward", None),
        ("kabid-info", "disposisi", disposisi),
        ("data", "forward", None),
    ]
    for who, action, body in first_round:
        await routing.act(who, case_id, action, body)
    ambiguous = await routing.post("data", f"/api/v1/cases/{case_id}/forward")
    assert (ambiguous.status_code, ambiguous.json()["code"]) == (422, "TARGET_REQUIRED")
    await routing.act("data", case_id, "forward", {"to": "P08-KEKURANGAN-DATA"})
    looped = await routing.act(
        "data", case_id, "send-back", {"to": "P01-DRAFT-NOTA-DINAS", "note": "Data Bidang Mutasi belum masuk"}
    )
    assert looped["step"] == "P01-DRAFT-NOTA-DINAS"
    for who, action, body in first_round:
        await routing.act(who, case_id, action, body)
    second_round: list[tuple[str, str, Any]] = [
        ("data", "forward", {"to": "P09-DESAIN-PORTAL"}),
        ("data", "forward", None),
        ("data", "forward", None),
        ("kabid-info", "forward", None),
        ("data", "forward", {"to": "P14-DRAFT-LAPORAN"}),
        ("data", "forward", None),
        ("kabid-info", "forward", None),
        ("kabid-info", "report", {"summary": "Portal terbit; 12 layanan dan 30 produk kepegawaian"}),
    ]
    for who, action, body in second_round:
        last = await routing.act(who, case_id, action, body)
    assert last["status"] == "SELESAI"
    view = (await routing.get("data", f"/api/v1/cases/{case_id}")).json()
    visited = [h["to_step"] for h in view["history"]]
    assert visited.count("P01-DRAFT-NOTA-DINAS") == 2
    assert len(view["history"]) == 1 + 2 * len(first_round) + 2 + len(second_round)
    steps = await routing.outbox(CaseStepChanged.event_type, case_id=case_id)
    assert steps[0]["submission_id"] == case_id, "an internal case's events are keyed by its own id"
