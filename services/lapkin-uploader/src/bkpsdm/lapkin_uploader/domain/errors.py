"""Lapkin-uploader's error catalogue: stable codes, their Indonesian messages, the kind of problem."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec

SKP_RATING_UNKNOWN = ErrorSpec(
    "SKP_RATING_UNKNOWN",
    "Penilaian SKP tidak dikenal: gunakan Di Atas Ekspektasi, Sesuai Ekspektasi atau "
    "Di Bawah Ekspektasi (kode SIASN 1, 2, 3).",
)
SKP_INPUT_INCOMPLETE = ErrorSpec(
    "SKP_INPUT_INCOMPLETE",
    "Data SKP tidak lengkap: isi penilaian hasil kerja dan perilaku kerja, "
    "atau nilai SKP dan nilai perilaku kerja, atau nilai prestasi kerja.",
)
SKP_SCORE_OUT_OF_RANGE = ErrorSpec("SKP_SCORE_OUT_OF_RANGE", "Nilai SKP harus berupa angka 0 sampai 100.")
SKP_RULES_INVALID = ErrorSpec("SKP_RULES_INVALID", "Berkas aturan predikat SKP tidak sah.")
NIP_MISSING = ErrorSpec("NIP_MISSING", "NIP kosong; baris tidak dapat dikirim ke BKN.")
PERIOD_INVALID = ErrorSpec(
    "PERIOD_INVALID", "Periode tidak sah; isi dengan tahun (TTTT) atau tahun-bulan (TTTT-BB)."
)

CATALOGUE = ErrorCatalogue(
    SKP_RATING_UNKNOWN,
    SKP_INPUT_INCOMPLETE,
    SKP_SCORE_OUT_OF_RANGE,
    SKP_RULES_INVALID,
    NIP_MISSING,
    PERIOD_INVALID,
)
