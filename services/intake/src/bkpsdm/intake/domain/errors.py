"""Intake's error catalogue: stable codes, their Indonesian messages, the kind of problem."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

SERVICE_UNKNOWN = ErrorSpec("SERVICE_UNKNOWN", "Kode layanan tidak dikenal.")
APPLICANT_REQUIRED = ErrorSpec("APPLICANT_REQUIRED", "Nama Perangkat Daerah pemohon wajib diisi.")
TITLE_REQUIRED = ErrorSpec("TITLE_REQUIRED", "Perihal pengajuan wajib diisi.")
SUBMISSION_NOT_FOUND = ErrorSpec("SUBMISSION_NOT_FOUND", "Pengajuan tidak ditemukan.", Problem.NOT_FOUND)
IDEMPOTENCY_KEY_REUSED = ErrorSpec(
    "IDEMPOTENCY_KEY_REUSED",
    "Idempotency-Key ini sudah dipakai untuk pengajuan dengan isi yang berbeda.",
    Problem.CONFLICT,
)

CATALOGUE = ErrorCatalogue(
    SERVICE_UNKNOWN, APPLICANT_REQUIRED, TITLE_REQUIRED, SUBMISSION_NOT_FOUND, IDEMPOTENCY_KEY_REUSED
)
