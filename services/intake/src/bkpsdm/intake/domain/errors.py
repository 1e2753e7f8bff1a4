"""Intake's error catalogue: stable codes, their Indonesian messages, the kind of problem.

The codes of the NIP rules, the recap rules and the recap file reader are registered here
too (their texts stay in those modules' MESSAGES). A recap's row errors travel together in
the `details` of one RECAP_INVALID answer; a file the reader refuses is answered with the
first reason's code and every reason in `details`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bkpsdm.common.domain_errors import DomainError, ErrorCatalogue, ErrorSpec, Problem
from bkpsdm.common.nip import MESSAGES as NIP_MESSAGES
from bkpsdm.intake.adapters.recap_files import MESSAGES as RECAP_FILE_MESSAGES
from bkpsdm.intake.domain.recap import MESSAGES as RECAP_MESSAGES
from bkpsdm.intake.domain.recap import RecapIssue

SERVICE_UNKNOWN = ErrorSpec("SERVICE_UNKNOWN", "Kode layanan tidak dikenal.")
APPLICANT_REQUIRED = ErrorSpec("APPLICANT_REQUIRED", "Nama Perangkat Daerah pemohon wajib diisi.")
TITLE_REQUIRED = ErrorSpec("TITLE_REQUIRED", "Perihal pengajuan wajib diisi.")
SUBMISSION_NOT_FOUND = ErrorSpec("SUBMISSION_NOT_FOUND", "Pengajuan tidak ditemukan.", Problem.NOT_FOUND)
IDEMPOTENCY_KEY_REUSED = ErrorSpec(
    "IDEMPOTENCY_KEY_REUSED",
    "Idempotency-Key ini sudah dipakai untuk pengajuan dengan isi yang berbeda.",
    Problem.CONFLICT,
)
REQUIREMENTS_MISSING = ErrorSpec(
    "REQUIREMENTS_MISSING", "Persyaratan pengajuan belum lengkap; lihat daftar persyaratan yang kurang."
)
FIELDS_UNEXPECTED = ErrorSpec(
    "FIELDS_UNEXPECTED", "Pengajuan berisi isian atau berkas yang bukan persyaratan layanan ini."
)
FIELD_INVALID = ErrorSpec("FIELD_INVALID", "Isian pengajuan tidak sesuai format; lihat rinciannya.")
PERIOD_INVALID = ErrorSpec(
    "PERIOD_INVALID", "Periode tidak sah; isi dengan tahun (TTTT) atau tahun-bulan (TTTT-BB)."
)
RECAP_INVALID = ErrorSpec(
    "RECAP_INVALID", "Rekap belum dapat diterima; perbaiki setiap kesalahan yang tercantum lalu kirim ulang."
)
DOCUMENT_EMPTY = ErrorSpec("DOCUMENT_EMPTY", "Berkas persyaratan kosong.")
DOCUMENT_TOO_LARGE = ErrorSpec(
    "DOCUMENT_TOO_LARGE", "Ukuran berkas persyaratan melebihi batas yang diizinkan.", Problem.TOO_LARGE
)
DOCUMENT_TYPE_NOT_ALLOWED = ErrorSpec(
    "DOCUMENT_TYPE_NOT_ALLOWED",
    "Jenis berkas tidak diterima untuk persyaratan ini (isi berkas yang menentukan, bukan namanya).",
    Problem.UNSUPPORTED_TYPE,
)
DOCUMENT_NOT_FOUND = ErrorSpec("DOCUMENT_NOT_FOUND", "Berkas tidak ditemukan.", Problem.NOT_FOUND)
RECAP_NOT_AVAILABLE = ErrorSpec(
    "RECAP_NOT_AVAILABLE", "Pengajuan ini tidak memiliki rekap.", Problem.NOT_FOUND
)
MULTIPART_INVALID = ErrorSpec(
    "MULTIPART_INVALID", "Isi permintaan bukan multipart/form-data yang sah.", Problem.MALFORMED
)
CONTENT_TYPE_UNSUPPORTED = ErrorSpec(
    "CONTENT_TYPE_UNSUPPORTED",
    "Pengajuan harus dikirim sebagai multipart/form-data.",
    Problem.UNSUPPORTED_TYPE,
)
REPLACES_INVALID = ErrorSpec(
    "REPLACES_INVALID", "Pengajuan pengganti harus untuk layanan yang sama dengan pengajuan yang diganti."
)
REPLACES_ALREADY_REPLACED = ErrorSpec(
    "REPLACES_ALREADY_REPLACED",
    "Pengajuan yang diganti sudah memiliki pengajuan pengganti.",
    Problem.CONFLICT,
)
SERVICE_STANDARD_NOT_FOUND = ErrorSpec(
    "SERVICE_STANDARD_NOT_FOUND", "Standar pelayanan tidak ditemukan.", Problem.NOT_FOUND
)
CURSOR_INVALID = ErrorSpec(
    "CURSOR_INVALID",
    "Penanda halaman (cursor) tidak sah; gunakan next_cursor dari halaman sebelumnya.",
)

# File-level refusals by the recap reader; a wrong kind of file is 415, a file too big 413.
_FILE_PROBLEMS = {
    "FILE_TYPE_UNSUPPORTED": Problem.UNSUPPORTED_TYPE,
    "FILE_TYPE_MISMATCH": Problem.UNSUPPORTED_TYPE,
    "XLSX_LEGACY_OR_PROTECTED": Problem.UNSUPPORTED_TYPE,
}
RECAP_FILE_ISSUES: dict[str, ErrorSpec] = {
    code: ErrorSpec(code, text, _FILE_PROBLEMS.get(code, Problem.INVALID))
    for code, text in RECAP_FILE_MESSAGES.items()
}
# Row and column errors of a recap (NIP rules included): listed in RECAP_INVALID's details.
ROW_ISSUES: dict[str, ErrorSpec] = {
    code: ErrorSpec(code, text) for code, text in {**NIP_MESSAGES, **RECAP_MESSAGES}.items()
}

CATALOGUE = ErrorCatalogue(
    SERVICE_UNKNOWN,
    APPLICANT_REQUIRED,
    TITLE_REQUIRED,
    SUBMISSION_NOT_FOUND,
    IDEMPOTENCY_KEY_REUSED,
    REQUIREMENTS_MISSING,
    FIELDS_UNEXPECTED,
    FIELD_INVALID,
    PERIOD_INVALID,
    RECAP_INVALID,
    DOCUMENT_EMPTY,
    DOCUMENT_TOO_LARGE,
    DOCUMENT_TYPE_NOT_ALLOWED,
    DOCUMENT_NOT_FOUND,
    RECAP_NOT_AVAILABLE,
    MULTIPART_INVALID,
    CONTENT_TYPE_UNSUPPORTED,
    REPLACES_INVALID,
    REPLACES_ALREADY_REPLACED,
    SERVICE_STANDARD_NOT_FOUND,
    CURSOR_INVALID,
    *RECAP_FILE_ISSUES.values(),
    *ROW_ISSUES.values(),
)


def issue_details(issues: tuple[RecapIssue, ...] | list[RecapIssue]) -> list[dict[str, Any]]:
    """Every issue as the applicant reads it: row (None: the whole file), column, code, message."""
    return [{"row": i.row, "column": i.column, "code": i.code, "message": i.message} for i in issues]


def recap_file_refused(issues: tuple[RecapIssue, ...], requirement: str) -> DomainError:
    """The reader's first reason decides the code and status; every reason is in the details."""
    first = issues[0]
    spec = replace(RECAP_FILE_ISSUES[first.code], message=first.message)
    return DomainError(spec, [{"requirement": requirement, **d} for d in issue_details(issues)])


def recap_invalid(issues: tuple[RecapIssue, ...], requirement: str) -> DomainError:
    return DomainError(RECAP_INVALID, [{"requirement": requirement, **d} for d in issue_details(issues)])
