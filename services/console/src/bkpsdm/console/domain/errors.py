"""The console's own refusals: stable codes, Indonesian messages. Refusals of the services behind
it are shown with their own codes and messages, as those services said them."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

SIGN_IN_FAILED = ErrorSpec("SIGN_IN_FAILED", "Nama pengguna atau kata sandi salah.", Problem.UNAUTHENTICATED)
ACCOUNT_LOCKED = ErrorSpec(
    "ACCOUNT_LOCKED",
    "Akun dikunci sementara karena terlalu banyak percobaan masuk yang gagal. Coba lagi nanti "
    "atau hubungi admin.",
    Problem.FORBIDDEN,
)
SESSION_REQUIRED = ErrorSpec(
    "SESSION_REQUIRED", "Sesi Anda berakhir atau belum masuk. Silakan masuk.", Problem.UNAUTHENTICATED
)
CSRF_INVALID = ErrorSpec(
    "CSRF_INVALID",
    "Formulir ini tidak sah atau sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.",
    Problem.FORBIDDEN,
)
PAGE_FORBIDDEN = ErrorSpec("PAGE_FORBIDDEN", "Halaman ini bukan untuk peran Anda.", Problem.FORBIDDEN)
SERVICE_UNREACHABLE = ErrorSpec(
    "SERVICE_UNREACHABLE",
    "Layanan yang dibutuhkan halaman ini sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
    Problem.UNAVAILABLE,
)
USERNAME_INVALID = ErrorSpec(
    "USERNAME_INVALID",
    "Nama pengguna 3-64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.",
)
PASSWORD_TOO_SHORT = ErrorSpec("PASSWORD_TOO_SHORT", "Kata sandi minimal 10 karakter.")
ROLE_REQUIRED = ErrorSpec("ROLE_REQUIRED", "Pengguna harus memiliki paling sedikit satu peran.")
UNIT_REQUIRED = ErrorSpec("UNIT_REQUIRED", "Pengguna Perangkat Daerah harus memiliki unit.")
USER_EXISTS = ErrorSpec("USER_EXISTS", "Nama pengguna sudah dipakai.", Problem.CONFLICT)
PASSWORD_SIGN_IN_DISABLED = ErrorSpec(
    "PASSWORD_SIGN_IN_DISABLED",
    "Masuk dengan kata sandi konsol tidak diaktifkan. Gunakan tombol Masuk dengan SSO.",
    Problem.FORBIDDEN,
)
SSO_NO_ROLE = ErrorSpec(
    "SSO_NO_ROLE",
    "Akun SSO Anda berhasil dikenali, tetapi belum diberi peran di Konsol BKPSDM. Hubungi admin "
    "BKPSDM agar grup atau peran Anda di SSO didaftarkan.",
    Problem.FORBIDDEN,
)
SSO_UNIT_MISSING = ErrorSpec(
    "SSO_UNIT_MISSING",
    "Akun SSO Anda adalah akun Perangkat Daerah tetapi tidak menyebutkan unit kerjanya. Hubungi "
    "admin BKPSDM.",
    Problem.FORBIDDEN,
)
SSO_FLOW_EXPIRED = ErrorSpec(
    "SSO_FLOW_EXPIRED",
    "Proses masuk SSO tidak ditemukan, sudah dipakai, atau kedaluwarsa. Silakan ulangi masuk.",
    Problem.MALFORMED,
)
SSO_STATE_MISMATCH = ErrorSpec(
    "SSO_STATE_MISMATCH",
    "Jawaban SSO tidak cocok dengan permintaan masuk dari peramban ini. Silakan ulangi masuk.",
    Problem.MALFORMED,
)
SSO_NONCE_MISMATCH = ErrorSpec(
    "SSO_NONCE_MISMATCH",
    "Token identitas dari SSO bukan untuk permintaan masuk ini (kemungkinan diputar ulang). "
    "Silakan ulangi masuk.",
    Problem.MALFORMED,
)
SSO_TOKEN_INVALID = ErrorSpec(
    "SSO_TOKEN_INVALID", "Token identitas dari SSO tidak sah. Silakan ulangi masuk.", Problem.UNAUTHENTICATED
)
SSO_REFUSED = ErrorSpec("SSO_REFUSED", "SSO menolak atau membatalkan proses masuk.", Problem.UNAUTHENTICATED)
SSO_UNAVAILABLE = ErrorSpec(
    "SSO_UNAVAILABLE",
    "Layanan SSO instansi sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
    Problem.UNAVAILABLE,
)

CATALOGUE = ErrorCatalogue(
    SIGN_IN_FAILED,
    ACCOUNT_LOCKED,
    SESSION_REQUIRED,
    CSRF_INVALID,
    PAGE_FORBIDDEN,
    SERVICE_UNREACHABLE,
    USERNAME_INVALID,
    PASSWORD_TOO_SHORT,
    ROLE_REQUIRED,
    UNIT_REQUIRED,
    USER_EXISTS,
    PASSWORD_SIGN_IN_DISABLED,
    SSO_NO_ROLE,
    SSO_UNIT_MISSING,
    SSO_FLOW_EXPIRED,
    SSO_STATE_MISMATCH,
    SSO_NONCE_MISMATCH,
    SSO_TOKEN_INVALID,
    SSO_REFUSED,
    SSO_UNAVAILABLE,
)
