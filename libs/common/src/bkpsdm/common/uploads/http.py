"""The uploaders' HTTP API: uploads, their report (JSON, XLSX, PDF) and the import file.

Readers: the processing unit, the Kepala Bidang, the Kepala Badan, internal services, and the
applicant unit for its own uploads (another unit's upload is answered 404, as if absent).
The import file is for the processing unit, who uploads it to BKN's application by hand.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime.
import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response

from bkpsdm.common.auth import (
    AUTH_UNAVAILABLE,
    FORBIDDEN_ROLE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    Principal,
    Role,
    unit_scope,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import ErrorCode, error_responses
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.uploads import errors
from bkpsdm.common.uploads.adapters import BknTarget
from bkpsdm.common.uploads.export_file import export_header, export_rows, to_csv, to_xlsx
from bkpsdm.common.uploads.report import ReportView, UploadView, build_report
from bkpsdm.common.uploads.report_pdf import render_pdf
from bkpsdm.common.uploads.report_xlsx import render_xlsx
from bkpsdm.common.uploads.repository import StoredRow, Upload, UploadsUnitOfWork

READERS = (
    Role.UNIT_PENGOLAH,
    Role.KEPALA_BIDANG,
    Role.KEPALA_BADAN,
    Role.PERANGKAT_DAERAH,
    Role.INTERNAL_SERVICE,
)
SIGNED_IN: tuple[ErrorCode, ...] = (
    TOKEN_MISSING,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    FORBIDDEN_ROLE,
    AUTH_UNAVAILABLE,
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IDENTIFIER = r"^[A-Za-z0-9._:-]{1,128}$"

RequestId = Annotated[str, Path(pattern=IDENTIFIER, description="Id permintaan unggah (dari routing)")]


def _file(media_type: str) -> dict[str, object]:
    return {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
            "X-Content-SHA256": hashlib.sha256(content).hexdigest(),
        },
    )


def build_router(
    runtime: ServiceRuntime,
    unit_of_work: Callable[[], UploadsUnitOfWork],
    *,
    report_title: str,
    detail_columns: Sequence[tuple[str, str]],
    targets: Mapping[str, BknTarget],
    unor_ids: Mapping[str, str],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])
    reader = runtime.require(*READERS)
    operator = runtime.require(Role.UNIT_PENGOLAH)
    found = error_responses(errors.UPLOAD_NOT_FOUND, *SIGNED_IN)
    slug = report_title.lower().replace(" ", "-")

    async def visible(uow: UploadsUnitOfWork, request_id: str, principal: Principal) -> Upload:
        upload = await uow.uploads.get(request_id)
        scope = unit_scope(principal)
        if upload is None or (scope is not None and upload.perangkat_daerah != scope):
            raise DomainError(errors.UPLOAD_NOT_FOUND)
        return upload

    async def report_of(
        request_id: str, principal: Principal, *, all_rows: bool
    ) -> tuple[ReportView, list[StoredRow]]:
        async with unit_of_work() as uow:
            upload = await visible(uow, request_id, principal)
            report = await build_report(uow.uploads, upload, report_title)
            rows = await uow.uploads.rows(request_id, problems_only=False) if all_rows else []
        return report, rows

    @router.get("", response_model=list[UploadView], responses=error_responses(*SIGNED_IN))
    async def uploads(
        principal: Annotated[Principal, Depends(reader)],
        submission_id: Annotated[
            str | None, Query(pattern=IDENTIFIER, description="Hanya unggahan pengajuan ini")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[UploadView]:
        async with unit_of_work() as uow:
            found_uploads = await uow.uploads.find(
                submission_id=submission_id, unit=unit_scope(principal), limit=limit
            )
        return [UploadView.of(u) for u in found_uploads]

    @router.get("/{request_id}", response_model=UploadView, responses=found)
    async def upload(request_id: RequestId, principal: Annotated[Principal, Depends(reader)]) -> UploadView:
        async with unit_of_work() as uow:
            return UploadView.of(await visible(uow, request_id, principal))

    @router.get("/{request_id}/report", response_model=ReportView, responses=found)
    async def report(request_id: RequestId, principal: Annotated[Principal, Depends(reader)]) -> ReportView:
        view, _ = await report_of(request_id, principal, all_rows=False)
        return view

    @router.get(
        "/{request_id}/report.xlsx",
        response_class=Response,
        responses={200: {"description": "Laporan sebagai buku kerja XLSX", **_file(XLSX)}, **found},
    )
    async def report_xlsx(
        request_id: RequestId, principal: Annotated[Principal, Depends(reader)]
    ) -> Response:
        view, rows = await report_of(request_id, principal, all_rows=True)
        content = await asyncio.to_thread(render_xlsx, view, rows, detail_columns)
        return _download(content, XLSX, f"{slug}-{request_id}.xlsx")

    @router.get(
        "/{request_id}/report.pdf",
        response_class=Response,
        responses={200: {"description": "Laporan sebagai PDF", **_file("application/pdf")}, **found},
    )
    async def report_pdf(request_id: RequestId, principal: Annotated[Principal, Depends(reader)]) -> Response:
        view, _ = await report_of(request_id, principal, all_rows=False)
        content = await asyncio.to_thread(render_pdf, view)
        return _download(content, "application/pdf", f"{slug}-{request_id}.pdf")

    async def export_of(request_id: str, principal: Principal) -> tuple[list[str], list[list[object]]]:
        async with unit_of_work() as uow:
            await visible(uow, request_id, principal)
            rows = await uow.uploads.export_rows(request_id)
        if not rows:
            raise DomainError(errors.EXPORT_EMPTY)
        return export_header(targets), list(export_rows(targets, rows, unor_ids))

    exported = error_responses(errors.UPLOAD_NOT_FOUND, errors.EXPORT_EMPTY, *SIGNED_IN)

    @router.get(
        "/{request_id}/export.xlsx",
        response_class=Response,
        responses={200: {"description": "Berkas impor BKN (XLSX)", **_file(XLSX)}, **exported},
    )
    async def export_xlsx(
        request_id: RequestId, principal: Annotated[Principal, Depends(operator)]
    ) -> Response:
        header, rows = await export_of(request_id, principal)
        content = await asyncio.to_thread(to_xlsx, header, rows)
        return _download(content, XLSX, f"impor-bkn-{request_id}.xlsx")

    @router.get(
        "/{request_id}/export.csv",
        response_class=Response,
        responses={200: {"description": "Berkas impor BKN (CSV)", **_file("text/csv")}, **exported},
    )
    async def export_csv(
        request_id: RequestId, principal: Annotated[Principal, Depends(operator)]
    ) -> Response:
        header, rows = await export_of(request_id, principal)
        return _download(to_csv(header, rows), "text/csv", f"impor-bkn-{request_id}.csv")

    return router
