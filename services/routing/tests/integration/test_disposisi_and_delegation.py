"""A disposisi withdrawn while unread and one that can no longer be; a role delegated to an
acting official (Plh) for a period, with the history saying who acted for whom."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bkpsdm.common.contracts import SUBMISSIONS, CaseStepChanged, NotificationRaised, SubmissionReceived

pytestmark = pytest.mark.integration

Routing = Any
PKA = "BIDANG-PKA-PKK"
DISPOSISI = {
    "instructions": ["TANGGAPAN-SARAN"],
    "note": "Tindak lanjuti",
    "recipients": [{"role": "kepala-bidang", "unit": PKA}],
    "tembusan": [{"role": "sekretaris"}],
}


async def case_at(routing: Routing, steps: list[tuple[str, str]]) -> str:
    event = SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        service_code="E-LAPKIN",
        perangkat_daerah="DISDIK",
        title="Rekap SKP November 2026",
        received_at=datetime.now(UTC),
    )
    await routing.publish(SUBMISSIONS, event)
    case_id: str = (await routing.case_of(event.submission_id))["case_id"]
    for who, action in steps:
        await routing.act(who, case_id, action)
    return case_id


TO_DISPOSISI = [("admin", "register"), ("admin", "forward"), ("kasubbag", "forward"), ("sekretaris", "paraf")]


async def test_a_disposisi_is_withdrawn_while_unread_and_not_once_read(routing: Routing) -> None:
    case_id = await case_at(routing, TO_DISPOSISI)
    issued = await routing.act("kaban", case_id, "disposisi", DISPOSISI)
    notes = await routing.outbox(NotificationRaised.event_type, case_id=case_id)
    assert {("DISPOSISI", "kepala-bidang"), ("TEMBUSAN", "sekretaris")} <= {
        (n["kind"], n["recipient_role"]) for n in notes
    }

    not_issuer = await routing.post("sekretaris", f"/api/v1/disposisi/{issued['disposisi_id']}/withdraw")
    assert (not_issuer.status_code, not_issuer.json()["code"]) == (403, "DISPOSISI_NOT_ISSUER")
    withdrawn = await routing.post("kaban", f"/api/v1/disposisi/{issued['disposisi_id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["step"] == "DISPOSISI-KEPALA-BADAN"
    assert case_id not in await routing.inbox("kabid")
    twice = await routing.post("kaban", f"/api/v1/disposisi/{issued['disposisi_id']}/withdraw")
    assert (twice.status_code, twice.json()["code"]) == (409, "DISPOSISI_WITHDRAWN")

    again = await routing.act("kaban", case_id, "disposisi", {**DISPOSISI, "note": "Diperbaiki"})
    read = await routing.post("kabid", f"/api/v1/disposisi/{again['disposisi_id']}/read")
    assert read.status_code == 200
    assert [r["reader_subject"] for r in read.json()["reads"]] == ["nip-kabid"]
    stranger = await routing.post("pengolah", f"/api/v1/disposisi/{again['disposisi_id']}/read")
    assert (stranger.status_code, stranger.json()["code"]) == (403, "DISPOSISI_NOT_RECIPIENT")
    too_late = await routing.post("kaban", f"/api/v1/disposisi/{again['disposisi_id']}/withdraw")
    assert (too_late.status_code, too_late.json()["code"]) == (409, "DISPOSISI_ALREADY_READ")
    view = (await routing.get("kaban", f"/api/v1/cases/{case_id}")).json()
    assert [(d["withdrawn_at"] is not None, len(d["reads"])) for d in view["disposisi"]] == [
        (True, 0),
        (False, 1),
    ]
    assert "disposisi-withdrawn" in [h["action"] for h in view["history"]]


async def test_an_acting_official_holds_a_role_for_a_period_and_the_history_says_for_whom(
    routing: Routing,
) -> None:
    case_id = await case_at(routing, TO_DISPOSISI[:3])
    refused = await routing.post("plh", f"/api/v1/cases/{case_id}/paraf")
    assert (refused.status_code, refused.json()["code"]) == (403, "NOT_STEP_HOLDER")
    now = routing.clock()
    grant = {
        "role": "sekretaris",
        "delegate_subject": "nip-plh",
        "delegate_name": "Budi Santoso",
        "kind": "PLH",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "for_name": "Sri Wahyuni (cuti)",
    }
    forbidden = await routing.post("kabid", "/api/v1/delegations", grant)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "DELEGATION_FORBIDDEN")
    bad_period = await routing.post("kaban", "/api/v1/delegations", {**grant, "ends_at": grant["starts_at"]})
    assert (bad_period.status_code, bad_period.json()["code"]) == (422, "DELEGATION_PERIOD_INVALID")
    granted = await routing.post("kaban", "/api/v1/delegations", grant)
    assert granted.status_code == 201, granted.text
    assert granted.json()["title"] == "Plh. Sekretaris"

    assert (await routing.inbox("plh"))[case_id]["acting_as"] == "Plh. Sekretaris"
    await routing.act("plh", case_id, "paraf", {"note": "Paraf a.n. Sekretaris"})
    view = (await routing.get("kaban", f"/api/v1/cases/{case_id}")).json()
    entry = view["history"][-1]
    assert (entry["actor_subject"], entry["actor_role"]) == ("nip-plh", "sekretaris")
    assert (entry["acting_for"]["kind"], entry["acting_for"]["for_name"]) == ("PLH", "Sri Wahyuni (cuti)")
    step = (await routing.outbox(CaseStepChanged.event_type, case_id=case_id))[-1]
    assert (step["actor_role"], step["acting_for"]) == ("sekretaris", "Plh. Sekretaris")
    active = (await routing.get("kaban", "/api/v1/delegations")).json()
    assert [d["delegation_id"] for d in active] == [granted.json()["delegation_id"]]

    # After the period, or once revoked, the acting official holds nothing more.
    other = await case_at(routing, TO_DISPOSISI[:3])
    routing.clock.advance(days=4)
    expired = await routing.post("plh", f"/api/v1/cases/{other}/paraf")
    assert (expired.status_code, expired.json()["code"]) == (403, "NOT_STEP_HOLDER")
    revoked = await routing.post("kaban", f"/api/v1/delegations/{granted.json()['delegation_id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
