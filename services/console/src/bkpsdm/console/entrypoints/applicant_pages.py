"""The applicant unit's pages: its submissions, the form that submits one (or resubmits a returned
one) to intake with its documents, and a submission's status and timeline."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from bkpsdm.common.logs import get_logger
from bkpsdm.console import service
from bkpsdm.console.adapters.services import IntakeApi, RoutingApi, ServiceRefused
from bkpsdm.console.domain.forms import FormErrors, SubmissionFormSpec, form_errors, submission_form
from bkpsdm.console.domain.navigation import PAGES, Page
from bkpsdm.console.entrypoints.web import IDEMPOTENCY_FIELD, Viewer, Web, redirect
from bkpsdm.console.service import SubmissionEntry

log = get_logger(__name__)

SUBMISSIONS_PAGE: Page = next(p for p in PAGES if p.path == "/pengajuan")
_ID = re.compile(r"^[0-9a-fA-F-]{36}$")
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_LISTED = 20  # a unit's most recent submissions, each looked up at intake for its status
RETURNED = "DIKEMBALIKAN"


def build_router(web: Web, intake: IntakeApi, routing: RoutingApi) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def spec_for(service_code: str) -> SubmissionFormSpec | None:
        try:
            standard = await intake.standard(service_code)
        except ServiceRefused as refused:
            if refused.refusal.status == 404:
                return None
            raise
        return submission_form(await intake.openapi(), standard)

    async def from_console_list(viewer: Viewer) -> list[dict[str, Any]]:
        """An intake without the list route: what this unit sent through the console, each
        looked up at intake for its status."""
        assert viewer.unit is not None
        entries = await service.unit_submissions(web.unit_of_work(), viewer.unit, _LISTED)
        token = viewer.token()

        async def current(entry: SubmissionEntry) -> dict[str, Any]:
            row: dict[str, Any] = {
                "id": entry.submission_id,
                "receipt_number": entry.receipt_number,
                "service_code": entry.service_code,
                "title": entry.title,
            }
            try:
                found = await intake.submission(token, entry.submission_id)
            except ServiceRefused:
                return row
            return row | {k: found.get(k) for k in ("status", "due_at", "replaced_by")}

        return list(await asyncio.gather(*(current(e) for e in entries)))

    @router.get("/pengajuan")
    async def submissions(request: Request, halaman: str = "") -> Response:
        viewer = await web.require(request, SUBMISSIONS_PAGE)
        next_cursor = None
        try:
            # Intake scopes an applicant's token to its own unit.
            page = await intake.submissions(viewer.token(), limit=_LISTED, cursor=halaman[:64] or None)
            rows = [r for r in page.get("items", []) if isinstance(r, dict)]
            next_cursor = page.get("next_cursor")
        except ServiceRefused as refused:
            if refused.refusal.status not in (404, 405):
                raise
            rows = await from_console_list(viewer)
        catalogue = sorted(await intake.catalogue(), key=lambda s: s["name"])
        return web.render(
            request,
            "pengajuan_daftar.html",
            viewer,
            {
                "title": "Pengajuan",
                "rows": rows,
                "next_cursor": next_cursor,
                "first_page": not halaman,
                "services": catalogue,
                "lookup_error": None,
                "number": "",
            },
        )

    @router.get("/pengajuan/cari")
    async def by_receipt(request: Request, nomor: str = "") -> Response:
        viewer = await web.require(request, SUBMISSIONS_PAGE)
        number = nomor.strip()[:64]
        try:
            found = await intake.by_receipt(viewer.token(), number)
        except ServiceRefused as refused:
            return web.render(
                request,
                "pengajuan_daftar.html",
                viewer,
                {
                    "title": "Pengajuan",
                    "rows": [],
                    "first_page": True,
                    "services": sorted(await intake.catalogue(), key=lambda s: s["name"]),
                    "lookup_error": refused.refusal.message,
                    "number": number,
                },
                status_code=refused.refusal.status,
            )
        return redirect(f"/pengajuan/{found['submission_id']}")

    def form_page(
        request: Request,
        viewer: Viewer,
        spec: SubmissionFormSpec,
        *,
        values: Mapping[str, str],
        replaces: Mapping[str, Any] | None,
        errors: FormErrors | None = None,
        files_chosen: bool = False,
        status_code: int = 200,
    ) -> Response:
        return web.render(
            request,
            "pengajuan_form.html",
            viewer,
            {
                "title": f"Ajukan: {spec.service_name}",
                "spec": spec,
                "values": values,
                "replaces": replaces,
                "errors": errors or FormErrors(),
                "files_chosen": files_chosen,
            },
            status_code=status_code,
        )

    async def returned_submission(viewer: Viewer, submission_id: str) -> dict[str, Any] | None:
        if not _ID.match(submission_id):
            return None
        try:
            found = await intake.submission(viewer.token(), submission_id)
        except ServiceRefused as refused:
            if refused.refusal.status == 404:
                return None
            raise
        return found if found["status"] == RETURNED and not found.get("replaced_by") else None

    @router.get("/pengajuan/baru/{service_code}")
    async def new_submission(request: Request, service_code: str, ganti: str = "") -> Response:
        viewer = await web.require(request, SUBMISSIONS_PAGE)
        spec = await spec_for(service_code)
        if spec is None:
            return web.render(
                request,
                "galat.html",
                viewer,
                {
                    "title": "Layanan tidak dapat diajukan",
                    "message": "Layanan ini tidak menerima pengajuan dari Perangkat Daerah melalui konsol.",
                    "code": None,
                    "back": "/pengajuan",
                },
                status_code=404,
            )
        replaces = await returned_submission(viewer, ganti) if ganti else None
        values: dict[str, str] = {}
        if replaces is not None:
            # A resubmission starts from what was sent: the applicant corrects, not retypes.
            values = {"title": replaces["title"], **dict(replaces.get("request") or {})}
            if replaces.get("period"):
                values["period"] = replaces["period"]
        return form_page(request, viewer, spec, values=values, replaces=replaces)

    @router.post("/pengajuan/baru/{service_code}")
    async def submit(request: Request, service_code: str) -> Response:
        viewer = await web.require(request, SUBMISSIONS_PAGE)
        form = await web.checked_form(request, viewer)
        try:
            spec = await spec_for(service_code)
            if spec is None:
                return redirect("/pengajuan")
            values = {f.name: str(form.get(f.name) or "") for f in spec.text_fields}
            files = await _uploads(form, spec)
            replaces_id = str(form.get("replaces") or "")
            key = str(form.get(IDEMPOTENCY_FIELD) or "")
        finally:
            await form.close()
        fields = {k: v for k, v in values.items() if v.strip()}
        fields["service_code"] = spec.service_code
        replaces = None
        if replaces_id:
            replaces = await returned_submission(viewer, replaces_id)
            fields["replaces"] = replaces_id
        try:
            receipt = await intake.submit(
                viewer.token(), fields, files, key if _KEY.match(key) else str(uuid.uuid4())
            )
        except ServiceRefused as refused:
            return form_page(
                request,
                viewer,
                spec,
                values=values,
                replaces=replaces or ({"submission_id": replaces_id} if replaces_id else None),
                errors=form_errors(refused.refusal, spec.field_names),
                files_chosen=bool(files),
                status_code=refused.refusal.status,
            )
        assert viewer.unit is not None
        await service.remember_submission(
            web.unit_of_work(),
            SubmissionEntry(
                submission_id=receipt["submission_id"],
                unit=viewer.unit,
                receipt_number=receipt.get("receipt_number"),
                service_code=receipt["service_code"],
                title=receipt["title"],
                submitted_at=datetime.fromisoformat(receipt["received_at"]),
                replaces=receipt.get("replaces"),
            ),
        )
        return redirect(f"/pengajuan/{receipt['submission_id']}?baru=1")

    @router.get("/pengajuan/{submission_id}")
    async def submission(request: Request, submission_id: str, baru: str = "") -> Response:
        viewer = await web.require(request, SUBMISSIONS_PAGE)
        found = await intake.submission(viewer.token(), submission_id) if _ID.match(submission_id) else None
        if found is None:
            return redirect("/pengajuan")
        spec = await spec_for(found["service_code"])
        labels = {f.name: f.label for f in spec.text_fields} if spec else {}
        case = None
        if found.get("case_id"):
            try:
                case = await routing.case_of_submission(viewer.token(), submission_id)
            except ServiceRefused:
                case = None  # the page still shows intake's status and timeline
        return web.render(
            request,
            "pengajuan_detail.html",
            viewer,
            {
                "title": f"Pengajuan {found.get('receipt_number') or ''}".strip(),
                "s": found,
                "just_sent": baru == "1",
                "labels": labels,
                "case": case,
                "can_resubmit": found["status"] == RETURNED and not found.get("replaced_by"),
            },
        )

    @router.get("/berkas/{submission_id}/{document_id}")
    async def document(request: Request, submission_id: str, document_id: str) -> Response:
        viewer = await web.viewer(request)
        if viewer is None:
            return redirect(f"/masuk?lanjut={quote(request.url.path)}")
        file = await intake.document(viewer.token(), submission_id, document_id)
        headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        if file.disposition:
            headers["Content-Disposition"] = file.disposition
        return Response(file.content, media_type=file.media_type, headers=headers)

    return router


async def _uploads(form: FormData, spec: SubmissionFormSpec) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = []
    for f in spec.file_fields:
        value = form.get(f.name)
        if isinstance(value, UploadFile) and value.filename:
            content = await value.read()
            files.append(
                (f.name, (value.filename, content, value.content_type or "application/octet-stream"))
            )
    return files
