"""The complaints desk on the complaints service: the list with its SLA clocks, the officer's
entry of a complaint brought in person, by letter or by phone, and a complaint's page with the
lifecycle actions the person may take."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bkpsdm.common.service_calendar import ServiceCalendar
from bkpsdm.console.adapters.services import ComplaintsApi, ServiceRefused
from bkpsdm.console.domain.complaints import (
    ACTIONS,
    CHANNELS,
    CLASSIFICATIONS,
    DESK_CHANNELS,
    ENTRY_CODE_FIELDS,
    ENTRY_FIELDS,
    OFFICER,
    SEKRETARIAT,
    STATUSES,
    action_body,
    complaint_actions,
    entry_body,
)
from bkpsdm.console.domain.forms import FormErrors, form_errors
from bkpsdm.console.domain.navigation import PAGES, Page
from bkpsdm.console.domain.sla import time_left
from bkpsdm.console.entrypoints.web import Viewer, Web, parse_time, redirect

COMPLAINTS_PAGE: Page = next(p for p in PAGES if p.path == "/pengaduan")
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_ENTRY_TYPED = (
    "channel",
    "reference",
    "title",
    "content",
    "classification",
    "anonim",
    "rahasia",
    "receipt_number",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
)
_KNOWN_UNITS = ("BIDANG-PKA-PKK", "BIDANG-INFORMASI", SEKRETARIAT)


def build_router(web: Web, complaints: ComplaintsApi, calendar: ServiceCalendar) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def desk(
        request: Request,
        viewer: Viewer,
        *,
        typed: Mapping[str, str] | None = None,
        errors: FormErrors | None = None,
        status_code: int = 200,
    ) -> Response:
        status = request.query_params.get("status", "")
        found = await complaints.complaints(viewer.token(), status if status in STATUSES else None)
        now = web.clock()
        rows = []
        for c in found:
            due = parse_time(c.get("follow_up_due_at")) or parse_time(c.get("verify_due_at"))
            open_ = c.get("status") not in ("SELESAI", "BUKAN_WEWENANG", "DIARSIPKAN")
            rows.append((c, time_left(calendar, now, due) if due and open_ else None))
        return web.render(
            request,
            "pengaduan_daftar.html",
            viewer,
            {
                "title": "Pengaduan",
                "rows": rows,
                "status": status,
                "statuses": STATUSES,
                "is_officer": viewer.has_any(OFFICER),
                "channels": DESK_CHANNELS,
                "channel_labels": CHANNELS,
                "classifications": CLASSIFICATIONS,
                "typed": typed or {},
                "errors": errors or FormErrors(),
            },
            status_code=status_code,
        )

    @router.get("/pengaduan")
    async def complaint_list(request: Request) -> Response:
        viewer = await web.require(request, COMPLAINTS_PAGE)
        return await desk(request, viewer)

    @router.post("/pengaduan")
    async def record(request: Request) -> Response:
        viewer = await web.require(request, COMPLAINTS_PAGE)
        form = await web.checked_form(request, viewer)
        typed = {name: str(form.get(name) or "") for name in _ENTRY_TYPED}
        await form.close()
        try:
            recorded = await complaints.record(viewer.token(), entry_body(typed))
        except ServiceRefused as refused:
            errors = form_errors(refused.refusal, ENTRY_FIELDS | set(_ENTRY_TYPED))
            status = refused.refusal.status
            if not errors.fields and refused.refusal.code in ENTRY_CODE_FIELDS:
                errors.add(ENTRY_CODE_FIELDS[refused.refusal.code], refused.refusal.message)
                status = 422  # the form is shown again with the field to correct
            return await desk(request, viewer, typed=typed, errors=errors, status_code=status)
        return redirect(f"/pengaduan/{recorded['complaint_id']}?baru=1")

    async def complaint_page(
        request: Request,
        viewer: Viewer,
        complaint_id: str,
        *,
        posted: str | None = None,
        typed: Mapping[str, str] | None = None,
        errors: FormErrors | None = None,
        status_code: int = 200,
    ) -> Response:
        found: dict[str, Any] = await complaints.complaint(viewer.token(), complaint_id)
        now = web.clock()
        verify_due, follow_up_due = (
            parse_time(found.get("verify_due_at")),
            parse_time(found.get("follow_up_due_at")),
        )
        return web.render(
            request,
            "pengaduan.html",
            viewer,
            {
                "title": found.get("title") or "Pengaduan",
                "c": found,
                "verify_left": time_left(calendar, now, verify_due)
                if verify_due and found.get("status") in ("DITERIMA", "DITUNDA")
                else None,
                "follow_up_left": time_left(calendar, now, follow_up_due)
                if follow_up_due and found.get("status") in ("DIDISPOSISI", "TERVERIFIKASI")
                else None,
                "actions": complaint_actions(found, viewer.roles, viewer.unit),
                "classifications": CLASSIFICATIONS,
                "units": _KNOWN_UNITS,
                "posted": posted,
                "typed": typed or {},
                "errors": errors or FormErrors(),
                "just_recorded": request.query_params.get("baru") == "1",
            },
            status_code=status_code,
        )

    @router.get("/pengaduan/{complaint_id}")
    async def complaint(request: Request, complaint_id: str) -> Response:
        viewer = await web.require(request, COMPLAINTS_PAGE)
        if not _ID.match(complaint_id):
            return redirect("/pengaduan")
        return await complaint_page(request, viewer, complaint_id)

    @router.post("/pengaduan/{complaint_id}/tindakan/{code}")
    async def act(request: Request, complaint_id: str, code: str) -> Response:
        viewer = await web.require(request, COMPLAINTS_PAGE)
        form = await web.checked_form(request, viewer)
        typed = {name: str(form.get(name) or "") for name in ("note", "unit", "classification")}
        await form.close()
        action = next((a for a in ACTIONS if a.code == code), None)
        if action is None or not _ID.match(complaint_id):
            return redirect("/pengaduan")
        try:
            await complaints.act(viewer.token(), complaint_id, action_body(action, typed))
        except ServiceRefused as refused:
            errors = form_errors(refused.refusal, {"note", "unit", "classification"})
            if not errors.fields and refused.refusal.code in ("NOTE_REQUIRED", "TEXT_EMPTY", "TEXT_TOO_LONG"):
                errors.add("note", refused.refusal.message)
            if not errors.fields and refused.refusal.code == "UNIT_REQUIRED":
                errors.add("unit", refused.refusal.message)
            return await complaint_page(
                request,
                viewer,
                complaint_id,
                posted=code,
                typed=typed,
                errors=errors,
                status_code=refused.refusal.status,
            )
        return redirect(f"/pengaduan/{complaint_id}")

    @router.get("/pengaduan/{complaint_id}/lampiran/{attachment_id}")
    async def attachment(request: Request, complaint_id: str, attachment_id: str) -> Response:
        viewer = await web.require(request, COMPLAINTS_PAGE)
        if not (_ID.match(complaint_id) and _ID.match(attachment_id)):
            return redirect("/pengaduan")
        file = await complaints.attachment(viewer.token(), complaint_id, attachment_id)
        headers = {"Cache-Control": "no-store", "Content-Disposition": file.disposition or "attachment"}
        return Response(file.content, media_type=file.media_type, headers=headers)

    return router
