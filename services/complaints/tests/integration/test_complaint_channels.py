"""Each channel's complaint through its whole lifecycle, over real HTTP, SMTP, PostgreSQL and
Kafka: received, verified, disposed by the Sekretaris, followed up by the unit, answered,
replied to or closed, with a history row and an event for every change."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.auth import Role
from bkpsdm.testing.auth import bearer

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")

# `complaints` (the running service) and `tap` (the complaints topic) come from conftest.py.
OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
SEKRETARIS = bearer(Role.SEKRETARIS)
BIDANG_PKA = bearer(Role.KEPALA_BIDANG, unit="BIDANG-PKA")


async def walk_to_answer(complaints: Any, complaint_id: str) -> dict[str, object]:
    steps = [
        (OFFICER, {"action": "VERIFY", "classification": "PENGADUAN"}),
        (SEKRETARIS, {"action": "ASSIGN", "unit": "BIDANG-PKA"}),
        (BIDANG_PKA, {"action": "FOLLOW_UP", "note": "Data kinerja diperiksa ulang bersama operator."}),
        (OFFICER, {"action": "ANSWER", "note": "Nilai SKP Anda sudah diperbaiki di E-LAPKIN."}),
    ]
    answer: dict[str, object] = {}
    for headers, body in steps:
        response = await complaints.act(complaint_id, headers, **body)
        assert response.status_code == 200, response.text
        answer = response.json()
    return answer


async def test_a_web_form_complaint_goes_from_receipt_to_answer_and_closes_on_the_officers_word(
    complaints: Any, tap: Any
) -> None:
    posted = await complaints.form_post(
        {
            "title": "Nilai SKP tidak muncul",
            "content": "Nilai SKP saya untuk Oktober belum tampil di E-LAPKIN.",
            "classification": "PENGADUAN",
            "reporter_name": "Budi Santoso",
            "reporter_email": "budi@contoh.id",
        }
    )
    assert posted.status_code == 201, posted.text
    receipt = posted.json()
    assert receipt["status"] == "DITERIMA"
    # Monday 09:00 + 3 working days of 6 service hours: Thursday 09:00 WIB.
    assert datetime.fromisoformat(receipt["verify_due_at"]) == datetime(2026, 12, 3, 9, 0, tzinfo=WIB)
    complaint_id = await complaints.complaint_id_of(receipt["ticket_code"])

    answered = await walk_to_answer(complaints, complaint_id)
    assert answered["status"] == "DIJAWAB"
    assert answered["assigned_unit"] == "BIDANG-PKA"
    closed = await complaints.act(complaint_id, OFFICER, action="CLOSE")
    assert closed.json()["status"] == "SELESAI"
    assert [h["action"] for h in closed.json()["history"]] == [
        "RECEIVE",
        "VERIFY",
        "ASSIGN",
        "FOLLOW_UP",
        "ANSWER",
        "CLOSE",
    ]

    tracked = (await complaints.client.get(f"/api/v1/public/complaints/{receipt['ticket_code']}")).json()
    assert tracked["status"] == "SELESAI"
    notes = [h["note"] for h in tracked["history"]]
    assert "Nilai SKP Anda sudah diperbaiki di E-LAPKIN." in notes  # the answer is the reporter's
    assert "Data kinerja diperiksa ulang bersama operator." not in notes  # the unit's note is not

    events = await tap.wait_for(complaint_id, lambda evs: len(evs) >= 6)
    assert [name for name, _ in events] == ["complaint-received"] + ["complaint-status-changed"] * 5
    assert [body["status"] for _, body in events[1:]] == [
        "TERVERIFIKASI",
        "DIDISPOSISI",
        "DITINDAKLANJUTI",
        "DIJAWAB",
        "SELESAI",
    ]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def send_mail(port: int, message: EmailMessage, to: str = "pengaduan@bkpsdm.singkawangkota.go.id") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=[to])


def complaint_mail(subject: str, text: str, sender: str = "Rina Wulandari <rina@contoh.id>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "pengaduan@bkpsdm.singkawangkota.go.id"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@contoh.id>"
    message.set_content(text)
    return message


async def newest(complaints: Any, channel: str) -> dict[str, Any]:
    listed = await complaints.client.get(f"/api/v1/complaints?channel={channel}&limit=1", headers=OFFICER)
    assert listed.status_code == 200, listed.text
    assert listed.json(), f"no {channel} complaint"
    found = await complaints.client.get(
        f"/api/v1/complaints/{listed.json()[0]['complaint_id']}", headers=OFFICER
    )
    return dict(found.json())


async def test_an_email_with_attachments_becomes_a_complaint_and_a_reply_by_subject_reopens_its_answer(
    complaints: Any, tap: Any
) -> None:
    message = complaint_mail("Tunjangan kinerja belum cair", "Tunjangan kinerja bulan Oktober belum cair.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="slip.pdf")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="../../layar.png")
    await asyncio.to_thread(send_mail, complaints.smtp_port, message)

    complaint = await newest(complaints, "EMAIL")
    assert complaint["title"] == "Tunjangan kinerja belum cair"
    assert complaint["reporter"] == {"name": "Rina Wulandari", "email": "rina@contoh.id", "phone": None}
    assert sorted((a["filename"], a["media_type"]) for a in complaint["attachments"]) == [
        ("layar.png", "image/png"),
        ("slip.pdf", "application/pdf"),
    ]
    pdf = next(a for a in complaint["attachments"] if a["filename"] == "slip.pdf")
    download = await complaints.client.get(pdf["download_url"], headers=OFFICER)
    assert (download.content, download.headers["content-disposition"].startswith("attachment")) == (PDF, True)

    # The agency's mail server delivers the same mail again (a retry after a lost answer): one complaint.
    await asyncio.to_thread(send_mail, complaints.smtp_port, message)
    emails = (
        await complaints.client.get("/api/v1/complaints?channel=EMAIL&limit=50", headers=OFFICER)
    ).json()
    assert [c["title"] for c in emails].count("Tunjangan kinerja belum cair") == 1

    answered = await walk_to_answer(complaints, complaint["complaint_id"])
    assert answered["status"] == "DIJAWAB"
    reply = complaint_mail(f"Re: [{complaint['ticket_code']}] Tunjangan", "Belum cair juga sampai hari ini.")
    await asyncio.to_thread(send_mail, complaints.smtp_port, reply)
    reopened = await complaints.client.get(f"/api/v1/complaints/{complaint['complaint_id']}", headers=OFFICER)
    assert reopened.json()["status"] == "DITINDAKLANJUTI"
    assert reopened.json()["history"][-1] == {
        **reopened.json()["history"][-1],
        "action": "REPLY",
        "note": "Belum cair juga sampai hari ini.",
    }
    events = await tap.wait_for(
        complaint["complaint_id"], lambda evs: any(n == "complaint-replied" for n, _ in evs)
    )
    assert events[-1][1]["status"] == "DITINDAKLANJUTI"


async def test_a_long_sms_in_three_parts_out_of_order_becomes_one_complaint_and_an_sms_reply_reopens_its_answer(
    complaints: Any,
) -> None:
    reference = uuid.uuid4().hex[:6]
    parts = [
        "Mesin absensi di kantor kecamatan ",
        "rusak sejak Senin, mohon segera ",
        "diperbaiki. Terima kasih.",
    ]
    order = [3, 1, 2, 1]  # part 1 arrives twice (a gateway retry)
    answers = []
    for n in order:
        answer = await complaints.sms(
            {
                "message_id": f"gw-{reference}-{n}",
                "sender": "+62 812-3456-7890",
                "text": parts[n - 1],
                "reference": reference,
                "part": n,
                "total": 3,
            }
        )
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    assert [a["state"] for a in answers] == ["WAITING_FOR_PARTS", "WAITING_FOR_PARTS", "RECEIVED", "RECEIVED"]
    ticket = answers[2]["reply"].split("kode tiket ")[1].split(".")[0]
    assert answers[3]["reply"] == answers[2]["reply"]  # the retried part gets the same answer

    complaint = await newest(complaints, "SMS")
    assert complaint["content"] == "".join(parts)
    assert complaint["reporter"]["phone"] == "081234567890"
    assert complaint["ticket_code"] == ticket

    assert (await walk_to_answer(complaints, complaint["complaint_id"]))["status"] == "DIJAWAB"
    replied = await complaints.sms(
        {
            "message_id": f"gw-{reference}-r",
            "sender": "081234567890",
            "text": f"{ticket.lower()} mesinnya di lantai dua",
        }
    )
    assert replied.json()["state"] == "REPLY_RECORDED"
    tracked = (await complaints.client.get(f"/api/v1/public/complaints/{ticket}")).json()
    assert (tracked["status"], tracked["history"][-1]["note"]) == (
        "DITINDAKLANJUTI",
        "mesinnya di lantai dua",
    )


@pytest.mark.parametrize(
    ("channel", "reference", "reporter"),
    [
        ("SURAT", "800/117/DISDIK", {"name": "Kepala Dinas Pendidikan"}),
        ("KOTAK_SARAN", "KS-2026-11-04", None),
        ("TELEPON", None, {"phone": "(0562) 639567"}),
        ("FAKSIMILE", "FAX-0562-639567-12", None),
        ("TATAP_MUKA", None, {"name": "Ahmad", "phone": "0813 5000 1234"}),
    ],
)
async def test_the_officer_records_a_desk_box_letter_phone_or_fax_complaint_and_it_runs_the_same_lifecycle(
    complaints: Any, channel: str, reference: str | None, reporter: dict[str, str] | None
) -> None:
    recorded = await complaints.client.post(
        "/api/v1/complaints",
        json={
            "channel": channel,
            "reference": reference,
            "content": f"Saran lewat {channel}: antrean lama.",
            "classification": "ASPIRASI",
            "reporter": reporter,
        },
        headers=OFFICER,
    )
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert (body["channel"], body["reference"], body["status"]) == (channel, reference, "DITERIMA")
    assert body["ticket_code"].startswith("PGD-")  # the officer hands it to the reporter
    answered = await walk_to_answer(complaints, body["complaint_id"])
    assert answered["status"] == "DIJAWAB"
    assert answered["classification"] == "PENGADUAN"  # re-classified at verification


async def test_a_paper_channel_needs_its_reference(complaints: Any) -> None:
    refused = await complaints.client.post(
        "/api/v1/complaints", json={"channel": "SURAT", "content": "Surat tanpa nomor."}, headers=OFFICER
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "REFERENCE_REQUIRED"
    assert refused.json()["message"] == "Nomor atau rujukan dokumen (Surat) wajib diisi untuk saluran ini."
