"""Bad input on every channel: a 4xx with a stable code and an Indonesian message (an SMTP
refusal for mail), and nothing stored half. Script and HTML are stored as typed and returned
as JSON data; the public endpoints are rate- and size-limited."""

from __future__ import annotations

import asyncio
import smtplib
import time
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.complaints.entrypoints.public import signed_sms_request
from bkpsdm.complaints.settings import LOCAL_SMS_SECRET
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)> & "kutip"'


async def count(complaints: Any) -> int:
    return len((await complaints.client.get("/api/v1/complaints?limit=200", headers=OFFICER)).json())


async def test_script_and_html_are_stored_as_typed_and_returned_as_json_data(complaints: Any) -> None:
    posted = await complaints.form_post({"title": SCRIPT[:60], "content": SCRIPT})
    assert posted.status_code == 201, posted.text
    tracked = await complaints.client.get(f"/api/v1/public/complaints/{posted.json()['ticket_code']}")
    assert tracked.headers["content-type"] == "application/json"
    assert tracked.json()["content"] == SCRIPT


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"content": "   "}, "REQUEST_INVALID"),
        ({"content": "x" * 5001}, "REQUEST_INVALID"),
        ({"content": "Isi.", "title": "t" * 201}, "REQUEST_INVALID"),
        ({"content": "Isi.", "reporter_email": "bukan-email"}, "CONTACT_INVALID"),
        ({"content": "Isi.", "reporter_phone": "12ab"}, "CONTACT_INVALID"),
        ({"content": "Isi.", "classification": "GOSIP"}, "REQUEST_INVALID"),
        ({"content": "Isi \x07 bel."}, "REQUEST_INVALID"),
    ],
)
async def test_a_bad_form_is_refused_with_its_code_and_nothing_is_stored(
    complaints: Any, fields: dict[str, str], code: str
) -> None:
    before = await count(complaints)
    refused = await complaints.form_post(fields)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code
    assert refused.json()["message"]
    assert await count(complaints) == before


async def test_a_complaint_about_a_receipt_never_issued_is_refused_as_not_found(complaints: Any) -> None:
    before = await count(complaints)
    refused = await complaints.form_post({"content": "Isi.", "receipt_number": "E-LAPKIN/2026/99999"})
    assert (refused.status_code, refused.json()["code"]) == (404, "RECEIPT_NOT_FOUND"), refused.text
    assert refused.json()["message"] == "Nomor tanda terima pengajuan yang dirujuk tidak ditemukan."
    assert await count(complaints) == before


async def test_a_replayed_forged_or_missing_form_token_is_refused(complaints: Any) -> None:
    token = (await complaints.client.get("/api/v1/public/form-token")).json()["form_token"]
    parts = [("form_token", (None, token.encode())), ("content", (None, b"Sekali saja."))]
    first = await complaints.client.post("/api/v1/public/complaints", files=parts)
    replayed = await complaints.client.post("/api/v1/public/complaints", files=parts)
    assert (first.status_code, replayed.status_code, replayed.json()["code"]) == (201, 409, "FORM_REPLAYED")
    assert replayed.json()["message"].startswith("Formulir ini sudah pernah dikirim")
    forged = [("form_token", (None, token[:-4].encode() + b"AAAA")), ("content", (None, b"Palsu."))]
    answer = await complaints.client.post("/api/v1/public/complaints", files=forged)
    assert (answer.status_code, answer.json()["code"]) == (403, "FORM_TOKEN_INVALID")
    missing = await complaints.client.post(
        "/api/v1/public/complaints", files=[("content", (None, b"Tanpa."))]
    )
    assert (missing.status_code, missing.json()["code"]) == (422, "REQUEST_INVALID")


