"""Complaints' error catalogue: stable codes with their Indonesian message templates.

The domain stays free of FastAPI, so HTTP statuses are the entrypoint's to assign
(all of these are 422: the request is well-formed but a rule says no).
"""

from __future__ import annotations

CATALOGUE: dict[str, str] = {
    "IKM_ELEMENT_MISSING": "Jawaban untuk unsur {element} belum diisi.",
    "IKM_ELEMENT_UNKNOWN": "Unsur {element} tidak termasuk unsur survei kepuasan masyarakat.",
    "IKM_ANSWER_OUT_OF_RANGE": "Jawaban untuk unsur {element} harus berupa angka bulat {low} sampai {high}.",
    "IKM_PERIOD_INVALID": "Periode survei harus berbentuk TAHUN-S1 atau TAHUN-S2, misalnya 2026-S1.",
    "IKM_NO_RESPONSES": "Belum ada jawaban survei untuk layanan dan periode ini.",
}


class ComplaintsError(Exception):
    """A business rule said no; `code` is a key of CATALOGUE, `params` fill its message."""

    def __init__(self, code: str, **params: object) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"unknown error code {code}")
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return CATALOGUE[self.code].format(**self.params)
