"""E-mail in: the agency's mail server hands mail for the complaints addresses to this service
over SMTP or LMTP (aiosmtpd, in the service's own event loop). A complaint is stored before the
server says 250; a mail we refuse gets a 5xx (the sending server bounces it), a failure on our
side a 4xx (it tries again later). Refusals are logged with their reason code only: a mail's
sender and text are the reporter's and never reach a log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.errors import describe
from bkpsdm.common.logs import get_logger, new_correlation_id
from bkpsdm.complaints import channels
from bkpsdm.complaints.adapters.mail import MailRefused, parse_complaint_mail
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork

log = get_logger(__name__)

# aiosmtpd logs every command line at INFO, MAIL FROM included: the reporter's address.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class ComplaintMailHandler:
    def __init__(
        self,
        unit_of_work: Callable[[], ComplaintsUnitOfWork],
        ctx: ComplaintsContext,
        addresses: list[str],
    ) -> None:
        self._uow = unit_of_work
        self._ctx = ctx
        self._addresses = {a.lower() for a in addresses}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self._addresses:
            return "550 5.1.1 Alamat ini tidak menerima pengaduan"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        correlation_id = new_correlation_id()
        try:
            mail = await asyncio.to_thread(parse_complaint_mail, raw, self._ctx.attachment_limits)
            outcome = await channels.receive_mail(self._uow(), self._ctx, mail, correlation_id)
        except MailRefused as refused:
            log.warning("mail.refused", reason=refused.code, size=len(raw), correlation_id=correlation_id)
            return refused.reply
        except DomainError as refused:
            log.warning(
                "mail.refused", reason=refused.error.code, size=len(raw), correlation_id=correlation_id
            )
            return f"550 5.6.0 Pengaduan tidak dapat dicatat: {refused.error.code}"
        except Exception as exc:  # our database or broker: the sending server keeps the mail and retries
            log.error("mail.failed", error=describe(exc), correlation_id=correlation_id)
            return "451 4.3.0 Gangguan sementara, silakan kirim ulang nanti"
        log.info(
            "mail.accepted",
            complaint_id=outcome.complaint.complaint_id,
            reply=outcome.reply,
            new=outcome.new,
            correlation_id=correlation_id,
        )
        return "250 2.0.0 Pengaduan diterima"


class MailServer:
    """The listening socket; `port` 0 picks a free one (read `bound_port` after `start`)."""

    def __init__(
        self,
        handler: ComplaintMailHandler,
        *,
        host: str,
        port: int,
        protocol: str,
        max_message_bytes: int,
    ) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._protocol = LMTP if protocol == "lmtp" else SMTP
        self._max = max_message_bytes
        self._server: asyncio.Server | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def factory() -> Any:
            return self._protocol(
                self._handler,
                data_size_limit=self._max,
                hostname="bkpsdm-pengaduan",
                ident="BKPSDM Pengaduan",
                timeout=60,
                loop=loop,
            )

        self._server = await loop.create_server(factory, host=self._host, port=self._port)
        self.bound_port = self._server.sockets[0].getsockname()[1]
        log.info("mail.listening", port=self.bound_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
