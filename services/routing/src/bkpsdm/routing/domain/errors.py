"""Routing's error catalogue: stable codes, their Indonesian messages, the kind of problem."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

CASE_NOT_FOUND = ErrorSpec("CASE_NOT_FOUND", "Berkas tidak ditemukan atau belum tercatat.", Problem.NOT_FOUND)
CASE_CLOSED = ErrorSpec("CASE_CLOSED", "Berkas sudah selesai; tidak ada tindakan lagi.", Problem.CONFLICT)
NOT_STEP_HOLDER = ErrorSpec(
    "NOT_STEP_HOLDER",
    "Berkas pada tahap ini dipegang oleh pejabat lain; Anda tidak dapat bertindak atasnya.",
    Problem.FORBIDDEN,
)
ACTION_NOT_ALLOWED = ErrorSpec(
    "ACTION_NOT_ALLOWED", "Tindakan ini tidak tersedia pada tahap berkas saat ini.", Problem.CONFLICT
)
TARGET_REQUIRED = ErrorSpec(
    "TARGET_REQUIRED", "Pilih tahap tujuan: tindakan ini punya lebih dari satu tujuan.", Problem.INVALID
)
TARGET_NOT_ALLOWED = ErrorSpec(
    "TARGET_NOT_ALLOWED", "Tahap tujuan tidak tersedia untuk tindakan ini.", Problem.INVALID
)
CLIENT_KEY_REUSED = ErrorSpec(
    "CLIENT_KEY_REUSED",
    "Kunci permintaan (Idempotency-Key) sudah dipakai untuk tindakan lain atau isi yang berbeda.",
    Problem.CONFLICT,
)
# Two keys that contradict each other: a conflict, not a malformed request.
CLIENT_KEY_MISMATCH = ErrorSpec(
    "CLIENT_KEY_MISMATCH", "Kunci permintaan pada header dan pada isi permintaan berbeda.", Problem.CONFLICT
)
INSTRUCTION_UNKNOWN = ErrorSpec(
    "INSTRUCTION_UNKNOWN", "Kode instruksi disposisi tidak dikenal.", Problem.INVALID
)
RECIPIENT_INVALID = ErrorSpec(
    "RECIPIENT_INVALID", "Penerima atau tembusan disposisi harus pejabat BKPSDM.", Problem.INVALID
)
RECIPIENT_REQUIRED = ErrorSpec(
    "RECIPIENT_REQUIRED",
    "Penerima disposisi harus memuat pemegang tahap berikutnya.",
    Problem.INVALID,
)
DEADLINE_PAST = ErrorSpec("DEADLINE_PAST", "Batas waktu harus di masa mendatang.", Problem.INVALID)
DISPOSISI_NOT_FOUND = ErrorSpec("DISPOSISI_NOT_FOUND", "Disposisi tidak ditemukan.", Problem.NOT_FOUND)
DISPOSISI_ALREADY_READ = ErrorSpec(
    "DISPOSISI_ALREADY_READ",
    "Disposisi sudah dibaca atau ditindaklanjuti dan tidak dapat ditarik kembali.",
    Problem.CONFLICT,
)
DISPOSISI_WITHDRAWN = ErrorSpec("DISPOSISI_WITHDRAWN", "Disposisi sudah ditarik kembali.", Problem.CONFLICT)
DISPOSISI_NOT_ISSUER = ErrorSpec(
    "DISPOSISI_NOT_ISSUER", "Hanya pemberi disposisi yang dapat menariknya kembali.", Problem.FORBIDDEN
)
DISPOSISI_NOT_RECIPIENT = ErrorSpec(
    "DISPOSISI_NOT_RECIPIENT", "Anda bukan penerima atau tembusan disposisi ini.", Problem.FORBIDDEN
)
RECAP_MISSING = ErrorSpec(
    "RECAP_MISSING", "Pengajuan ini tidak memiliki rekap yang dapat diunggah.", Problem.CONFLICT
)
WORKFLOW_UNKNOWN = ErrorSpec(
    "WORKFLOW_UNKNOWN", "Alur kerja untuk kode layanan ini tidak dikenal.", Problem.NOT_FOUND
)
# Well-formed, but not for officials to start: it begins with a unit's submission at intake.
WORKFLOW_NOT_INTERNAL = ErrorSpec(
    "WORKFLOW_NOT_INTERNAL",
    "Layanan ini dimulai oleh pengajuan Perangkat Daerah melalui loket, bukan dari dalam BKPSDM.",
    Problem.FORBIDDEN,
)
START_FORBIDDEN = ErrorSpec(
    "START_FORBIDDEN", "Peran Anda tidak dapat memulai alur kerja ini.", Problem.FORBIDDEN
)
WORKFLOW_UNAVAILABLE = ErrorSpec(
    "WORKFLOW_UNAVAILABLE",
    "Definisi alur kerja berkas ini tidak dimuat; hubungi pengelola sistem.",
    Problem.UNAVAILABLE,
)
DELEGATION_NOT_FOUND = ErrorSpec("DELEGATION_NOT_FOUND", "Pelimpahan tidak ditemukan.", Problem.NOT_FOUND)
DELEGATION_PERIOD_INVALID = ErrorSpec(
    "DELEGATION_PERIOD_INVALID",
    "Masa pelimpahan tidak sah: akhir harus setelah mulai, belum lewat, dan tidak melebihi batas.",
    Problem.INVALID,
)
DELEGATION_ROLE_INVALID = ErrorSpec(
    "DELEGATION_ROLE_INVALID", "Hanya peran pejabat BKPSDM yang dapat dilimpahkan.", Problem.INVALID
)
DELEGATION_FORBIDDEN = ErrorSpec(
    "DELEGATION_FORBIDDEN",
    "Pelimpahan (Plt/Plh) hanya dapat diberikan oleh Kepala Badan, Sekretaris, atau pemegang peran itu sendiri.",
    Problem.FORBIDDEN,
)
DELEGATION_REVOKED = ErrorSpec("DELEGATION_REVOKED", "Pelimpahan sudah dicabut.", Problem.CONFLICT)
STATISTICS_PERIOD_INVALID = ErrorSpec(
    "STATISTICS_PERIOD_INVALID",
    "Periode statistik tidak sah: tahun mulai 2000 sampai tahun depan, bulan 1 sampai 12.",
)

CATALOGUE = ErrorCatalogue(
    CASE_NOT_FOUND,
    CASE_CLOSED,
    NOT_STEP_HOLDER,
    ACTION_NOT_ALLOWED,
    TARGET_REQUIRED,
    TARGET_NOT_ALLOWED,
    CLIENT_KEY_REUSED,
    CLIENT_KEY_MISMATCH,
    INSTRUCTION_UNKNOWN,
    RECIPIENT_INVALID,
    RECIPIENT_REQUIRED,
    DEADLINE_PAST,
    DISPOSISI_NOT_FOUND,
    DISPOSISI_ALREADY_READ,
    DISPOSISI_WITHDRAWN,
    DISPOSISI_NOT_ISSUER,
    DISPOSISI_NOT_RECIPIENT,
    RECAP_MISSING,
    WORKFLOW_UNKNOWN,
    WORKFLOW_NOT_INTERNAL,
    START_FORBIDDEN,
    WORKFLOW_UNAVAILABLE,
    DELEGATION_NOT_FOUND,
    DELEGATION_PERIOD_INVALID,
    DELEGATION_ROLE_INVALID,
    DELEGATION_FORBIDDEN,
    DELEGATION_REVOKED,
    STATISTICS_PERIOD_INVALID,
)
