"""Complaints' use cases: receive from any channel, move through the lifecycle, follow by ticket,
and the SLA clocks' firing. Each runs in one unit of work that changes state, writes its
history row, adds its event and (re)arms its deadlines together."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.contracts import (
    COMPLAINTS,
    ComplaintReceived,
    ComplaintReplied,
    ComplaintSlaBreached,
    ComplaintSlaWarning,
    ComplaintStatusChanged,
)
from bkpsdm.common.deadlines import Deadline
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.common.service_calendar import ServiceCalendar
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.complaints.adapters.repository import (
    ChannelRepository,
    Clocks,
    ComplaintRepository,
    LaporRepository,
    SurveyRepository,
)
from bkpsdm.complaints.clock import ServiceClock
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.attachments import Attachment, AttachmentLimits, check_attachments
from bkpsdm.complaints.domain.complaint import (
    CONTENT_MAX,
    LIFECYCLE,
    NOTE_MAX,
    TITLE_MAX,
    Action,
    AttachmentRef,
    Channel,
    Classification,
    Complaint,
    HistoryEntry,
    Reporter,
    Status,
    can_read,
    clean_text,
    may_take,
    new_ticket_code,
    public_history,
    step_for,
    title_from,
)
from bkpsdm.complaints.domain.sla import AUTO_CLOSE, ComplaintRules, SlaClock, auto_close_at, plan_clock
from bkpsdm.complaints.domain.statistics import Volumes, volumes, year_range

log = get_logger(__name__)

# While a clock runs, these are the statuses the complaint may be in; a deadline that fires for
# a complaint past them is stale (its cancel raced the firing) and does nothing.
CLOCK_STATUSES = {
    SlaClock.VERIFIKASI: frozenset({Status.DITERIMA, Status.TERVERIFIKASI}),
    SlaClock.TINDAK_LANJUT: frozenset({Status.DIDISPOSISI}),
}
_CLOCK_LABELS = {
    SlaClock.VERIFIKASI: "verifikasi dan penerusan",
    SlaClock.TINDAK_LANJUT: "tindak lanjut unit",
}
# What SP4N-LAPOR! is told when one of its reports moves here (status, text for the reporter).
LAPOR_PUSHES: dict[Action, tuple[str, str | None]] = {
    Action.VERIFY: ("PROSES", "Laporan Anda telah diverifikasi oleh BKPSDM dan sedang diteruskan."),
    Action.NOT_AUTHORITY: ("BUKAN_WEWENANG", None),
    Action.ARCHIVE: ("ARSIP", "Laporan diarsipkan oleh BKPSDM."),
    Action.ANSWER: ("TINDAK_LANJUT", None),
    Action.CLOSE: ("SELESAI", "Laporan dinyatakan selesai."),
    Action.AUTO_CLOSE: ("SELESAI", "Laporan selesai: tidak ada tanggapan pelapor dalam 10 hari kerja."),
}


class ComplaintsUnitOfWork(UnitOfWork, Protocol):
    @property
    def complaints(self) -> ComplaintRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def lapor(self) -> LaporRepository: ...
    @property
    def survey(self) -> SurveyRepository: ...
    @property
    def clocks(self) -> Clocks: ...


@dataclass(frozen=True)
class ComplaintsContext:
    """What the use cases need besides storage: rules in force, calendar, clock, limits."""

    rules: ComplaintRules
    calendar: ServiceCalendar
    clock: ServiceClock
    attachment_limits: AttachmentLimits = field(default_factory=AttachmentLimits)


@dataclass(frozen=True)
class Actor:
    roles: frozenset[Role]
    subject: str
    unit: str | None = None


@dataclass(frozen=True)
class NewComplaint:
    channel: Channel
    title: str | None
    content: str
    classification: Classification = Classification.PENGADUAN
    anonim: bool = False
    rahasia: bool = False
    reporter: Reporter | None = None
    receipt_number: str | None = None
    reference: str | None = None
    external_id: str | None = None
    lapor_id: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Received:
    complaint: Complaint
    new: bool  # False: the channel delivered it before (same external id); this is the first


def checked(new: NewComplaint) -> NewComplaint:
    """Title and content cleaned; refused when empty, too long or with control characters."""
    content = clean_text(new.content, "isi", CONTENT_MAX)
    assert content is not None
    title = clean_text(new.title, "judul", TITLE_MAX, required=False)
    return replace(new, content=content, title=title or title_from(content))


async def receive(
    uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, new: NewComplaint, correlation_id: str | None
) -> Received:
    """Record a complaint from any channel (inside the caller's open unit of work)."""
    new = checked(new)
    if new.receipt_number is not None and await uow.survey.by_receipt(new.receipt_number) is None:
        raise errors.refuse(errors.RECEIPT_NOT_FOUND)
    now = ctx.clock.now()
    plan = plan_clock(ctx.calendar, ctx.rules, SlaClock.VERIFIKASI, now)
    complaint = Complaint(
        complaint_id=str(uuid.uuid4()),
        ticket_code=new_ticket_code(),
        channel=new.channel,
        classification=new.classification,
        title=new.title or "",
        content=new.content,
        status=Status.DITERIMA,
        received_at=now,
        verify_due_at=plan.due_at,
        anonim=new.anonim,
        rahasia=new.rahasia,
        reporter=new.reporter,
        receipt_number=new.receipt_number,
        reference=new.reference,
        external_id=new.external_id,
        lapor_id=new.lapor_id,
        attachments=tuple(
            AttachmentRef(str(uuid.uuid4()), a.filename, a.media_type, len(a.data), a.sha256)
            for a in new.attachments
        ),
    )
    if not await uow.complaints.add(complaint, new.attachments, correlation_id):
        # The channel delivered it before (the same e-mail or LAPOR report): the first one stands.
        first = (
            await uow.complaints.by_external(new.channel, new.external_id)
            if new.external_id is not None
            else None
        )
        if first is None:
            raise RuntimeError("complaint insert conflicted without an earlier delivery")
        return Received(first, new=False)
    await uow.complaints.add_history(
        complaint.complaint_id, HistoryEntry(now, Action.RECEIVE, Status.DITERIMA, note=None)
    )
    await uow.clocks.schedule(complaint.complaint_id, SlaClock.VERIFIKASI.warning_kind, plan.warning_at)
    await uow.clocks.schedule(complaint.complaint_id, SlaClock.VERIFIKASI.breach_kind, plan.due_at)
    await uow.outbox.add(
        COMPLAINTS,
        ComplaintReceived(
            complaint_id=complaint.complaint_id,
            channel=complaint.channel.value,
            classification=complaint.classification.value,
            anonim=complaint.anonim,
            rahasia=complaint.rahasia,
            receipt_number=complaint.receipt_number,
            lapor_id=complaint.lapor_id,
            received_at=now,
            verify_due_at=plan.due_at,
        ),
        correlation_id=correlation_id,
    )
    log.info(
        "complaint.received",
        complaint_id=complaint.complaint_id,
        channel=complaint.channel.value,
        classification=complaint.classification.value,
        attachments=len(new.attachments),
    )
    return Received(complaint, new=True)


async def receive_complaint(
    uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, new: NewComplaint, correlation_id: str | None
) -> Received:
    async with uow:
        return await receive(uow, ctx, new, correlation_id)


# ---- officials' actions ----


@dataclass(frozen=True)
class ActionRequest:
    action: Action
    note: str | None = None
    unit: str | None = None
    classification: Classification | None = None  # the officer may re-classify when verifying

    def fingerprint(self, complaint_id: str) -> str:
        content = {
            "complaint_id": complaint_id,
            "action": self.action.value,
            "note": self.note,
            "unit": self.unit,
            "classification": self.classification.value if self.classification else None,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Acted:
    complaint: Complaint
    replayed: bool  # the same client key and request again: nothing was done this time


async def act(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    complaint_id: str,
    request: ActionRequest,
    actor: Actor,
    correlation_id: str | None,
    client_key: str | None = None,
) -> Acted:
    """An official's action, once per client key: the same key and request again is answered
    as done (a double click, a retry after a lost answer); the same key for anything else is
    refused. A refused action keeps no key, so it can be corrected and sent again."""
    async with uow:
        fingerprint = request.fingerprint(complaint_id)
        action = request.action
        if client_key is not None and not await uow.complaints.claim_key(
            actor.subject, client_key, complaint_id, action.value, fingerprint, ctx.clock.now()
        ):
            if await uow.complaints.stored_key(actor.subject, client_key) != (
                complaint_id,
                action.value,
                fingerprint,
            ):
                raise DomainError(errors.CLIENT_KEY_REUSED)
            done = await uow.complaints.get(complaint_id)
            if done is None or not can_read(actor.roles, actor.unit, done):
                raise DomainError(errors.COMPLAINT_NOT_FOUND)
            log.info("complaint.retry_answered", complaint_id=complaint_id, action=action.value)
            return Acted(done, replayed=True)
        found = await uow.complaints.get(complaint_id, for_update=True)
        if found is None or not can_read(actor.roles, actor.unit, found):
            raise DomainError(errors.COMPLAINT_NOT_FOUND)
        if not may_take(action, actor.roles, actor.unit, found):
            raise errors.refuse(errors.ACTION_FORBIDDEN, action=action.value)
        step = step_for(action, found)
        note = clean_text(request.note, "catatan", NOTE_MAX, required=False)
        if step.note_required and note is None:
            raise errors.refuse(errors.NOTE_REQUIRED, action=action.value)
        if step.unit_required and not request.unit:
            raise DomainError(errors.UNIT_REQUIRED)
        actor_role = _acting_role(action, actor)
        moved = await _move(uow, ctx, found, action, actor_role, note, request, correlation_id)
        return Acted(moved, replayed=False)


def _acting_role(action: Action, actor: Actor) -> str:
    held = sorted(r.value for r in actor.roles & LIFECYCLE[action].roles)
    return held[0] if held else ""


async def _move(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    complaint: Complaint,
    action: Action,
    actor_role: str | None,
    note: str | None,
    request: ActionRequest | None,
    correlation_id: str | None,
) -> Complaint:
    """Apply `action` (already allowed) with its clocks, history row, event and LAPOR push."""
    now = ctx.clock.now()
    step = step_for(action, complaint)
    c = replace(complaint, status=step.leads_to)
    cid = c.complaint_id
    verify_kinds = (SlaClock.VERIFIKASI.warning_kind, SlaClock.VERIFIKASI.breach_kind)
    follow_up_kinds = (SlaClock.TINDAK_LANJUT.warning_kind, SlaClock.TINDAK_LANJUT.breach_kind)
    if action is Action.VERIFY:
        if request is not None and request.classification is not None:
            c = replace(c, classification=request.classification)
        if complaint.status is Status.DITUNDA:
            remaining = timedelta(seconds=complaint.paused_verify_s or 0)
            plan = plan_clock(ctx.calendar, ctx.rules, SlaClock.VERIFIKASI, now, remaining)
            c = replace(c, verify_due_at=plan.due_at, paused_verify_s=None)
            await uow.clocks.schedule(cid, SlaClock.VERIFIKASI.warning_kind, plan.warning_at)
            await uow.clocks.schedule(cid, SlaClock.VERIFIKASI.breach_kind, plan.due_at)
    elif action is Action.POSTPONE:
        left = ctx.calendar.service_time_between(now, complaint.verify_due_at)
        c = replace(c, paused_verify_s=left.total_seconds())
        await uow.clocks.cancel(cid, *verify_kinds)
    elif action is Action.ASSIGN:
        assert request is not None
        assert request.unit is not None
        c = replace(c, assigned_unit=request.unit)
        await uow.clocks.cancel(cid, *verify_kinds)
        if complaint.follow_up_due_at is None:  # a redirected disposition keeps the running clock
            plan = plan_clock(ctx.calendar, ctx.rules, SlaClock.TINDAK_LANJUT, now)
            c = replace(c, follow_up_due_at=plan.due_at)
            await uow.clocks.schedule(cid, SlaClock.TINDAK_LANJUT.warning_kind, plan.warning_at)
            await uow.clocks.schedule(cid, SlaClock.TINDAK_LANJUT.breach_kind, plan.due_at)
    elif action is Action.FOLLOW_UP:
        await uow.clocks.cancel(cid, *follow_up_kinds)
    elif action is Action.ANSWER:
        closes_at = auto_close_at(ctx.calendar, ctx.rules, now)
        c = replace(c, answered_at=now, auto_close_at=closes_at)
        await uow.clocks.schedule(cid, AUTO_CLOSE, closes_at)
    elif action is Action.REPLY:
        c = replace(c, auto_close_at=None)
        await uow.clocks.cancel(cid, AUTO_CLOSE)
    if c.status.final:
        c = replace(c, closed_at=now)
        await uow.clocks.cancel(cid)
    await uow.complaints.save(c, now)
    await uow.complaints.add_history(
        cid,
        HistoryEntry(
            now,
            action,
            c.status,
            actor_role,
            note,
            unit=request.unit if request is not None and action is Action.ASSIGN else None,
            public=step.public_note,
        ),
    )
    if action is not Action.REPLY:
        await uow.outbox.add(
            COMPLAINTS,
            ComplaintStatusChanged(
                complaint_id=cid,
                status=c.status.value,
                previous_status=complaint.status.value,
                action=action.value,
                actor_role=actor_role,
                assigned_unit=c.assigned_unit,
                due_at=_running_due(c),
                changed_at=now,
            ),
            correlation_id=correlation_id,
        )
    push = LAPOR_PUSHES.get(action)
    if push is not None and c.lapor_id is not None:
        status, text = push
        await uow.lapor.add_push(cid, c.lapor_id, status, text or note or status, now)
    log.info("complaint.moved", complaint_id=cid, action=action.value, status=c.status.value)
    return c


def _running_due(c: Complaint) -> datetime | None:
    if c.status in CLOCK_STATUSES[SlaClock.VERIFIKASI]:
        return c.verify_due_at
    if c.status in CLOCK_STATUSES[SlaClock.TINDAK_LANJUT]:
        return c.follow_up_due_at
    if c.status is Status.DIJAWAB:
        return c.auto_close_at
    return None


# ---- the reporter ----


async def reply(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    ticket_code: str,
    text: str,
    channel: Channel,
    correlation_id: str | None,
) -> Complaint:
    """The reporter's answer, by ticket code (inside the caller's open unit of work)."""
    found = await uow.complaints.by_ticket(ticket_code, for_update=True)
    if found is None:
        raise DomainError(errors.TICKET_NOT_FOUND)
    if found.status.final:
        raise DomainError(errors.COMPLAINT_CLOSED)
    note = clean_text(text, "tanggapan", NOTE_MAX)
    now = ctx.clock.now()
    if found.status is Status.DIJAWAB:
        updated = await _move(uow, ctx, found, Action.REPLY, None, note, None, correlation_id)
    else:
        updated = found
        await uow.complaints.add_history(
            found.complaint_id, HistoryEntry(now, Action.REPLY, found.status, None, note, public=True)
        )
    await uow.outbox.add(
        COMPLAINTS,
        ComplaintReplied(
            complaint_id=found.complaint_id,
            channel=channel.value,
            status=updated.status.value,
            replied_at=now,
        ),
        correlation_id=correlation_id,
    )
    log.info("complaint.replied", complaint_id=found.complaint_id, channel=channel.value)
    return updated


async def reply_by_ticket(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    ticket_code: str,
    text: str,
    channel: Channel,
    correlation_id: str | None,
) -> Complaint:
    async with uow:
        return await reply(uow, ctx, ticket_code, text, channel, correlation_id)


async def track(uow: ComplaintsUnitOfWork, ticket_code: str) -> tuple[Complaint, list[HistoryEntry]]:
    async with uow:
        found = await uow.complaints.by_ticket(ticket_code)
        if found is None:
            raise DomainError(errors.TICKET_NOT_FOUND)
        return found, public_history(await uow.complaints.history(found.complaint_id))


# ---- reading ----


async def get_complaint(
    uow: ComplaintsUnitOfWork, complaint_id: str, actor: Actor
) -> tuple[Complaint, list[HistoryEntry]]:
    async with uow:
        found = await uow.complaints.get(complaint_id)
        if found is None or not can_read(actor.roles, actor.unit, found):
            raise DomainError(errors.COMPLAINT_NOT_FOUND)
        return found, await uow.complaints.history(found.complaint_id)


async def list_complaints(
    uow: ComplaintsUnitOfWork,
    actor: Actor,
    *,
    status: Status | None,
    channel: Channel | None,
    limit: int,
    offset: int,
) -> list[Complaint]:
    """Officer and Sekretaris: every complaint; a unit official: those disposed to the unit."""
    unit_only = not (actor.roles & {Role.PENGELOLA_PENGADUAN, Role.SEKRETARIS})
    if unit_only and actor.unit is None:
        return []
    async with uow:
        return await uow.complaints.search(
            status=status.value if status else None,
            channel=channel.value if channel else None,
            unit=actor.unit if unit_only else None,
            public_only=False,
            limit=limit,
            offset=offset,
        )


async def list_public(
    uow: ComplaintsUnitOfWork, *, limit: int, offset: int
) -> list[tuple[Complaint, list[HistoryEntry]]]:
    """What the public may read: complaints that are not rahasia, with their public history."""
    async with uow:
        found = await uow.complaints.search(
            status=None, channel=None, unit=None, public_only=True, limit=limit, offset=offset
        )
        return [(c, public_history(await uow.complaints.history(c.complaint_id))) for c in found]


async def complaint_volumes(uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, year: int) -> Volumes:
    """The complaints received in the year, counted per month and per status (counts only)."""
    zone = ctx.calendar.zone
    start, end = year_range(year, zone, ctx.clock.now().astimezone(zone).date())
    async with uow:
        return volumes(await uow.complaints.volumes(start, end, zone.key))


async def get_attachment(
    uow: ComplaintsUnitOfWork, complaint_id: str, attachment_id: str, actor: Actor
) -> tuple[AttachmentRef, bytes]:
    async with uow:
        found = await uow.complaints.get(complaint_id)
        if found is None or not can_read(actor.roles, actor.unit, found):
            raise DomainError(errors.COMPLAINT_NOT_FOUND)
        attachment = await uow.complaints.attachment(complaint_id, attachment_id)
    if attachment is None:
        raise DomainError(errors.ATTACHMENT_NOT_FOUND)
    return attachment


# ---- the clocks ----


async def on_deadline(uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, deadline: Deadline) -> None:
    """A deadline fired (inside the firer's transaction): warn, record a breach, or close."""
    complaint = await uow.complaints.get(deadline.aggregate_id, for_update=True)
    if complaint is None:
        return
    now = ctx.clock.now()
    if deadline.kind == AUTO_CLOSE:
        if complaint.status is Status.DIJAWAB:
            await _move(uow, ctx, complaint, Action.AUTO_CLOSE, None, None, None, None)
        return
    clock_name, _, what = deadline.kind.partition(":")
    clock = SlaClock(clock_name)
    if complaint.status not in CLOCK_STATUSES[clock]:
        log.info("complaint.deadline_stale", complaint_id=complaint.complaint_id, kind=deadline.kind)
        return
    due_at = complaint.verify_due_at if clock is SlaClock.VERIFIKASI else complaint.follow_up_due_at
    assert due_at is not None
    breach = what == "BREACH"
    if breach:
        await uow.complaints.save(
            replace(complaint, sla_breaches=(*complaint.sla_breaches, clock.value)), now
        )
        event: ComplaintSlaWarning | ComplaintSlaBreached = ComplaintSlaBreached(
            complaint_id=complaint.complaint_id,
            clock=clock.value,
            status=complaint.status.value,
            assigned_unit=complaint.assigned_unit,
            due_at=due_at,
            breached_at=now,
        )
    else:
        event = ComplaintSlaWarning(
            complaint_id=complaint.complaint_id,
            clock=clock.value,
            status=complaint.status.value,
            due_at=due_at,
            observed_at=now,
        )
    await uow.complaints.add_history(
        complaint.complaint_id,
        HistoryEntry(
            now,
            Action.SLA_BREACH if breach else Action.SLA_WARNING,
            complaint.status,
            None,
            f"{'Lewat batas waktu' if breach else 'Mendekati batas waktu'} {_CLOCK_LABELS[clock]}:"
            f" {due_at.astimezone(ctx.calendar.zone):%d-%m-%Y %H:%M %Z}",
            public=False,
        ),
    )
    await uow.outbox.add(COMPLAINTS, event, correlation_id=None)
    log.info(
        "complaint.sla_breached" if breach else "complaint.sla_warning",
        complaint_id=complaint.complaint_id,
        clock=clock.value,
    )


def attachments_of(
    files: Sequence[tuple[str | None, bytes]], ctx: ComplaintsContext
) -> tuple[Attachment, ...]:
    return tuple(check_attachments(list(files), ctx.attachment_limits))
