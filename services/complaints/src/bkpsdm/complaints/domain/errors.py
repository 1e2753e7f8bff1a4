"""Complaints' error catalogue: stable codes, their Indonesian messages, the kind of problem.

Messages with `{placeholders}` are filled by `refuse` (the filled values also go in `details`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bkpsdm.common.domain_errors import DomainError, ErrorCatalogue, ErrorSpec, Problem

# ---- the satisfaction survey (IKM) ----
IKM_ELEMENT_MISSING = ErrorSpec("IKM_ELEMENT_MISSING", "Jawaban untuk unsur {element} belum diisi.")
IKM_ELEMENT_UNKNOWN = ErrorSpec(
    "IKM_ELEMENT_UNKNOWN", "Unsur {element} tidak termasuk unsur survei kepuasan masyarakat."
)
IKM_ANSWER_OUT_OF_RANGE = ErrorSpec(
    "IKM_ANSWER_OUT_OF_RANGE", "Jawaban untuk unsur {element} harus berupa angka bulat {low} sampai {high}."
)
IKM_PERIOD_INVALID = ErrorSpec(
    "IKM_PERIOD_INVALID", "Periode survei harus berbentuk TAHUN-S1 atau TAHUN-S2, misalnya 2026-S1."
)
IKM_NO_RESPONSES = ErrorSpec(
    "IKM_NO_RESPONSES", "Belum ada jawaban survei untuk layanan dan periode ini.", Problem.NOT_FOUND
)
SURVEY_SERVICE_UNKNOWN = ErrorSpec(
    "SURVEY_SERVICE_UNKNOWN", "Layanan ini tidak dikenal untuk survei kepuasan.", Problem.NOT_FOUND
)
SURVEY_NOT_AVAILABLE = ErrorSpec(
    "SURVEY_NOT_AVAILABLE",
    "Nomor tanda terima tidak ditemukan untuk layanan ini, atau produk layanannya belum diserahkan.",
    Problem.NOT_FOUND,
)
SURVEY_ALREADY_ANSWERED = ErrorSpec(
    "SURVEY_ALREADY_ANSWERED",
    "Survei untuk produk layanan ini sudah diisi; setiap produk hanya dinilai satu kali.",
    Problem.CONFLICT,
)
DELIVERY_RECEIPT_UNKNOWN = ErrorSpec(
    "DELIVERY_RECEIPT_UNKNOWN", "Nomor tanda terima tidak dikenal.", Problem.NOT_FOUND
)

# ---- complaints: content ----
TEXT_EMPTY = ErrorSpec("TEXT_EMPTY", "Isian {field} wajib diisi.")
TEXT_TOO_LONG = ErrorSpec("TEXT_TOO_LONG", "Isian {field} melebihi {max_length} karakter.")
TEXT_INVALID = ErrorSpec("TEXT_INVALID", "Isian {field} berisi karakter kendali yang tidak diizinkan.")
CONTACT_INVALID = ErrorSpec("CONTACT_INVALID", "Data kontak pelapor tidak sah: {field}.")
REFERENCE_REQUIRED = ErrorSpec(
    "REFERENCE_REQUIRED", "Nomor atau rujukan dokumen ({channel}) wajib diisi untuk saluran ini."
)
CHANNEL_NOT_FOR_OFFICER = ErrorSpec(
    "CHANNEL_NOT_FOR_OFFICER",
    "Saluran ini tidak dicatat oleh petugas: gunakan tatap muka, kotak saran, surat, telepon atau faksimile.",
)
# 404 like DELIVERY_RECEIPT_UNKNOWN: what the request refers to is not there.
RECEIPT_NOT_FOUND = ErrorSpec(
    "RECEIPT_NOT_FOUND", "Nomor tanda terima pengajuan yang dirujuk tidak ditemukan.", Problem.NOT_FOUND
)

# ---- complaints: attachments ----
ATTACHMENT_EMPTY = ErrorSpec("ATTACHMENT_EMPTY", "Lampiran {filename} kosong.")
ATTACHMENT_TOO_LARGE = ErrorSpec(
    "ATTACHMENT_TOO_LARGE", "Lampiran {filename} melebihi {max_bytes} byte.", Problem.TOO_LARGE
)
ATTACHMENT_TYPE_NOT_ALLOWED = ErrorSpec(
    "ATTACHMENT_TYPE_NOT_ALLOWED",
    "Jenis lampiran {filename} tidak diterima; hanya PDF, PNG atau JPEG (isi berkas yang menentukan).",
    Problem.UNSUPPORTED_TYPE,
)
TOO_MANY_ATTACHMENTS = ErrorSpec("TOO_MANY_ATTACHMENTS", "Lampiran paling banyak {max_count} berkas.")
ATTACHMENT_NOT_FOUND = ErrorSpec("ATTACHMENT_NOT_FOUND", "Lampiran tidak ditemukan.", Problem.NOT_FOUND)

# ---- complaints: lifecycle ----
COMPLAINT_NOT_FOUND = ErrorSpec("COMPLAINT_NOT_FOUND", "Pengaduan tidak ditemukan.", Problem.NOT_FOUND)
TICKET_NOT_FOUND = ErrorSpec(
    "TICKET_NOT_FOUND", "Kode tiket tidak dikenal; periksa kembali kode yang Anda terima.", Problem.NOT_FOUND
)
ACTION_NOT_ALLOWED = ErrorSpec(
    "ACTION_NOT_ALLOWED",
    "Tindakan {action} tidak dapat dilakukan pada pengaduan berstatus {status}.",
    Problem.CONFLICT,
)
ACTION_FORBIDDEN = ErrorSpec(
    "ACTION_FORBIDDEN", "Peran Anda tidak berwenang melakukan tindakan {action}.", Problem.FORBIDDEN
)
NOTE_REQUIRED = ErrorSpec("NOTE_REQUIRED", "Tindakan {action} memerlukan catatan atau alasan.")
UNIT_REQUIRED = ErrorSpec("UNIT_REQUIRED", "Disposisi memerlukan unit kerja tujuan.")
COMPLAINT_CLOSED = ErrorSpec(
    "COMPLAINT_CLOSED",
    "Pengaduan ini sudah selesai atau ditutup; tanggapan tidak dapat ditambahkan.",
    Problem.CONFLICT,
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

# ---- public statistics ----
STATISTICS_PERIOD_INVALID = ErrorSpec(
    "STATISTICS_PERIOD_INVALID", "Periode statistik tidak sah: tahun mulai 2000 sampai tahun depan."
)

# ---- public channels ----
# The form token is the public form's anti-forgery proof: without a good one the post is
# refused as a forged form is (403), whatever it carries.
FORM_TOKEN_INVALID = ErrorSpec(
    "FORM_TOKEN_INVALID",
    "Token formulir tidak sah; muat ulang formulir pengaduan lalu kirim kembali.",
    Problem.FORBIDDEN,
)
FORM_TOKEN_EXPIRED = ErrorSpec(
    "FORM_TOKEN_EXPIRED",
    "Token formulir sudah kedaluwarsa; muat ulang formulir pengaduan lalu kirim kembali.",
    Problem.FORBIDDEN,
)
FORM_REPLAYED = ErrorSpec(
    "FORM_REPLAYED",
    "Formulir ini sudah pernah dikirim; pengaduan yang sama tidak dicatat dua kali.",
    Problem.CONFLICT,
)
SMS_SIGNATURE_INVALID = ErrorSpec(
    "SMS_SIGNATURE_INVALID",
    "Tanda tangan gateway SMS tidak sah atau sudah kedaluwarsa.",
    Problem.UNAUTHENTICATED,
)
SMS_PART_INVALID = ErrorSpec(
    "SMS_PART_INVALID", "Nomor bagian SMS harus antara 1 dan jumlah bagiannya ({total})."
)
SMS_PART_CONFLICT = ErrorSpec(
    "SMS_PART_CONFLICT",
    "Bagian SMS ini bertentangan dengan bagian yang sudah diterima (jumlah bagian atau isi berbeda).",
    Problem.CONFLICT,
)

CATALOGUE = ErrorCatalogue(
    IKM_ELEMENT_MISSING,
    IKM_ELEMENT_UNKNOWN,
    IKM_ANSWER_OUT_OF_RANGE,
    IKM_PERIOD_INVALID,
    IKM_NO_RESPONSES,
    SURVEY_SERVICE_UNKNOWN,
    SURVEY_NOT_AVAILABLE,
    SURVEY_ALREADY_ANSWERED,
    DELIVERY_RECEIPT_UNKNOWN,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    TEXT_INVALID,
    CONTACT_INVALID,
    REFERENCE_REQUIRED,
    CHANNEL_NOT_FOR_OFFICER,
    RECEIPT_NOT_FOUND,
    ATTACHMENT_EMPTY,
    ATTACHMENT_TOO_LARGE,
    ATTACHMENT_TYPE_NOT_ALLOWED,
    TOO_MANY_ATTACHMENTS,
    ATTACHMENT_NOT_FOUND,
    COMPLAINT_NOT_FOUND,
    TICKET_NOT_FOUND,
    ACTION_NOT_ALLOWED,
    ACTION_FORBIDDEN,
    NOTE_REQUIRED,
    UNIT_REQUIRED,
    COMPLAINT_CLOSED,
    CLIENT_KEY_REUSED,
    CLIENT_KEY_MISMATCH,
    STATISTICS_PERIOD_INVALID,
    FORM_TOKEN_INVALID,
    FORM_TOKEN_EXPIRED,
    FORM_REPLAYED,
    SMS_SIGNATURE_INVALID,
    SMS_PART_INVALID,
    SMS_PART_CONFLICT,
)


def refuse(spec: ErrorSpec, **params: Any) -> DomainError:
    """The error with its message filled in; the values are also its details."""
    filled = replace(spec, message=spec.message.format(**params)) if params else spec
    return DomainError(filled, params or None)
