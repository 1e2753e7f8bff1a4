"""Reading a submission's multipart form into the domain's SubmissionForm, refusing what cannot
be read with intake's stable codes (Starlette would answer a broken body with a bare 400)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.catalogue import FileKind
from bkpsdm.intake.domain.documents import sniff
from bkpsdm.intake.domain.submission import SubmissionForm, Upload

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_PARTS = 40


async def read_submission_form(request: Request, document_fields: Collection[str]) -> SubmissionForm:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise DomainError(errors.CONTENT_TYPE_UNSUPPORTED)
    try:
        form = await request.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS)
    except (HTTPException, ValueError, KeyError, AssertionError) as exc:
        raise DomainError(errors.MULTIPART_INVALID) from exc
    try:
        seen: set[str] = set()
        problems: list[dict[str, Any]] = []
        fields: dict[str, str] = {}
        uploads: dict[str, Upload] = {}
        service_code = ""
        replaces: str | None = None
        for name, value in form.multi_items():
            if name in seen:
                problems.append({"field": name, "problem": "duplicate"})
                continue
            seen.add(name)
            if name in document_fields:
                if isinstance(value, UploadFile):
                    uploads[name] = Upload(name, value.filename or name, await value.read())
                elif value:
                    uploads[name] = Upload(name, name, _bytes_of_text_part(value))
                continue
            if isinstance(value, UploadFile):
                problems.append({"field": name, "problem": "not_text"})
                continue
            if _CONTROL.search(value):
                problems.append({"field": name, "problem": "control_characters"})
                continue
            if name == "service_code":
                service_code = value
            elif name == "replaces":
                replaces = _submission_id(value, problems)
            elif value.strip():
                fields[name] = value
        if problems:
            raise DomainError(errors.FIELD_INVALID, problems)
        if not service_code.strip():
            raise DomainError(
                errors.REQUIREMENTS_MISSING, [{"requirement": "service_code", "text": "Kode layanan"}]
            )
        return SubmissionForm(service_code, fields, uploads, replaces)
    finally:
        await form.close()


def _bytes_of_text_part(value: str) -> bytes:
    """A file sent without a filename (RFC 7578 allows it; some clients do it) reaches us as
    text: Starlette decoded its bytes as UTF-8 or, when that failed, as Latin-1, which maps
    every byte to one character. Undo whichever it was: a PDF, PNG, JPEG or XLSX is never
    valid UTF-8, so Latin-1 bytes that sniff as one are the file as it was sent."""
    try:
        latin1 = value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()  # a character beyond Latin-1: it was decoded as UTF-8
    try:
        latin1.decode("utf-8")
    except UnicodeDecodeError:
        found = sniff(latin1)
        if found is not None and found.kind is not FileKind.CSV:
            return latin1
    return value.encode()


def _submission_id(value: str, problems: list[dict[str, Any]]) -> str | None:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        problems.append({"field": "replaces", "problem": "not_a_submission_id"})
        return None
