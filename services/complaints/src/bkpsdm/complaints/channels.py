"""The public channels' use cases: the website's form (one-time token), e-mail and SMS, each a
new complaint or, when it quotes a known ticket code, the reporter's reply to it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.complaints import service
from bkpsdm.complaints.adapters.mail import ComplaintMail
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.complaint import Channel, Complaint, Reporter, check_reporter, ticket_in
from bkpsdm.complaints.domain.sms import SmsPart, assemble, check_part
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork, NewComplaint, Received

log = get_logger(__name__)


async def receive_web_form(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    form_nonce: str,
    new: NewComplaint,
    correlation_id: str | None,
) -> Received:
    """The token is spent with the complaint it brought: a refused form can be corrected and sent
    again with the same token, an accepted one cannot be replayed."""
    async with uow:
        if not await uow.channels.use_form_token(form_nonce, ctx.clock.now()):
            raise DomainError(errors.FORM_REPLAYED)
        return await service.receive(uow, ctx, new, correlation_id)


@dataclass(frozen=True)
class MailOutcome:
    complaint: Complaint
    reply: bool  # the mail answered an existing complaint (its ticket code in the subject)
    new: bool


async def receive_mail(
    uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, mail: ComplaintMail, correlation_id: str | None
) -> MailOutcome:
    async with uow:
        ticket = ticket_in(mail.subject)
        if ticket is not None and await uow.complaints.by_ticket(ticket) is not None:
            replied = await service.reply(uow, ctx, ticket, mail.text, Channel.EMAIL, correlation_id)
            return MailOutcome(replied, reply=True, new=True)
        reporter = check_reporter(mail.sender_name, mail.sender_email, None)
        received = await service.receive(
            uow,
            ctx,
            NewComplaint(
                channel=Channel.EMAIL,
                title=mail.subject,
                content=mail.text,
                reporter=reporter,
                external_id=mail.message_key,
                attachments=mail.attachments,
            ),
            correlation_id,
        )
        return MailOutcome(received.complaint, reply=False, new=received.new)


class SmsState(StrEnum):
    WAITING_FOR_PARTS = "WAITING_FOR_PARTS"
    RECEIVED = "RECEIVED"
    REPLY_RECORDED = "REPLY_RECORDED"


@dataclass(frozen=True)
class SmsOutcome:
    state: SmsState
    parts_received: int
    total: int
    ticket_code: str | None = None


async def receive_sms_part(
    uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, part: SmsPart, correlation_id: str | None
) -> SmsOutcome:
    """One part of an SMS (a single SMS is part 1 of 1). Parts may come in any order and more
    than once; the message becomes a complaint (or a reply) when its last part arrives."""
    check_part(part)
    sender = check_reporter(None, None, part.sender)
    assert sender is not None
    assert sender.phone is not None
    part = SmsPart(part.message_id, sender.phone, part.reference, part.part, part.total, part.text)
    async with uow:
        await uow.channels.lock_sms(part.sender, part.reference)
        seen = await uow.channels.sms_part(part.message_id)
        if seen is not None:
            earlier, complaint_id, state = seen
            if (earlier.part, earlier.total, earlier.text, earlier.sender) != (
                part.part,
                part.total,
                part.text,
                part.sender,
            ):
                raise DomainError(errors.SMS_PART_CONFLICT)
            return await _sms_status(uow, part, complaint_id, state)
        waiting = await uow.channels.open_sms_parts(part.sender, part.reference)
        if any(p.total != part.total for p in waiting) or any(p.part == part.part for p in waiting):
            raise DomainError(errors.SMS_PART_CONFLICT)
        await uow.channels.add_sms_part(part, ctx.clock.now())
        texts = {p.part: p.text for p in (*waiting, part)}
        whole = assemble(part.total, texts)
        if whole is None:
            return SmsOutcome(SmsState.WAITING_FOR_PARTS, len(texts), part.total)
        outcome = await _sms_message(uow, ctx, sender, part, whole, correlation_id)
        assert outcome.complaint_id is not None
        await uow.channels.close_sms_parts(part.sender, part.reference, outcome.complaint_id, outcome.state)
        return SmsOutcome(outcome.state, part.total, part.total, outcome.ticket_code)


@dataclass(frozen=True)
class _Handled:
    state: SmsState
    complaint_id: str | None
    ticket_code: str | None


async def _sms_message(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    sender: Reporter,
    part: SmsPart,
    text: str,
    correlation_id: str | None,
) -> _Handled:
    ticket = ticket_in(text.strip()[:20])
    if ticket is not None and text.strip().upper().startswith(ticket):
        found = await uow.complaints.by_ticket(ticket)
        if found is not None:
            rest = text.strip()[len(ticket) :].strip(" :,.-\n")
            await service.reply(uow, ctx, ticket, rest or text, Channel.SMS, correlation_id)
            return _Handled(SmsState.REPLY_RECORDED, found.complaint_id, ticket)
    received = await service.receive(
        uow,
        ctx,
        NewComplaint(
            channel=Channel.SMS,
            title=None,
            content=text,
            reporter=sender,
            external_id=f"sms:{part.message_id}",  # the part that completed it: unique per message
        ),
        correlation_id,
    )
    return _Handled(SmsState.RECEIVED, received.complaint.complaint_id, received.complaint.ticket_code)


async def _sms_status(
    uow: ComplaintsUnitOfWork, part: SmsPart, complaint_id: str | None, state: str | None
) -> SmsOutcome:
    """A part delivered again: the same answer as the first time."""
    if complaint_id is None or state is None:
        waiting = await uow.channels.open_sms_parts(part.sender, part.reference)
        return SmsOutcome(SmsState.WAITING_FOR_PARTS, len(waiting), part.total)
    found = await uow.complaints.get(complaint_id)
    assert found is not None
    return SmsOutcome(SmsState(state), part.total, part.total, found.ticket_code)