async def test_a_refused_form_keeps_its_token_for_the_corrected_post(complaints: Any) -> None:
    token = (await complaints.client.get("/api/v1/public/form-token")).json()["form_token"]
    wrong = [
        ("form_token", (None, token.encode())),
        ("content", (None, b"Isi.")),
        ("reporter_email", (None, b"salah")),
    ]
    fixed = [("form_token", (None, token.encode())), ("content", (None, b"Isi."))]
    assert (await complaints.client.post("/api/v1/public/complaints", files=wrong)).status_code == 422
    assert (await complaints.client.post("/api/v1/public/complaints", files=fixed)).status_code == 201


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        (
            [("attachments", ("a.exe", b"MZ\x90\x00binary", "application/pdf"))],
            415,
            "ATTACHMENT_TYPE_NOT_ALLOWED",
        ),
        (
            [("attachments", ("a.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024), "application/pdf"))],
            413,
            "ATTACHMENT_TOO_LARGE",
        ),
        ([("attachments", ("a.pdf", b"", "application/pdf"))], 422, "ATTACHMENT_EMPTY"),
        (
            [("attachments", (f"{i}.pdf", b"%PDF-1.4", "application/pdf")) for i in range(4)],
            422,
            "TOO_MANY_ATTACHMENTS",
        ),
        (
            [("attachments", ("a.pdf", b"%PDF-" + b"0" * (8 * 1024 * 1024), "application/pdf"))],
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ],
)
async def test_an_attachment_of_the_wrong_type_size_or_number_is_refused(
    complaints: Any, files: list[Any], status: int, code: str
) -> None:
    before = await count(complaints)
    refused = await complaints.form_post({"content": "Dengan lampiran."}, files)
    assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert await count(complaints) == before


async def test_an_unknown_ticket_code_is_not_found_in_indonesian(complaints: Any) -> None:
    for ticket in ("PGD-0000-0000-0000", "bukan-tiket"):
        tracked = await complaints.client.get(f"/api/v1/public/complaints/{ticket}")
        assert (tracked.status_code, tracked.json()["code"]) == (404, "TICKET_NOT_FOUND")
        replied = await complaints.client.post(
            f"/api/v1/public/complaints/{ticket}/replies", json={"text": "Halo"}
        )
        assert (replied.status_code, replied.json()["code"]) == (404, "TICKET_NOT_FOUND")


async def test_a_forged_stale_or_unsigned_sms_webhook_is_refused(complaints: Any) -> None:
    payload = {"message_id": "forged-1", "sender": "081200000001", "text": "Palsu."}
    forged = await complaints.sms(payload, secret="bukan-rahasia-kita")
    assert (forged.status_code, forged.json()["code"]) == (401, "SMS_SIGNATURE_INVALID")
    body, headers = signed_sms_request(LOCAL_SMS_SECRET, payload, timestamp=time.time() - 3600)
    stale = await complaints.client.post("/api/v1/channels/sms", content=body, headers=headers)
    assert (stale.status_code, stale.json()["code"]) == (401, "SMS_SIGNATURE_INVALID")
    body, headers = signed_sms_request(LOCAL_SMS_SECRET, payload)
    tampered = await complaints.client.post(
        "/api/v1/channels/sms", content=body.replace(b"Palsu", b"Ubah!"), headers=headers
    )
    assert (tampered.status_code, tampered.json()["code"]) == (401, "SMS_SIGNATURE_INVALID")
    unsigned = await complaints.client.post("/api/v1/channels/sms", json=payload)
    assert (unsigned.status_code, unsigned.json()["code"]) == (422, "REQUEST_INVALID")
    conflicting = [
        {
            "message_id": "p-1",
            "sender": "081200000002",
            "text": "a",
            "reference": "r9",
            "part": 1,
            "total": 2,
        },
        {
            "message_id": "p-2",
            "sender": "081200000002",
            "text": "b",
            "reference": "r9",
            "part": 1,
            "total": 3,
        },
    ]
    assert (await complaints.sms(conflicting[0])).status_code == 200
    clash = await complaints.sms(conflicting[1])
    assert (clash.status_code, clash.json()["code"]) == (409, "SMS_PART_CONFLICT")


def _smtp(port: int, data: bytes, to: str = "pengaduan@bkpsdm.singkawangkota.go.id") -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        smtp.ehlo()
        code, reply = smtp.mail("pengirim@contoh.id")
        code, reply = smtp.rcpt(to)
        if code != 250:
            return code, reply.decode()
        code, reply = smtp.data(data)
        return code, reply.decode()


def _mail(text: str = "Isi pengaduan.") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Pengirim <pengirim@contoh.id>"
    message["Subject"] = "Pengaduan"
    message.set_content(text)
    return message


async def test_mail_that_cannot_be_a_complaint_is_refused_over_smtp_and_nothing_is_stored(
    complaints: Any,
) -> None:
    broken = (
        b"From: a@contoh.id\r\nSubject: Rusak\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nteks\r\n'
    )
    huge_attachment = _mail()
    huge_attachment.add_attachment(
        b"%PDF-" + b"0" * (3 * 1024 * 1024), maintype="application", subtype="pdf", filename="besar.pdf"
    )
    wrong_type = _mail()
    wrong_type.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="x.exe")
    no_sender = b"Subject: Tanpa pengirim\r\n\r\nIsi.\r\n"
    empty = _mail("   ")
    before = await count(complaints)
    cases = [
        (broken, 550, "MIME"),
        (huge_attachment.as_bytes(policy=SMTP), 552, "Lampiran"),
        (wrong_type.as_bytes(policy=SMTP), 554, "lampiran"),
        (no_sender, 550, "pengirim"),
        (empty.as_bytes(policy=SMTP), 550, "TEXT_EMPTY"),
        (b"From: a@contoh.id\r\n\r\n" + (b"y" * 900 + b"\r\n") * 12_000, 552, "Too much"),
    ]
    for data, expected, words in cases:
        code, reply = await asyncio.to_thread(_smtp, complaints.smtp_port, data)
        assert (code, words in reply) == (expected, True), (words, reply)
    code, reply = await asyncio.to_thread(
        _smtp, complaints.smtp_port, _mail().as_bytes(policy=SMTP), "orang@lain.go.id"
    )
    assert code == 550, reply
    assert await count(complaints) == before


@pytest.fixture(scope="module")
async def strict(infra: Infra, pool: asyncpg.Pool, start_complaints: Any) -> AsyncIterator[Any]:
    async with start_complaints(
        infra, pool, public_rate_per_s=1.0, public_burst=3, smtp_protocol="lmtp"
    ) as s:
        yield s


async def test_public_endpoints_answer_429_past_the_per_client_limit(strict: Any) -> None:
    answers = [
        (await strict.client.get("/api/v1/public/complaints/PGD-0000-0000-0000")).status_code
        for _ in range(5)
    ]
    assert answers[:3] == [404, 404, 404]
    assert answers[3:] == [429, 429]
    limited = await strict.client.get("/api/v1/public/form-token")
    assert (limited.status_code, limited.json()["code"], limited.headers["retry-after"]) == (
        429,
        "RATE_LIMITED",
        "1",
    )
    # The officers' API is not the public's: it is not limited.
    assert (await strict.client.get("/api/v1/complaints", headers=OFFICER)).status_code == 200


async def test_the_mail_server_can_hand_over_by_lmtp(strict: Any) -> None:
    def deliver() -> dict[str, tuple[int, bytes]]:
        with smtplib.LMTP("127.0.0.1", strict.smtp_port, timeout=10) as lmtp:
            return lmtp.sendmail(
                "pengirim@contoh.id",
                ["pengaduan@bkpsdm.singkawangkota.go.id"],
                _mail("Lewat LMTP.").as_bytes(policy=SMTP),
            )

    assert await asyncio.to_thread(deliver) == {}
    listed = (await strict.client.get("/api/v1/complaints?channel=EMAIL", headers=OFFICER)).json()
    assert [c["title"] for c in listed] == ["Pengaduan"]
