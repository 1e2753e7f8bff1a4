"""The uploaders' HTTP error codes, with their Indonesian messages."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

UPLOAD_NOT_FOUND = ErrorSpec("UPLOAD_NOT_FOUND", "Data unggahan tidak ditemukan.", Problem.NOT_FOUND)
EXPORT_EMPTY = ErrorSpec(
    "EXPORT_EMPTY", "Unggahan ini tidak memiliki baris yang dapat diekspor.", Problem.NOT_FOUND
)

CATALOGUE = ErrorCatalogue(UPLOAD_NOT_FOUND, EXPORT_EMPTY)
