"""SP4N-LAPOR! sync: pull the agency's new reports in, push follow-ups out. Idempotent both ways:
- a page of reports and the cursor that passes it commit in one transaction, and a report
  already here (its LAPOR id is unique) is skipped, so a crash or an outage mid-page re-reads
  the page without doubling anything;
- a follow-up is a row written with the change that causes it, sent with its id as the
  idempotency key until SP4N-LAPOR! acknowledges it, in order; an answer lost on the way
  makes a resend that SP4N-LAPOR! recognises.
While SP4N-LAPOR! is down a pass stops at the first failure and the next pass catches up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.errors import describe
from bkpsdm.common.logs import get_logger
from bkpsdm.complaints import service
from bkpsdm.complaints.adapters.lapor import LaporClient, LaporRefused, LaporReport, LaporUnavailable
from bkpsdm.complaints.domain.complaint import (
    CONTENT_MAX,
    NAME_MAX,
    TITLE_MAX,
    Channel,
    Classification,
    Reporter,
    check_reporter,
)
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork, NewComplaint

log = get_logger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CATEGORIES = {
    "PENGADUAN": Classification.PENGADUAN,
    "ASPIRASI": Classification.ASPIRASI,
    "PERMINTAAN_INFORMASI": Classification.PERMINTAAN_INFORMASI,
}


@dataclass
class _Progress:
    pulled: int = 0
    pushed: int = 0


@dataclass(frozen=True)
class SyncReport:
    pulled: int
    pushed: int
    pending_pushes: int
    error: str | None = None


def _fit(text: str, max_length: int, empty: str) -> str:
    """LAPOR's text as our rules take it: a report we could not store would block the sync, so
    control characters go, overlong text is cut (SP4N-LAPOR! keeps the original)."""
    clean = _CONTROL.sub(" ", text).strip()
    if not clean:
        return empty
    return clean if len(clean) <= max_length else clean[: max_length - 3].rstrip() + "..."


def _reporter(report: LaporReport) -> Reporter | None:
    if report.anonim or not report.reporter:
        return None
    given = report.reporter
    try:
        return check_reporter(given.get("name"), given.get("email"), given.get("phone"))
    except DomainError:  # LAPOR's contact data is theirs to check: keep what fits
        name = _fit(given.get("name") or "", NAME_MAX, "")
        return Reporter(name=name) if name else None


class LaporSync:
    def __init__(
        self,
        unit_of_work: Callable[[], ComplaintsUnitOfWork],
        ctx: ComplaintsContext,
        client: LaporClient,
        agency: str,
        *,
        page_size: int = 200,
        interval_s: float = 5.0,
    ) -> None:
        self._uow = unit_of_work
        self._ctx = ctx
        self._client = client
        self._agency = agency
        self._page_size = page_size
        self._interval_s = interval_s
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def sync_once(self) -> SyncReport:
        """One pass: pull until nothing is new, then push what is pending."""
        async with self._lock:  # the loop and a manual trigger never interleave
            done = _Progress()
            error: str | None = None
            try:
                await self._pull(done)
                await self._push(done)
            except (LaporUnavailable, LaporRefused) as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning("lapor.sync_interrupted", error=error, pulled=done.pulled, pushed=done.pushed)
            async with self._uow() as uow:
                pending = await uow.lapor.pending_count()
            if done.pulled or done.pushed:
                log.info("lapor.synced", pulled=done.pulled, pushed=done.pushed, pending_pushes=pending)
            return SyncReport(done.pulled, done.pushed, pending, error)

    async def _pull(self, done: _Progress) -> None:
        while True:
            async with self._uow() as uow:
                cursor = await uow.lapor.cursor(self._agency)
            page = await self._client.reports_after(cursor, self._page_size)
            if not page.reports:
                return
            async with self._uow() as uow:
                known = await uow.complaints.lapor_ids([r.report_id for r in page.reports])
                for report in page.reports:
                    if report.report_id in known:
                        continue
                    await service.receive(
                        uow,
                        self._ctx,
                        NewComplaint(
                            channel=Channel.SP4N_LAPOR,
                            title=_fit(report.title, TITLE_MAX, "Laporan SP4N-LAPOR!"),
                            content=_fit(report.content, CONTENT_MAX, "(laporan tanpa isi)"),
                            classification=_CATEGORIES.get(report.category, Classification.PENGADUAN),
                            anonim=report.anonim,
                            rahasia=report.rahasia,
                            reporter=_reporter(report),
                            external_id=report.report_id,
                            lapor_id=report.report_id,
                        ),
                        correlation_id=f"lapor-{report.report_id}",
                    )
                    done.pulled += 1
                await uow.lapor.move_cursor(self._agency, page.last_seq, self._ctx.clock.now())
            if not page.has_more:
                return

    async def _push(self, done: _Progress) -> None:
        while True:
            async with self._uow() as uow:
                pending = await uow.lapor.pending_pushes(50)
            if not pending:
                return
            for push in pending:
                try:
                    await self._client.post_followup(push.lapor_id, push.push_id, push.status, push.text)
                except LaporRefused as exc:
                    # Kept pending with its error for an operator; the ones behind it wait.
                    async with self._uow() as uow:
                        await uow.lapor.push_failed(push.push_id, describe(exc))
                    raise
                async with self._uow() as uow:
                    await uow.lapor.push_sent(push.push_id, self._ctx.clock.now())
                done.pushed += 1

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lapor-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._client.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.sync_once()
            except Exception as exc:  # the database may be away too: keep the loop alive
                log.warning("lapor.sync_failed", error=describe(exc))
            await asyncio.sleep(self._interval_s)
