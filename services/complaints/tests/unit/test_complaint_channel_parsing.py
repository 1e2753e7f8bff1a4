"""What the channels hand in, checked before anything is stored: e-mail (MIME) parsing and its
SMTP refusals, attachments by content, SMS parts, the web form's one-time tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.adapters.mail import MailRefused, parse_complaint_mail
from bkpsdm.complaints.domain.attachments import AttachmentLimits, check_attachments, safe_filename
from bkpsdm.complaints.domain.form_tokens import FormTokens
from bkpsdm.complaints.domain.sms import SmsPart, assemble, check_part

LIMITS = AttachmentLimits(max_bytes=1000, max_count=2)
PDF = b"%PDF-1.4 ..."
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def mail(text: str = "Isi pengaduan.", sender: str = "Rina <rina@contoh.id>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = "  Data   salah "
    message["Message-ID"] = "<abc@contoh.id>"
    message.set_content(text)
    return message


def test_a_plain_mail_gives_sender_subject_text_and_a_key_from_its_message_id() -> None:
    parsed = parse_complaint_mail(mail().as_bytes(policy=SMTP), LIMITS)
    assert (parsed.sender_email, parsed.sender_name, parsed.subject, parsed.text) == (
        "rina@contoh.id",
        "Rina",
        "Data salah",
        "Isi pengaduan.",
    )
    assert parsed.message_key == parse_complaint_mail(mail("Lain.").as_bytes(), LIMITS).message_key


def test_an_html_only_mail_gives_its_text_without_markup_or_script() -> None:
    message = mail()
    message.set_content("<p>Halo <b>BKPSDM</b></p><script>alert(1)</script><p>Baris dua</p>", subtype="html")
    assert parse_complaint_mail(message.as_bytes(), LIMITS).text == "Halo BKPSDM\nBaris dua"


def test_attachments_are_read_by_content_and_named_safely() -> None:
    message = mail()
    message.add_attachment(PDF, maintype="application", subtype="octet-stream", filename="../../surat.pdf")
    parsed = parse_complaint_mail(message.as_bytes(), LIMITS)
    assert [(a.filename, a.media_type, a.data) for a in parsed.attachments] == [
        ("surat.pdf", "application/pdf", PDF)
    ]


@pytest.mark.parametrize(
    ("raw", "reply", "code"),
    [
        (
            b'From: a@b.id\r\nContent-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\n\r\nx\r\n',
            "550 5.6.0",
            "MIME_MALFORMED",
        ),
        (b"Subject: x\r\n\r\nIsi\r\n", "550 5.1.7", "SENDER_INVALID"),
        (b"From: bukan-alamat\r\n\r\nIsi\r\n", "550 5.1.7", "SENDER_INVALID"),
    ],
)
def test_a_broken_mail_is_refused_with_an_smtp_reply(raw: bytes, reply: str, code: str) -> None:
    with pytest.raises(MailRefused) as refused:
        parse_complaint_mail(raw, LIMITS)
    assert (refused.value.reply[:9], refused.value.code) == (reply, code)


@pytest.mark.parametrize(
    ("files", "reply", "code"),
    [
        ([("a.pdf", PDF + b"0" * 1000)], "552 5.3.4", "ATTACHMENT_TOO_LARGE"),
        ([("a.exe", b"MZ\x90")], "554 5.6.1", "ATTACHMENT_TYPE_NOT_ALLOWED"),
        ([(f"{i}.pdf", PDF) for i in range(3)], "552 5.3.4", "TOO_MANY_ATTACHMENTS"),
    ],
)
def test_a_mail_with_a_bad_attachment_is_refused_whole(
    files: list[tuple[str, bytes]], reply: str, code: str
) -> None:
    message = mail()
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    with pytest.raises(MailRefused) as refused:
        parse_complaint_mail(message.as_bytes(), LIMITS)
    assert (refused.value.reply[:9], refused.value.code) == (reply, code)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("C:\\data\\x.pdf", "x.pdf"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b.pdf", "a_b.pdf"),
        ("", "lampiran-1"),
    ],
)
def test_file_names_lose_their_path_and_control_characters(name: str, safe: str) -> None:
    assert safe_filename(name, 1) == safe


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"%PDF-1.7", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_are_accepted_by_their_content(data: bytes, media_type: str) -> None:
    assert [a.media_type for a in check_attachments([("x.bin", data)], LIMITS)] == [media_type]


def test_an_sms_is_whole_once_every_part_is_there_in_part_order() -> None:
    assert assemble(3, {3: "c", 1: "a"}) is None
    assert assemble(3, {3: "c", 1: "a", 2: "b"}) == "abc"
    assert assemble(1, {1: "satu"}) == "satu"


@pytest.mark.parametrize(("part", "total"), [(0, 1), (2, 1), (1, 0), (1, 17)])
def test_an_sms_part_outside_its_message_is_refused(part: int, total: int) -> None:
    with pytest.raises(DomainError) as refused:
        check_part(SmsPart("m", "0812", "r", part, total, "x"))
    assert refused.value.error.code == "SMS_PART_INVALID"


def test_a_form_token_is_ours_once_and_for_a_while() -> None:
    tokens = FormTokens(b"k" * 32, timedelta(hours=2))
    token, expires = tokens.issue(NOW)
    assert expires == NOW + timedelta(hours=2)
    nonce = tokens.check(token, NOW + timedelta(hours=1))
    assert nonce == tokens.check(token, NOW)  # the nonce the replay guard remembers
    assert tokens.issue(NOW)[0] != token
    for when, code in (
        (NOW + timedelta(hours=3), "FORM_TOKEN_EXPIRED"),
        (NOW - timedelta(hours=1), "FORM_TOKEN_EXPIRED"),
    ):
        with pytest.raises(DomainError) as refused:
            tokens.check(token, when)
        assert refused.value.error.code == code
    other = FormTokens(b"x" * 32, timedelta(hours=2))
    for forged in (other.issue(NOW)[0], token[:-2] + "AA", "bukan.token", "", "é.é"):
        with pytest.raises(DomainError) as refused:
            tokens.check(forged, NOW)
        assert refused.value.error.code == "FORM_TOKEN_INVALID"
