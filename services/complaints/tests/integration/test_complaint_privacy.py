"""Anonymity and confidentiality: every response, every event on the topic, every log line and
every SMTP reply of a run through all channels is read, and the reporter's identity appears
only in what the complaints officer receives. Rahasia complaints never reach the public list."""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import asyncpg
import httpx
import pytest
import structlog

from bkpsdm.common.auth import Role
from bkpsdm.simulators.span_lapor.server import serve_in_thread
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
SEKRETARIS = bearer(Role.SEKRETARIS)
KEPALA_BADAN = bearer(Role.KEPALA_BADAN)
BIDANG = bearer(Role.KEPALA_BIDANG, unit="BIDANG-PKA")
NAME, EMAIL, PHONE = "Siti Rahmawati Kusuma", "siti.rahmawati@contoh.id", "081298765432"
# Every way the identity could show: as given, normalised, in parts.
IDENTITY = (NAME, "Rahmawati", EMAIL, "siti.rahmawati", PHONE, "81298765432", "0812-9876-5432")


@pytest.fixture(scope="module")
async def watched(infra: Infra, pool: asyncpg.Pool, start_complaints: Any) -> AsyncIterator[tuple[Any, str]]:
    with serve_in_thread() as lapor_url:
        async with start_complaints(
            infra, pool, lapor_base_url=lapor_url, lapor_sync_interval_s=600
        ) as running:
            yield running, lapor_url


def leaks(text: str) -> list[str]:
    return [part for part in IDENTITY if part.lower() in text.lower()]


async def test_no_response_event_log_or_reply_shows_the_reporter_except_to_the_complaints_officer(
    watched: tuple[Any, str], tap: Any, caplog: pytest.LogCaptureFixture
) -> None:
    complaints, lapor_url = watched
    seen: list[tuple[bool, str, str]] = []  # (officer?, what, body)

    async def record(response: httpx.Response) -> None:
        await response.aread()
        auth = response.request.headers.get("authorization", "")
        seen.append(
            (
                auth == OFFICER["Authorization"],
                f"{response.request.method} {response.request.url.path}",
                response.text,
            )
        )

    complaints.client.event_hooks["response"].append(record)
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        tickets = await _every_channel(complaints, lapor_url)
        ids = [await complaints.complaint_id_of(t) for t in tickets]
        for complaint_id in ids:
            await _lifecycle(complaints, complaint_id)
        await tap.wait_for(ids[-1], lambda evs: len(evs) >= 5)
        for ticket in tickets:
            await complaints.client.get(f"/api/v1/public/complaints/{ticket}")
            await complaints.client.post(
                f"/api/v1/public/complaints/{ticket}/replies", json={"text": "Terima kasih."}
            )
        await complaints.client.get("/api/v1/public/complaints?limit=100")
        for headers in (OFFICER, SEKRETARIS, BIDANG, KEPALA_BADAN):
            await complaints.client.get("/api/v1/complaints?limit=100", headers=headers)
            for complaint_id in ids:
                await complaints.client.get(f"/api/v1/complaints/{complaint_id}", headers=headers)
        await complaints.client.post("/api/v1/lapor/sync", headers=OFFICER)

    officer_saw = " ".join(body for officer, _, body in seen if officer)
    assert NAME in officer_saw
    assert EMAIL in officer_saw
    assert PHONE in officer_saw  # the test can see a leak: the officer does get the identity
    for officer, what, body in seen:
        if not officer:
            assert not leaks(body), f"{what} shows {leaks(body)}"
    events = [raw.decode() for _, body, raw in tap.records if body.get("complaint_id") in ids]
    assert len(events) >= 5 * len(ids)
    for raw in events:
        assert not leaks(raw), raw
        assert not any(t in raw for t in tickets), raw  # the ticket is the reporter's key
    assert logs
    for entry in logs:
        assert not leaks(json.dumps(entry, default=str)), entry
    for entry_ in caplog.records:
        assert not leaks(entry_.getMessage()), entry_.getMessage()
    async with httpx.AsyncClient(base_url=lapor_url) as lapor:
        state = (await lapor.get("/sim/state")).json()
        assert state["followups"] >= 2  # verified and answered, pushed back to SP4N-LAPOR!
        report = (await lapor.get("/sim/reports/LPR-0000001")).json()
    assert not leaks(json.dumps(report["followups"]))

    public = json.dumps((await complaints.client.get("/api/v1/public/complaints?limit=100")).json())
    assert "Laporan rahasia tentang pungutan" not in public  # rahasia: hidden from the public
    assert "Antrean layanan di loket terlalu lama" in public


