"""Attachments a reporter sends (web form, e-mail): what they are is decided by their content,
never their name or declared type; PDF, PNG and JPEG only, each and in number limited."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bkpsdm.complaints.domain import errors

MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = 2 * 1024 * 1024
    max_count: int = 3


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return MEDIA_TYPES["pdf"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MEDIA_TYPES["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return MEDIA_TYPES["jpeg"]
    return None


def safe_filename(name: str | None, index: int) -> str:
    """The base name without path or control characters, at most 120 characters."""
    base = _UNSAFE_NAME.sub("_", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return base[-120:] if base else f"lampiran-{index}"


def check_attachments(files: list[tuple[str | None, bytes]], limits: AttachmentLimits) -> list[Attachment]:
    """Every file checked before anything is kept: one bad file refuses them all."""
    if len(files) > limits.max_count:
        raise errors.refuse(errors.TOO_MANY_ATTACHMENTS, max_count=limits.max_count)
    accepted = []
    for index, (name, data) in enumerate(files, start=1):
        filename = safe_filename(name, index)
        if not data:
            raise errors.refuse(errors.ATTACHMENT_EMPTY, filename=filename)
        if len(data) > limits.max_bytes:
            raise errors.refuse(errors.ATTACHMENT_TOO_LARGE, filename=filename, max_bytes=limits.max_bytes)
        media_type = sniff(data)
        if media_type is None:
            raise errors.refuse(errors.ATTACHMENT_TYPE_NOT_ALLOWED, filename=filename)
        accepted.append(Attachment(filename, media_type, data))
    return accepted
