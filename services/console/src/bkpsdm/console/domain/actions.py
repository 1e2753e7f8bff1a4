"""The case page's action forms: routing says which actions the signed-in person may take now
(`allowed_actions`); this module says what each form asks for, turns what was typed into the
body routing reads, and names the field a refusal concerns. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bkpsdm.common.auth import Role

# What each of routing's actions reads (routing's request bodies); an action routing adds later
# gets the plain form (a note), so it is offered without a console change.
FIELDS: Mapping[str, tuple[str, ...]] = {
    "return": ("reasons", "note"),
    "report": ("summary", "note"),
    "disposisi": ("instructions", "recipients", "tembusan", "due_at", "note"),
    "send-back": ("note",),
}
REQUIRED: Mapping[str, frozenset[str]] = {
    "return": frozenset({"reasons"}),
    "report": frozenset({"summary"}),
    "disposisi": frozenset({"instructions", "recipients"}),
    "send-back": frozenset({"note"}),
}
_TARGETED = frozenset({"forward", "send-back"})  # bodies that name the step they go to
_CAUTION = frozenset({"return", "send-back"})
# Routing's refusals that concern one field of the form.
CODE_FIELDS: Mapping[str, str] = {
    "INSTRUCTION_UNKNOWN": "instructions",
    "RECIPIENT_INVALID": "recipients",
    "RECIPIENT_REQUIRED": "recipients",
    "DEADLINE_PAST": "due_at",
    "TARGET_REQUIRED": "to",
    "TARGET_NOT_ALLOWED": "to",
}
# Who a disposisi can be addressed to: officials, never an applicant unit or a service.
RECIPIENT_ROLES = tuple(r for r in Role if r not in (Role.PERANGKAT_DAERAH, Role.INTERNAL_SERVICE))
# Who may read an upload report (bkpsdm.common.uploads.http READERS, people only).
REPORT_READERS = frozenset({Role.UNIT_PENGOLAH, Role.KEPALA_BIDANG, Role.KEPALA_BADAN, Role.PERANGKAT_DAERAH})

HISTORY_LABELS: Mapping[str, str] = {
    "opened": "Berkas dibuka",
    "started": "Berkas dimulai",
    "register": "Diagendakan",
    "forward": "Diteruskan",
    "paraf": "Diparaf",
    "disposisi": "Didisposisi",
    "return": "Dikembalikan kepada pemohon",
    "accept": "Dokumen sesuai: unggah diminta",
    "retry-upload": "Unggahan diulang",
    "report": "Laporan disampaikan",
    "send-back": "Dikembalikan ke proses sebelumnya",
    "complete": "Diselesaikan",
    "resubmitted": "Perbaikan dari pemohon diterima",
    "upload-completed": "Unggahan selesai",
    "upload-partially-completed": "Unggahan selesai sebagian",
    "upload-failed": "Unggahan gagal",
    "diagnosed": "Hasil diagnosis mesin diterima",
    "diagnosis-timed-out": "Diagnosis mesin tidak datang tepat waktu",
    "disposisi-withdrawn": "Disposisi ditarik",
    "sla-warning": "Peringatan batas waktu",
    "sla-breach": "Batas waktu terlewati",
    "escalated": "Dieskalasi",
}
DETAIL_LABELS: Mapping[str, str] = {
    "agenda_number": "Nomor agenda",
    "reasons": "Alasan",
    "instructions": "Instruksi",
    "recipients": "Penerima",
    "tembusan": "Tembusan",
    "summary": "Laporan",
    "due_at": "Batas waktu",
    "outcome": "Hasil",
    "rows_total": "Jumlah baris",
    "rows_stored": "Tersimpan",
    "rows_rejected": "Ditolak",
    "rows_failed": "Gagal",
    "submission_id": "Pengajuan",
    "attempt": "Percobaan ke",
    "receipt_number": "Nomor tanda terima",
    "adapter": "Adapter",
    "rules_version": "Aturan",
}
# Bookkeeping routing records that tells an official nothing the row does not already say.
HIDDEN_DETAILS = frozenset(
    {"agenda_seq", "agenda_year", "request_id", "visit", "round", "report_url", "disposisi_id"}
)
_UPLOAD_RESULTS = frozenset({"upload-completed", "upload-partially-completed", "upload-failed"})


@dataclass(frozen=True)
class ActionForm:
    action: str
    label: str
    to: str
    to_label: str
    fields: tuple[str, ...]
    required: frozenset[str]

    @property
    def key(self) -> str:
        """Tells two forms of one action apart (an action offered towards two steps)."""
        return f"{self.action}--{self.to}"

    @property
    def caution(self) -> bool:
        return self.action in _CAUTION


def action_forms(allowed: Sequence[Mapping[str, Any]]) -> list[ActionForm]:
    return [
        ActionForm(
            action=str(a["action"]),
            label=str(a.get("label") or a["action"]),
            to=str(a.get("to") or ""),
            to_label=str(a.get("to_label") or a.get("to") or ""),
            fields=FIELDS.get(str(a["action"]), ("note",)),
            required=REQUIRED.get(str(a["action"]), frozenset()),
        )
        for a in allowed
    ]


def action_body(form: ActionForm, typed: Mapping[str, str | list[str]], zone: ZoneInfo) -> dict[str, Any]:
    """Routing's body for the action from what was typed: blank fields left out, so routing's
    own rules (not the console's) decide what is missing."""

    def text(name: str) -> str:
        value = typed.get(name, "")
        return (value if isinstance(value, str) else " ".join(value)).strip()

    def chosen(name: str) -> list[str]:
        value = typed.get(name, [])
        return [v for v in ([value] if isinstance(value, str) else value) if v]

    body: dict[str, Any] = {}
    if form.action in _TARGETED and form.to:
        body["to"] = form.to
    if "note" in form.fields and text("note"):
        body["note"] = text("note")
    if "reasons" in form.fields:
        reasons = [line.strip() for line in text("reasons").splitlines() if line.strip()]
        if reasons:
            body["reasons"] = reasons
    if "summary" in form.fields and text("summary"):
        body["summary"] = text("summary")
    if "instructions" in form.fields:
        body["instructions"] = chosen("instructions")
    for name in ("recipients", "tembusan"):
        if name in form.fields:
            body[name] = [{"role": role} for role in chosen(name)]
    if "due_at" in form.fields and text("due_at"):
        body["due_at"] = local_deadline(text("due_at"), zone)
    return body


def local_deadline(value: str, zone: ZoneInfo) -> str:
    """A `datetime-local` value as an instant in the office's zone; anything else is passed on
    as typed, for routing to refuse in its own words."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def next_holder_role(workflow: Mapping[str, Any] | None, step_code: str) -> str | None:
    """The role holding `step_code` in the case's workflow: a disposisi towards it names them."""
    for step in (workflow or {}).get("steps", ()):
        if step.get("code") == step_code:
            holder = step.get("holder") or {}
            role = holder.get("role")
            return str(role) if role else None
    return None


def step_labels(workflow: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(s["code"]): str(s.get("label") or s["code"]) for s in (workflow or {}).get("steps", ())}


def upload_request(case: Mapping[str, Any]) -> str | None:
    """The upload whose report the case page shows: the one under way, else the latest answered
    (routing forgets the request id once its result arrived; the history keeps it)."""
    if case.get("upload_request_id"):
        return str(case["upload_request_id"])
    for entry in reversed(case.get("history") or []):
        request_id = (entry.get("details") or {}).get("request_id")
        if entry.get("action") in _UPLOAD_RESULTS and request_id:
            return str(request_id)
    return None