async def _every_channel(complaints: Any, lapor_url: str) -> list[str]:
    tickets = []
    for anonim, rahasia, text in (
        (False, False, "Antrean layanan di loket terlalu lama."),
        (True, False, "Petugas meminta imbalan untuk mempercepat layanan."),
        (False, True, "Laporan rahasia tentang pungutan di loket."),
    ):
        posted = await complaints.form_post(
            {
                "content": text,
                "reporter_name": NAME,
                "reporter_email": EMAIL,
                "reporter_phone": PHONE,
                "anonim": str(anonim).lower(),
                "rahasia": str(rahasia).lower(),
            }
        )
        assert posted.status_code == 201, posted.text
        tickets.append(posted.json()["ticket_code"])

    message = EmailMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["Subject"] = "Data pendidikan salah"
    message.set_content("Data pendidikan di SIASN tertulis SMA, seharusnya S1.")

    def send() -> list[tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", complaints.smtp_port, timeout=10) as smtp:
            replies = [smtp.ehlo(), smtp.mail(EMAIL), smtp.rcpt("pengaduan@bkpsdm.singkawangkota.go.id")]
            replies.append(smtp.data(message.as_bytes(policy=SMTP)))
            return replies

    for _, reply in await asyncio.to_thread(send):
        assert not leaks(reply.decode()), reply
    emailed = (await complaints.client.get("/api/v1/complaints?channel=EMAIL", headers=OFFICER)).json()[0]
    tickets.append(
        (
            await complaints.client.get(f"/api/v1/complaints/{emailed['complaint_id']}", headers=OFFICER)
        ).json()["ticket_code"]
    )

    answer = await complaints.sms(
        {"message_id": "privacy-1", "sender": PHONE, "text": "Mohon info jadwal ujian dinas."}
    )
    assert answer.status_code == 200, answer.text
    tickets.append(answer.json()["reply"].split("kode tiket ")[1].split(".")[0])

    recorded = await complaints.client.post(
        "/api/v1/complaints",
        json={
            "channel": "TELEPON",
            "content": "Keluhan lewat telepon soal kenaikan pangkat.",
            "reporter": {"name": NAME, "phone": PHONE},
        },
        headers=OFFICER,
    )
    tickets.append(recorded.json()["ticket_code"])

    async with httpx.AsyncClient(base_url=lapor_url) as lapor_api:
        filed = await lapor_api.post(
            "/api/v1/public/reports",
            json={
                "agency": "BKPSDM-SKW",
                "title": "Lewat LAPOR",
                "content": "Pengaduan dari aplikasi SP4N-LAPOR!.",
                "reporter": {"name": NAME, "email": EMAIL, "phone": PHONE},
            },
        )
    assert filed.status_code == 201
    synced = await complaints.client.post("/api/v1/lapor/sync", headers=OFFICER)
    assert synced.json()["pulled"] == 1, synced.text
    lapor = (await complaints.client.get("/api/v1/complaints?channel=SP4N_LAPOR", headers=OFFICER)).json()[0]
    tickets.append(
        (await complaints.client.get(f"/api/v1/complaints/{lapor['complaint_id']}", headers=OFFICER)).json()[
            "ticket_code"
        ]
    )
    return tickets


async def _lifecycle(complaints: Any, complaint_id: str) -> None:
    for headers, body in (
        (OFFICER, {"action": "VERIFY"}),
        (SEKRETARIS, {"action": "ASSIGN", "unit": "BIDANG-PKA"}),
        (BIDANG, {"action": "FOLLOW_UP", "note": "Sedang diperiksa."}),
        (OFFICER, {"action": "ANSWER", "note": "Sudah ditindaklanjuti."}),
    ):
        answer = await complaints.act(complaint_id, headers, **body)
        assert answer.status_code == 200, answer.text
        await complaints.client.get(f"/api/v1/complaints/{complaint_id}/attachments/none", headers=BIDANG)
