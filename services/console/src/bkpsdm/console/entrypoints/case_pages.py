"""Officials' pages on routing: the inbox (soonest due first, time left in service hours) and the
case page (documents, recap, upload report, disposisi, full history, and a form for each action
routing offers the signed-in person now). Every action is routing's, with routing's rules."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bkpsdm.common.auth import Role
from bkpsdm.common.service_calendar import ServiceCalendar
from bkpsdm.console.adapters.services import IntakeApi, RoutingApi, ServiceRefused, UploaderApi
from bkpsdm.console.domain.actions import (
    CODE_FIELDS,
    DETAIL_LABELS,
    FIELDS,
    HIDDEN_DETAILS,
    HISTORY_LABELS,
    RECIPIENT_ROLES,
    REPORT_READERS,
    ActionForm,
    action_body,
    action_forms,
    next_holder_role,
    step_labels,
    upload_request,
)
from bkpsdm.console.domain.forms import FormErrors, form_errors
from bkpsdm.console.domain.navigation import PAGES, Page
from bkpsdm.console.domain.sla import by_due, time_left
from bkpsdm.console.entrypoints.web import IDEMPOTENCY_FIELD, Viewer, Web, parse_time, redirect

INBOX_PAGE: Page = next(p for p in PAGES if p.path == "/kotak-masuk")
_ID = re.compile(r"^[0-9a-fA-F-]{36}$")
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_FORM_KEY = re.compile(r"^([a-z][a-z-]{0,40})--([A-Z0-9-]{0,64})$")
_LIST_FIELDS = frozenset({"instructions", "recipients", "tembusan"})
T = TypeVar("T")


@dataclass
class Posted:
    """The form that was sent and refused: shown again with what was typed and why."""

    key: str
    typed: dict[str, str | list[str]]
    errors: FormErrors = field(default_factory=FormErrors)

    def text(self, key: str, name: str) -> str:
        value = self.typed.get(name, "") if key == self.key else ""
        return value if isinstance(value, str) else ""

    def chosen(self, key: str, name: str, value: str) -> bool:
        return key == self.key and value in self.typed.get(name, [])

    def problems(self, key: str, name: str) -> list[str]:
        return self.errors.fields.get(name, []) if key == self.key else []


async def _optional(call: Awaitable[T]) -> T | None:
    """A part of the page another service provides; the page still shows without it."""
    try:
        return await call
    except ServiceRefused:
        return None


def build_router(
    web: Web,
    routing: RoutingApi,
    intake: IntakeApi,
    uploaders: Mapping[str, UploaderApi],
    calendar: ServiceCalendar,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/kotak-masuk")
    async def inbox(request: Request) -> Response:
        viewer = await web.require(request, INBOX_PAGE)
        now = web.clock()
        items = by_due(await routing.inbox(viewer.token()), lambda i: parse_time(i.get("due_at")), now)
        rows = [
            (item, time_left(calendar, now, due) if (due := parse_time(item.get("due_at"))) else None)
            for item in items
        ]
        return web.render(
            request,
            "kotak_masuk.html",
            viewer,
            {"title": "Kotak Masuk", "rows": rows, "overdue": sum(1 for _, t in rows if t and t.overdue)},
        )

    async def case_page(
        request: Request, viewer: Viewer, case_id: str, posted: Posted | None = None, status_code: int = 200
    ) -> Response:
        token = viewer.token()
        case = await routing.case(token, case_id)
        forms = action_forms(case.get("allowed_actions") or [])
        uploader = uploaders.get(str(case.get("service_code")))
        wants_instructions = any("instructions" in f.fields for f in forms)
        request_id = upload_request(case)
        submission, workflow, instructions, report = await asyncio.gather(
            _optional(intake.submission(token, str(case["current_submission_id"]))),
            _optional(routing.workflow(token, str(case["service_code"]))),
            _optional(routing.instructions(token)) if wants_instructions else _none(),
            _optional(uploader.report(token, request_id))
            if viewer.has_any(REPORT_READERS) and uploader is not None and request_id is not None
            else _none(),
        )
        now = web.clock()
        due = parse_time(case.get("due_at"))
        return web.render(
            request,
            "perkara.html",
            viewer,
            {
                "title": case.get("title") or "Berkas",
                "case": case,
                "left": time_left(calendar, now, due) if due and case.get("status") != "SELESAI" else None,
                "submission": submission,
                "steps": step_labels(workflow),
                "forms": forms,
                "next_holder": {f.key: next_holder_role(workflow, f.to) for f in forms},
                "instructions": instructions or [],
                "recipient_roles": RECIPIENT_ROLES,
                "report": report,
                "history_labels": HISTORY_LABELS,
                "detail_labels": DETAIL_LABELS,
                "hidden_details": HIDDEN_DETAILS,
                "posted": posted,
                "done": request.query_params.get("selesai"),
                "is_applicant": viewer.has_any(frozenset({Role.PERANGKAT_DAERAH})),
                "subject": viewer.principal.subject,
            },
            status_code=status_code,
        )

    @router.get("/perkara/{case_id}")
    async def case_view(request: Request, case_id: str) -> Response:
        viewer = await web.require(request, INBOX_PAGE)
        if not _ID.match(case_id):
            return redirect("/kotak-masuk")
        return await case_page(request, viewer, case_id)

    @router.post("/perkara/{case_id}/tindakan/{form_key}")
    async def act(request: Request, case_id: str, form_key: str) -> Response:
        viewer = await web.require(request, INBOX_PAGE)
        form = await web.checked_form(request, viewer)
        matched = _FORM_KEY.match(form_key)
        if not _ID.match(case_id) or matched is None:
            return redirect("/kotak-masuk")
        action, to = matched.group(1), matched.group(2)
        chosen = ActionForm(action, action, to, to, FIELDS.get(action, ("note",)), frozenset())
        typed: dict[str, str | list[str]] = {
            name: [str(v) for v in form.getlist(name)] if name in _LIST_FIELDS else str(form.get(name) or "")
            for name in chosen.fields
        }
        key = str(form.get(IDEMPOTENCY_FIELD) or "")
        try:
            await routing.act(
                viewer.token(),
                case_id,
                action,
                action_body(chosen, typed, web.zone),
                key if _KEY.match(key) else str(uuid.uuid4()),
            )
        except ServiceRefused as refused:
            errors = form_errors(refused.refusal, chosen.fields)
            if not errors.fields and refused.refusal.code in CODE_FIELDS:
                errors.add(CODE_FIELDS[refused.refusal.code], refused.refusal.message)
            posted = Posted(form_key, typed, errors)
            return await case_page(request, viewer, case_id, posted, status_code=refused.refusal.status)
        return redirect(f"/perkara/{case_id}?selesai={action}")

    @router.post("/perkara/{case_id}/disposisi/{disposisi_id}/{what}")
    async def disposisi(request: Request, case_id: str, disposisi_id: str, what: str) -> Response:
        viewer = await web.require(request, INBOX_PAGE)
        form = await web.checked_form(request, viewer)
        if not (_ID.match(case_id) and _ID.match(disposisi_id)) or what not in ("baca", "tarik"):
            return redirect("/kotak-masuk")
        key = str(form.get(IDEMPOTENCY_FIELD) or "")
        if what == "baca":
            await routing.read_disposisi(viewer.token(), disposisi_id)
        else:
            await routing.withdraw_disposisi(
                viewer.token(), disposisi_id, key if _KEY.match(key) else str(uuid.uuid4())
            )
        return redirect(f"/perkara/{case_id}")

    @router.get("/laporan-unggah/{service_code}/{request_id}.{kind}")
    async def report_file(request: Request, service_code: str, request_id: str, kind: str) -> Response:
        viewer = await web.require(request, INBOX_PAGE)
        uploader = uploaders.get(service_code)
        if uploader is None or kind not in ("xlsx", "pdf") or not _KEY.match(request_id):
            return redirect("/kotak-masuk")
        file = await uploader.report_file(viewer.token(), request_id, kind)
        headers = {"Cache-Control": "no-store"}
        if file.disposition:
            headers["Content-Disposition"] = file.disposition
        return Response(file.content, media_type=file.media_type, headers=headers)

    return router


async def _none() -> None:
    return None
