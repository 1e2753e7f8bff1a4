"""What each reader gets back: officials' views (the reporter and the ticket only for the
complaints officer), the reporter's tracking view and the public list (never an identity)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from bkpsdm.common.auth.roles import Role
from bkpsdm.complaints.domain.complaint import (
    LIFECYCLE,
    Action,
    Complaint,
    HistoryEntry,
    allowed_actions,
    reporter_visible,
)


class ReporterView(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class AttachmentView(BaseModel):
    attachment_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    download_url: str


class HistoryView(BaseModel):
    at: datetime
    action: str
    status: str
    status_label: str
    actor_role: str | None
    note: str | None
    unit: str | None


class AllowedActionView(BaseModel):
    action: str
    label: str
    leads_to: str
    leads_to_label: str
    note_required: bool
    note_public: bool = Field(description="Catatannya dibaca pelapor (jawaban, alasan)")
    unit_required: bool = Field(description="Perlu unit kerja tujuan (disposisi)")


class ComplaintView(BaseModel):
    complaint_id: str
    ticket_code: str | None = Field(description="Kode tiket pelapor: hanya untuk pengelola pengaduan")
    channel: str
    channel_label: str
    classification: str
    title: str
    content: str
    status: str
    status_label: str
    anonim: bool
    rahasia: bool
    reporter: ReporterView | None = Field(description="Identitas pelapor: hanya untuk pengelola pengaduan")
    receipt_number: str | None
    reference: str | None = Field(description="Nomor surat, slip kotak saran atau faksimile")
    lapor_id: str | None
    assigned_unit: str | None
    received_at: datetime
    verify_due_at: datetime
    follow_up_due_at: datetime | None
    answered_at: datetime | None
    auto_close_at: datetime | None
    closed_at: datetime | None
    sla_breaches: list[str]
    attachments: list[AttachmentView]
    history: list[HistoryView]
    allowed_actions: list[AllowedActionView] = Field(
        description="Tindakan yang dapat diambil pembaca ini sekarang, menurut status dan perannya"
    )


class ComplaintSummary(BaseModel):
    complaint_id: str
    channel: str
    classification: str
    title: str
    status: str
    status_label: str
    assigned_unit: str | None
    received_at: datetime
    verify_due_at: datetime
    follow_up_due_at: datetime | None
    sla_breaches: list[str]


class PublicHistoryView(BaseModel):
    at: datetime
    action: str
    status: str
    status_label: str
    note: str | None = Field(description="Jawaban, alasan, atau tanggapan pelapor")


class PublicComplaintView(BaseModel):
    complaint_id: str
    channel_label: str
    classification: str
    title: str
    content: str
    status: str
    status_label: str
    received_at: datetime
    history: list[PublicHistoryView]


class TrackingView(PublicComplaintView):
    ticket_code: str
    anonim: bool
    rahasia: bool
    verify_due_at: datetime
    auto_close_at: datetime | None = Field(
        description="Selesai otomatis bila tidak ditanggapi sampai saat ini"
    )


class ReceiptView(BaseModel):
    ticket_code: str = Field(description="Simpan kode ini untuk melacak dan menanggapi pengaduan")
    status: str
    status_label: str
    received_at: datetime
    verify_due_at: datetime
    tracking_url: str


def _history(entries: Iterable[HistoryEntry]) -> list[HistoryView]:
    return [
        HistoryView(
            at=h.at,
            action=h.action.value,
            status=h.status.value,
            status_label=h.status.label,
            actor_role=h.actor_role,
            note=h.note,
            unit=h.unit,
        )
        for h in entries
    ]


def _allowed(action: Action) -> AllowedActionView:
    step = LIFECYCLE[action]
    return AllowedActionView(
        action=action.value,
        label=step.label,
        leads_to=step.leads_to.value,
        leads_to_label=step.leads_to.label,
        note_required=step.note_required,
        note_public=step.public_note,
        unit_required=step.unit_required,
    )


def complaint_view(
    c: Complaint, history: Iterable[HistoryEntry], roles: Iterable[Role], unit: str | None
) -> ComplaintView:
    roles = frozenset(roles)
    officer = reporter_visible(roles)
    reporter = c.reporter if officer else None
    return ComplaintView(
        complaint_id=c.complaint_id,
        ticket_code=c.ticket_code if officer else None,
        channel=c.channel.value,
        channel_label=c.channel.label,
        classification=c.classification.value,
        title=c.title,
        content=c.content,
        status=c.status.value,
        status_label=c.status.label,
        anonim=c.anonim,
        rahasia=c.rahasia,
        reporter=None if reporter is None else ReporterView(**vars(reporter)),
        receipt_number=c.receipt_number,
        reference=c.reference,
        lapor_id=c.lapor_id,
        assigned_unit=c.assigned_unit,
        received_at=c.received_at,
        verify_due_at=c.verify_due_at,
        follow_up_due_at=c.follow_up_due_at,
        answered_at=c.answered_at,
        auto_close_at=c.auto_close_at,
        closed_at=c.closed_at,
        sla_breaches=list(c.sla_breaches),
        attachments=[
            AttachmentView(
                attachment_id=a.attachment_id,
                filename=a.filename,
                media_type=a.media_type,
                size=a.size,
                sha256=a.sha256,
                download_url=f"/api/v1/complaints/{c.complaint_id}/attachments/{a.attachment_id}",
            )
            for a in c.attachments
        ],
        history=_history(history),
        allowed_actions=[_allowed(a) for a in allowed_actions(roles, unit, c)],
    )


def summary(c: Complaint) -> ComplaintSummary:
    return ComplaintSummary(
        complaint_id=c.complaint_id,
        channel=c.channel.value,
        classification=c.classification.value,
        title=c.title,
        status=c.status.value,
        status_label=c.status.label,
        assigned_unit=c.assigned_unit,
        received_at=c.received_at,
        verify_due_at=c.verify_due_at,
        follow_up_due_at=c.follow_up_due_at,
        sla_breaches=list(c.sla_breaches),
    )


def _public_history(entries: Iterable[HistoryEntry]) -> list[PublicHistoryView]:
    return [
        PublicHistoryView(
            at=h.at, action=h.action.value, status=h.status.value, status_label=h.status.label, note=h.note
        )
        for h in entries
    ]


def public_view(c: Complaint, public_history: Iterable[HistoryEntry]) -> PublicComplaintView:
    return PublicComplaintView(
        complaint_id=c.complaint_id,
        channel_label=c.channel.label,
        classification=c.classification.value,
        title=c.title,
        content=c.content,
        status=c.status.value,
        status_label=c.status.label,
        received_at=c.received_at,
        history=_public_history(public_history),
    )


def tracking_view(c: Complaint, public_history: Iterable[HistoryEntry]) -> TrackingView:
    return TrackingView(
        **public_view(c, public_history).model_dump(),
        ticket_code=c.ticket_code,
        anonim=c.anonim,
        rahasia=c.rahasia,
        verify_due_at=c.verify_due_at,
        auto_close_at=c.auto_close_at,
    )


def receipt_view(c: Complaint) -> ReceiptView:
    return ReceiptView(
        ticket_code=c.ticket_code,
        status=c.status.value,
        status_label=c.status.label,
        received_at=c.received_at,
        verify_due_at=c.verify_due_at,
        tracking_url=f"/api/v1/public/complaints/{c.ticket_code}",
    )
