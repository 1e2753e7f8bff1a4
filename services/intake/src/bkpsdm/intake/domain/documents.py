"""What an uploaded document is, decided by its content (never its name), and whether a
requirement takes it. Pure: no I/O."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.catalogue import FileKind, Requirement

MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
_KIND_OF = {"pdf": FileKind.PDF, "png": FileKind.IMAGE, "jpeg": FileKind.IMAGE, "xlsx": FileKind.XLSX}


@dataclass(frozen=True)
class Sniffed:
    kind: FileKind
    media_type: str


def sniff(data: bytes) -> Sniffed | None:
    """PDF, PNG, JPEG, XLSX by their magic; CSV as text without control characters. None otherwise."""
    name: str | None = None
    if data.startswith(b"%PDF-"):
        name = "pdf"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        name = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        name = "jpeg"
    elif data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                name = "xlsx" if "xl/workbook.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            name = None
    elif _is_text(data):
        return Sniffed(FileKind.CSV, MEDIA_TYPES["csv"])
    return None if name is None else Sniffed(_KIND_OF[name], MEDIA_TYPES[name])


def _is_text(data: bytes) -> bool:
    head = data[:65536]
    if any(b < 32 and b not in (9, 10, 13) for b in head):
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3 and len(data) > len(head):
                return True  # a character cut by the 64 KiB window
    return False


def accept_document(requirement: Requirement, data: bytes, max_bytes: int) -> Sniffed:
    if not data:
        raise DomainError(errors.DOCUMENT_EMPTY, [{"requirement": requirement.id}])
    if len(data) > max_bytes:
        raise DomainError(
            errors.DOCUMENT_TOO_LARGE, [{"requirement": requirement.id, "max_bytes": max_bytes}]
        )
    sniffed = sniff(data)
    if sniffed is None or sniffed.kind not in requirement.file_kinds:
        raise DomainError(
            errors.DOCUMENT_TYPE_NOT_ALLOWED,
            [{"requirement": requirement.id, "allowed": [k.value for k in requirement.file_kinds]}],
        )
    return sniffed
