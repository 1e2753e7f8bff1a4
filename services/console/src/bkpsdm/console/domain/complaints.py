"""The complaints desk: which lifecycle actions a person may take on a complaint now, and the
officer's entry form. Complaints' API does not list the allowed actions (routing's does), so this
table mirrors its lifecycle (services/complaints domain LIFECYCLE and may_take); the API still
decides, and a refusal is shown as it said it. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bkpsdm.common.auth import Role

SEKRETARIAT = "SEKRETARIAT"  # the Sekretaris Badan keeps a complaint for the secretariat
OFFICER = frozenset({Role.PENGELOLA_PENGADUAN})
UNIT_OFFICIALS = frozenset({Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH})
READERS = OFFICER | UNIT_OFFICIALS | {Role.SEKRETARIS}

# Channels the officer records by hand (the others arrive by themselves).
DESK_CHANNELS = {
    "TATAP_MUKA": "Tatap muka",
    "KOTAK_SARAN": "Kotak saran",
    "SURAT": "Surat",
    "TELEPON": "Telepon",
    "FAKSIMILE": "Faksimile",
}
CHANNELS = {
    **DESK_CHANNELS,
    "WEBSITE": "Situs web",
    "EMAIL": "Surel",
    "SMS": "SMS",
    "SP4N_LAPOR": "SP4N-LAPOR!",
}
CLASSIFICATIONS = {
    "PENGADUAN": "Pengaduan",
    "ASPIRASI": "Aspirasi",
    "PERMINTAAN_INFORMASI": "Permintaan informasi",
    "WHISTLE_BLOWING": "Pengaduan pelanggaran (whistle-blowing)",
}
STATUSES = {
    "DITERIMA": "Diterima",
    "TERVERIFIKASI": "Terverifikasi",
    "DITUNDA": "Ditunda",
    "DIDISPOSISI": "Didisposisi",
    "DITINDAKLANJUTI": "Ditindaklanjuti",
    "DIJAWAB": "Dijawab",
    "SELESAI": "Selesai",
    "BUKAN_WEWENANG": "Bukan wewenang",
    "DIARSIPKAN": "Diarsipkan",
}
# Complaints' refusals of an entry that concern one field of the form.
ENTRY_CODE_FIELDS = {
    "REFERENCE_REQUIRED": "reference",
    "CONTACT_INVALID": "reporter",
    "RECEIPT_NOT_FOUND": "receipt_number",
}
ENTRY_FIELDS = frozenset(
    {
        "channel",
        "reference",
        "title",
        "content",
        "classification",
        "anonim",
        "rahasia",
        "reporter",
        "receipt_number",
    }
)


@dataclass(frozen=True)
class ComplaintAction:
    code: str
    label: str
    starts: frozenset[str]
    roles: frozenset[Role]
    note: str | None  # what the note is, when the action takes one
    note_required: bool = False
    asks_unit: bool = False
    asks_classification: bool = False


ACTIONS = (
    ComplaintAction(
        "VERIFY", "Verifikasi", frozenset({"DITERIMA", "DITUNDA"}), OFFICER, None, asks_classification=True
    ),
    ComplaintAction(
        "POSTPONE", "Tunda", frozenset({"DITERIMA"}), OFFICER, "Alasan penundaan", note_required=True
    ),
    ComplaintAction(
        "NOT_AUTHORITY",
        "Bukan wewenang BKPSDM",
        frozenset({"DITERIMA", "DITUNDA"}),
        OFFICER,
        "Alasan (dibaca pelapor)",
        note_required=True,
    ),
    ComplaintAction(
        "ARCHIVE", "Arsipkan", frozenset({"DITERIMA", "DITUNDA"}), OFFICER, "Alasan", note_required=True
    ),
    ComplaintAction(
        "ASSIGN",
        "Disposisi ke unit",
        frozenset({"TERVERIFIKASI", "DIDISPOSISI"}),
        frozenset({Role.SEKRETARIS}),
        "Catatan",
        asks_unit=True,
    ),
    ComplaintAction(
        "FOLLOW_UP",
        "Catat tindak lanjut",
        frozenset({"DIDISPOSISI", "DITINDAKLANJUTI"}),
        UNIT_OFFICIALS | {Role.SEKRETARIS},
        "Tindak lanjut",
        note_required=True,
    ),
    ComplaintAction(
        "ANSWER",
        "Jawab pelapor",
        frozenset({"DITINDAKLANJUTI"}),
        OFFICER,
        "Jawaban (dibaca pelapor)",
        note_required=True,
    ),
    ComplaintAction("CLOSE", "Selesaikan", frozenset({"DIJAWAB"}), OFFICER, None),
)


def complaint_actions(
    complaint: Mapping[str, Any], roles: Collection[Role], unit: str | None
) -> list[ComplaintAction]:
    """The actions the complaint's status allows that this person may take (a unit official
    follows up only what is disposed to their unit; the Sekretaris only what he kept)."""
    status, assigned = complaint.get("status"), complaint.get("assigned_unit")
    found = []
    for action in ACTIONS:
        held = set(roles) & action.roles
        if status not in action.starts or not held:
            continue
        if action.code == "FOLLOW_UP" and not (
            (held & UNIT_OFFICIALS and unit is not None and unit == assigned)
            or (Role.SEKRETARIS in held and assigned == SEKRETARIAT)
        ):
            continue
        found.append(action)
    return found


def action_body(action: ComplaintAction, typed: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action.code}
    note = typed.get("note", "").strip()
    if action.note is not None and note:
        body["note"] = note
    if action.asks_unit and typed.get("unit", "").strip():
        body["unit"] = typed["unit"].strip()
    if action.asks_classification and typed.get("classification"):
        body["classification"] = typed["classification"]
    return body


def entry_body(typed: Mapping[str, str]) -> dict[str, Any]:
    """The officer's entry as complaints' API reads it; blank fields left out."""
    body: dict[str, Any] = {
        "channel": typed.get("channel", ""),
        "content": typed.get("content", ""),
        "classification": typed.get("classification") or "PENGADUAN",
        "anonim": typed.get("anonim") == "1",
        "rahasia": typed.get("rahasia") == "1",
    }
    for name in ("reference", "title", "receipt_number"):
        if typed.get(name, "").strip():
            body[name] = typed[name].strip()
    reporter = {
        k: typed[f"reporter_{k}"].strip()
        for k in ("name", "email", "phone")
        if typed.get(f"reporter_{k}", "").strip()
    }
    if reporter:
        body["reporter"] = reporter
    return body


def semester(day: date) -> str:
    """The IKM period a day falls in ("2026-S1" January-June, "2026-S2" July-December)."""
    return f"{day.year}-S{1 if day.month <= 6 else 2}"
