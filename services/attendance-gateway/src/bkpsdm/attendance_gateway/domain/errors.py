"""The gateway's error catalogue: stable codes, their Indonesian messages, the kind of problem."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

ADDRESS_INVALID = ErrorSpec(
    "TERMINAL_ADDRESS_INVALID", "Alamat mesin absensi harus berupa alamat IP atau nama host yang sah."
)
PORT_INVALID = ErrorSpec("TERMINAL_PORT_INVALID", "Port mesin absensi harus di antara 1 dan 65535.")
TRANSPORT_INVALID = ErrorSpec("TERMINAL_TRANSPORT_INVALID", "Transport mesin absensi harus tcp atau udp.")
TIME_ZONE_INVALID = ErrorSpec(
    "TERMINAL_TIME_ZONE_INVALID", "Zona waktu tidak dikenal; gunakan nama IANA, mis. Asia/Jakarta."
)
POLL_INTERVAL_INVALID = ErrorSpec(
    "TERMINAL_POLL_INTERVAL_INVALID", "Selang penarikan data harus di antara 5 dan 86400 detik."
)
COMM_KEY_INVALID = ErrorSpec("TERMINAL_COMM_KEY_INVALID", "Comm key harus berupa angka 0 sampai 999999.")
UNIT_REQUIRED = ErrorSpec("TERMINAL_UNIT_REQUIRED", "Unit kerja pemilik mesin absensi wajib diisi.")
TERMINAL_EXISTS = ErrorSpec(
    "TERMINAL_ALREADY_REGISTERED",
    "Mesin absensi dengan alamat dan port ini sudah terdaftar.",
    Problem.CONFLICT,
)
TERMINAL_NOT_FOUND = ErrorSpec("TERMINAL_NOT_FOUND", "Mesin absensi tidak ditemukan.", Problem.NOT_FOUND)
USER_ID_INVALID = ErrorSpec(
    "TERMINAL_USER_ID_INVALID", "ID pengguna pada mesin absensi harus 1-24 karakter huruf atau angka."
)
NIP_INVALID = ErrorSpec("NIP_INVALID", "NIP tidak sah: harus 18 digit dengan tanggal lahir dan TMT yang sah.")
TERMINAL_BUSY = ErrorSpec(
    "TERMINAL_BUSY",
    "Mesin absensi sedang dilayani proses lain; coba lagi sebentar lagi.",
    Problem.CONFLICT,
)
TERMINAL_UNREACHABLE = ErrorSpec(
    "TERMINAL_UNREACHABLE",
    "Mesin absensi tidak dapat dihubungi atau tidak menjawab dengan benar.",
    # The gateway works; the terminal's state keeps the request from being done (not a 5xx).
    Problem.CONFLICT,
)
DATE_RANGE_INVALID = ErrorSpec(
    "DATE_RANGE_INVALID",
    "Rentang tanggal tidak sah: tanggal akhir harus setelah tanggal awal, paling lama 366 hari.",
)

CATALOGUE = ErrorCatalogue(
    ADDRESS_INVALID,
    PORT_INVALID,
    TRANSPORT_INVALID,
    TIME_ZONE_INVALID,
    POLL_INTERVAL_INVALID,
    COMM_KEY_INVALID,
    UNIT_REQUIRED,
    TERMINAL_EXISTS,
    TERMINAL_NOT_FOUND,
    USER_ID_INVALID,
    NIP_INVALID,
    TERMINAL_BUSY,
    TERMINAL_UNREACHABLE,
    DATE_RANGE_INVALID,
)
