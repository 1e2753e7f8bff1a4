"""A complaint e-mail as the agency's mail server hands it over (RFC 5322 bytes): who sent it,
its subject, its text and its attachments, or why it is refused (an SMTP reply the sending
server turns into a bounce). Nothing here is stored; the caller decides.

Decisions:
- A structurally broken MIME message (missing or unclosed boundaries, a multipart without
  parts, undecodable attachment) is refused whole, never half-read.
- The text is the plain-text body, else the HTML body with its markup removed.
- Attachments (every non-body part with a file name or a non-text type) are checked by the
  same rules as the web form's: by content, size and count.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.complaints.domain.attachments import Attachment, AttachmentLimits, check_attachments

# Defects that mean the structure cannot be trusted (others, e.g. a missing MIME-Version, are
# the everyday sloppiness of mail clients).
_FATAL_DEFECTS = frozenset(
    {
        "NoBoundaryInMultipartDefect",
        "StartBoundaryNotFoundDefect",
        "CloseBoundaryNotFoundDefect",
        "MultipartInvariantViolationDefect",
        "MissingHeaderBodySeparatorDefect",
        "InvalidMultipartContentTransferEncodingDefect",
        "InvalidBase64CharactersDefect",
        "InvalidBase64PaddingDefect",
        "InvalidBase64LengthDefect",
    }
)


class MailRefused(Exception):
    """The SMTP reply to give, and a stable code for the log."""

    def __init__(self, reply: str, code: str) -> None:
        super().__init__(code)
        self.reply = reply
        self.code = code


@dataclass(frozen=True)
class ComplaintMail:
    sender_email: str
    sender_name: str | None
    subject: str | None
    text: str
    attachments: tuple[Attachment, ...]
    message_key: str  # sha-256 of the Message-ID (or of the whole message): a redelivery's key


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _defects(message: EmailMessage) -> set[str]:
    found = set()
    for part in message.walk():
        found |= {type(d).__name__ for d in part.defects}
    return found & _FATAL_DEFECTS


def parse_complaint_mail(raw: bytes, limits: AttachmentLimits) -> ComplaintMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    if _defects(message):
        raise MailRefused("550 5.6.0 Struktur MIME pesan rusak; pengaduan tidak dicatat", "MIME_MALFORMED")
    senders = getaddresses([str(message.get("From", ""))])
    sender_name, sender_email = senders[0] if senders else ("", "")
    if not sender_email or "@" not in sender_email:
        raise MailRefused("550 5.1.7 Alamat pengirim tidak ada atau tidak sah", "SENDER_INVALID")
    if message.is_multipart() and not list(message.iter_parts()):
        raise MailRefused("550 5.6.0 Pesan multipart tanpa bagian", "MIME_MALFORMED")
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    try:
        if body is not None:
            content = body.get_content()
            text = _html_text(content) if body.get_content_subtype() == "html" else str(content)
        files = []
        for part in message.iter_attachments():
            if part.is_multipart():
                continue
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                raise MailRefused("550 5.6.0 Lampiran tidak dapat dibaca", "MIME_MALFORMED")
            files.append((part.get_filename(), data))
    except (LookupError, UnicodeError, binascii.Error, ValueError) as exc:
        raise MailRefused("550 5.6.0 Isi pesan tidak dapat dibaca", "MIME_MALFORMED") from exc
    try:
        attachments = check_attachments(files, limits)
    except DomainError as refused:
        reply = {
            "ATTACHMENT_TOO_LARGE": "552 5.3.4 Lampiran melebihi ukuran yang diizinkan",
            "TOO_MANY_ATTACHMENTS": "552 5.3.4 Lampiran terlalu banyak",
        }.get(refused.error.code, "554 5.6.1 Jenis lampiran tidak diterima (hanya PDF, PNG, JPEG)")
        raise MailRefused(reply, refused.error.code) from None
    message_id = str(message.get("Message-ID", "")).strip()
    key = hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()
    subject = " ".join(str(message.get("Subject", "")).split()) or None
    name = " ".join(sender_name.split()) or None
    return ComplaintMail(
        sender_email.lower(),
        name,
        subject,
        text.strip(),
        tuple(attachments),
        key,
    )
