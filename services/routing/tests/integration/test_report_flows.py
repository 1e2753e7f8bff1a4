"""The E-LAPKIN and IP-ASN flows against the real broker and database: submissions and upload
results arrive over Kafka, officials act over HTTP, every action is a history row and an event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bkpsdm.common.contracts import (
    IPASN_UPLOADS,
    LAPKIN_UPLOADS,
    SUBMISSIONS,
    CaseStepChanged,
    RecapReference,
    SubmissionReceived,
    SubmissionReturned,
    UploadFinished,
    UploadRequested,
)
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Routing = Any  # the `routing` fixture (tests/integration/conftest.py)
PKA = "BIDANG-PKA-PKK"
DISPOSISI = {
    "instructions": ["PROSES-LANJUT", "KOORDINASIKAN"],
    "note": "Mohon segera diproses",
    "recipients": [{"role": "kepala-bidang", "unit": PKA}],
    "tembusan": [{"role": "sekretaris"}],
}


def submission(service_code: str = "E-LAPKIN", replaces: str | None = None) -> SubmissionReceived:
    submission_id = str(uuid.uuid4())
    return SubmissionReceived(
        submission_id=submission_id,
        service_code=service_code,
        perangkat_daerah="DISDIK",
        title=f"Laporan {service_code} Oktober 2026",
        received_at=datetime.now(UTC),
        receipt_number=f"{service_code}/2026/{submission_id[:6]}",
        period="2026-10",
        recap=RecapReference(
            url=f"/internal/v1/submissions/{submission_id}/recap", sha256="cd" * 32, rows=25, format="csv"
        ),
        replaces=replaces,
    )


async def to_processing_unit(routing: Routing, case_id: str) -> None:
    await routing.act("admin", case_id, "register")
    await routing.act("admin", case_id, "forward")
    await routing.act("kasubbag", case_id, "forward")
    await routing.act("sekretaris", case_id, "paraf")
    await routing.act("kaban", case_id, "disposisi", DISPOSISI)
    await routing.act("kabid", case_id, "forward")


def finished(request: dict[str, Any], outcome: str, reasons: list[str] | None = None) -> UploadFinished:
    rows = request["recap"]["rows"]
    stored = rows if outcome == "COMPLETED" else 0
    return UploadFinished(
        request_id=request["request_id"],
        submission_id=request["submission_id"],
        case_id=request["case_id"],
        service_code=request["service_code"],
        outcome=outcome,
        rows_total=rows,
        rows_stored=stored,
        rows_rejected=0,
        rows_failed=rows - stored,
        reasons=reasons or [],
        adapter="http",
        finished_at=datetime.now(UTC),
    )


async def test_a_full_e_lapkin_case_from_submission_to_report(routing: Routing) -> None:
    event = submission()
    await routing.publish(SUBMISSIONS, event, correlation_id="cid-elapkin")
    case = await routing.case_of(event.submission_id, "PENERIMAAN")
    case_id = case["case_id"]
    assert case_id in await routing.inbox("admin")
    assert case_id not in await routing.inbox("kasubbag")

    # A double click is one registration, answered twice the same; the key is not reusable.
    first = await routing.post("admin", f"/api/v1/cases/{case_id}/register", key="klik-1")
    again = await routing.post("admin", f"/api/v1/cases/{case_id}/register", key="klik-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["agenda_number"].endswith("/BKPSDM/XI/2026")
    reused = await routing.post("admin", f"/api/v1/cases/{case_id}/forward", key="klik-1")
    assert (reused.status_code, reused.json()["code"]) == (409, "CLIENT_KEY_REUSED")

    # Wrong holder 403, wrong state 409, unknown case 404, malformed body 422: each in Indonesian.
    cases: list[tuple[str, str, Any, int, str]] = [
        ("kaban", f"/api/v1/cases/{case_id}/forward", None, 403, "NOT_STEP_HOLDER"),
        ("admin", f"/api/v1/cases/{case_id}/paraf", None, 409, "ACTION_NOT_ALLOWED"),
        ("admin", f"/api/v1/cases/{uuid.uuid4()}/forward", None, 404, "CASE_NOT_FOUND"),
        ("admin", f"/api/v1/cases/{case_id}/return", {"reasons": []}, 422, "REQUEST_INVALID"),
        ("admin", f"/api/v1/cases/{case_id}/forward", {"kemana": "X"}, 422, "REQUEST_INVALID"),
    ]
    for who, path, body, status, code in cases:
        refused = await routing.post(who, path, body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        assert refused.json()["message"]

    await routing.act("admin", case_id, "forward")
    await routing.act("kasubbag", case_id, "forward")
    await routing.act("sekretaris", case_id, "paraf", {"note": "Setuju"})
    await routing.act("kaban", case_id, "disposisi", DISPOSISI)
    await routing.act("kabid", case_id, "forward")
    view = (await routing.get("pengolah", f"/api/v1/cases/{case_id}")).json()
    assert [a["action"] for a in view["allowed_actions"]] == ["return", "accept"]
    assert view["disposisi"][0]["reads"][0]["reader_subject"] == "nip-kabid", "acting on it read it"
    await routing.act("pengolah", case_id, "accept")
    [request] = await routing.outbox(UploadRequested.event_type, case_id=case_id)
    assert (request["attempt"], request["service_code"], request["recap"]["rows"]) == (1, "E-LAPKIN", 25)

    await routing.publish(LAPKIN_UPLOADS, finished(request, "COMPLETED"))
    await routing.at_step(case_id, "LAPORAN")
    await routing.act("pengolah", case_id, "report", {"summary": "25 data E-LAPKIN tersimpan di BKN"})
    await routing.act("kabid", case_id, "forward")
    done = await routing.act("kaban", case_id, "complete")
    assert (done["status"], done["step"]) == ("SELESAI", "SELESAI")

    view = (await routing.get("admin", f"/api/v1/cases/{case_id}")).json()
    actions = [h["action"] for h in view["history"]]
    assert actions == [
        "opened",
        "register",
        "forward",
        "forward",
        "paraf",
        "disposisi",
        "forward",
        "accept",
        "upload-completed",
        "report",
        "forward",
        "complete",
    ]
    assert view["history"][1]["actor_subject"] == "nip-admin"
    steps = await routing.outbox(CaseStepChanged.event_type, submission_id=event.submission_id)
    assert len(steps) == len(actions) - 1, "an event for every action"
    assert steps[-1]["completed"] is True

    async def all_published() -> bool:
        async with routing.pool.acquire() as conn:
            pending = await conn.fetchval(
                f'SELECT count(*) FROM "{routing.schema}".outbox WHERE sent_at IS NULL AND aggregateid = $1',
                event.submission_id,
            )
        return bool(pending == 0)

    await eventually(all_published, 30, "the relay to publish the case's events")


async def test_a_returned_case_is_resubmitted_and_continues(routing: Routing) -> None:
    event = submission()
    await routing.publish(SUBMISSIONS, event)
    case_id = (await routing.case_of(event.submission_id))["case_id"]
    await to_processing_unit(routing, case_id)
    back = await routing.act(
        "pengolah", case_id, "return", {"reasons": ["Surat pengantar belum ditandatangani"]}
    )
    assert (back["status"], back["holder_role"], back["holder_unit"]) == (
        "DIKEMBALIKAN",
        "perangkat-daerah",
        "DISDIK",
    )
    [returned] = await routing.outbox(SubmissionReturned.event_type, case_id=case_id)
    assert returned["reasons"] == ["Surat pengantar belum ditandatangani"]
    assert case_id in await routing.inbox("disdik")

    fixed = submission(replaces=event.submission_id)
    await routing.publish(SUBMISSIONS, fixed)
    resumed = await routing.case_of(fixed.submission_id, "PEMERIKSAAN")
    assert (resumed["case_id"], resumed["status"], resumed["current_submission_id"]) == (
        case_id,
        "AKTIF",
        fixed.submission_id,
    )
    view = (await routing.get("pengolah", f"/api/v1/cases/{case_id}")).json()
    assert view["submissions"] == [event.submission_id, fixed.submission_id]
    assert view["history"][-1]["action"] == "resubmitted"
    await routing.act("pengolah", case_id, "accept")
    [request] = await routing.outbox(UploadRequested.event_type, case_id=case_id)
    assert request["submission_id"] == fixed.submission_id


async def test_an_ip_asn_upload_that_fails_is_retried(routing: Routing) -> None:
    event = submission("IP-ASN")
    await routing.publish(SUBMISSIONS, event)
    case_id = (await routing.case_of(event.submission_id))["case_id"]
    await to_processing_unit(routing, case_id)
    await routing.act("pengolah", case_id, "accept")
    [first] = await routing.outbox(UploadRequested.event_type, case_id=case_id)
    await routing.publish(IPASN_UPLOADS, finished(first, "FAILED", ["Layanan BKN tidak menjawab (HTTP 503)"]))
    failed = await routing.at_step(case_id, "UNGGAH-GAGAL")
    assert failed["holder_role"] == "unit-pengolah"
    assert "HTTP 503" in failed["history"][-1]["note"]
    await routing.act("pengolah", case_id, "retry-upload", key="ulang-1")
    first_again, second = await routing.outbox(UploadRequested.event_type, case_id=case_id)
    assert (second["attempt"], second["request_id"] != first["request_id"]) == (2, True)
    # A late answer to the first attempt, then the second's: only the second moves the case.
    await routing.publish(IPASN_UPLOADS, finished(first_again, "COMPLETED"))
    await routing.publish(IPASN_UPLOADS, finished(second, "COMPLETED"))
    reported = await routing.at_step(case_id, "LAPORAN")
    outcomes = [
        (h["action"], h["details"].get("attempt"))
        for h in reported["history"]
        if h["action"].startswith("upload")
    ]
    assert outcomes == [("upload-failed", 1), ("upload-completed", 2)]
