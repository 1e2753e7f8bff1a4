"""Intake's error catalogue: stable codes with their Indonesian messages."""

from __future__ import annotations

from bkpsdm.common.http import ErrorCode

CATALOGUE: dict[str, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode("SERVICE_UNKNOWN", "Kode layanan tidak dikenal.", 422),
        ErrorCode("APPLICANT_REQUIRED", "Nama Perangkat Daerah pemohon wajib diisi.", 422),
        ErrorCode("TITLE_REQUIRED", "Perihal pengajuan wajib diisi.", 422),
        ErrorCode("SUBMISSION_NOT_FOUND", "Pengajuan tidak ditemukan.", 404),
        ErrorCode(
            "IDEMPOTENCY_KEY_REUSED",
            "Idempotency-Key ini sudah dipakai untuk pengajuan dengan isi yang berbeda.",
            409,
        ),
    )
}


class IntakeError(Exception):
    """A business rule said no; `code` is a key of CATALOGUE."""

    def __init__(self, code: str) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"unknown error code {code}")
        super().__init__(code)
        self.code = code
