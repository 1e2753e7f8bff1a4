"""IP-ASN's error catalogue: stable codes, their Indonesian messages, the kind of problem."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

EDUCATION_UNKNOWN = ErrorSpec(
    "EDUCATION_UNKNOWN", "Kode pendidikan tidak dikenal; gunakan kode pendidikan SIASN (mis. 40 untuk S-1)."
)
JENIS_JABATAN_UNKNOWN = ErrorSpec(
    "JENIS_JABATAN_UNKNOWN", "Jenis jabatan harus struktural, fungsional atau pelaksana."
)
ESELON_INVALID = ErrorSpec(
    "ESELON_INVALID", "Jabatan struktural wajib mencantumkan eselon yang dikenal aturan (I sampai IV)."
)
TRAINING_JP_INVALID = ErrorSpec("TRAINING_JP_INVALID", "Jumlah JP pelatihan tidak boleh negatif.")
SKP_SCORE_OUT_OF_RANGE = ErrorSpec("SKP_SCORE_OUT_OF_RANGE", "Nilai SKP harus berupa angka 0 sampai 100.")
PREDIKAT_UNKNOWN = ErrorSpec(
    "PREDIKAT_UNKNOWN",
    "Predikat SKP tidak dikenal; gunakan Sangat Baik, Baik, Butuh Perbaikan, Kurang atau "
    "Sangat Kurang (kode SIASN 1 sampai 5).",
)
SANCTION_UNKNOWN = ErrorSpec("SANCTION_UNKNOWN", "Tingkat hukuman disiplin harus ringan, sedang atau berat.")
IPASN_RULES_INVALID = ErrorSpec("IPASN_RULES_INVALID", "Berkas aturan IP-ASN tidak sah.")
IPASN_RULES_MIXED = ErrorSpec(
    "IPASN_RULES_MIXED",
    "Hasil dihitung dengan aturan IP-ASN yang berbeda; hitung ulang dengan satu aturan.",
    Problem.CONFLICT,
)

PERIOD_INVALID = ErrorSpec("PERIOD_INVALID", "Periode tidak sah; isi dengan tahun pengukuran (TTTT).")
NIP_MISSING = ErrorSpec("NIP_MISSING", "NIP kosong; baris tidak dapat dikirim ke BKN.")

CATALOGUE = ErrorCatalogue(
    EDUCATION_UNKNOWN,
    JENIS_JABATAN_UNKNOWN,
    ESELON_INVALID,
    TRAINING_JP_INVALID,
    SKP_SCORE_OUT_OF_RANGE,
    PREDIKAT_UNKNOWN,
    SANCTION_UNKNOWN,
    IPASN_RULES_INVALID,
    IPASN_RULES_MIXED,
    PERIOD_INVALID,
    NIP_MISSING,
)
