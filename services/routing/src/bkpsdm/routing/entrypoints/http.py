"""Routing's HTTP API (officials' views). The skeleton exposes a case by submission id."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from bkpsdm.common.http import ApiError, ErrorCode
from bkpsdm.common.runtime import Database
from bkpsdm.routing import service

CASE_NOT_FOUND = ErrorCode("CASE_NOT_FOUND", "Berkas untuk pengajuan ini belum tercatat.", 404)


class CaseView(BaseModel):
    case_id: str
    submission_id: str
    service_code: str
    perangkat_daerah: str
    workflow_version: str
    opened_at: datetime


def build_router(db: Database) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/cases/by-submission/{submission_id}", response_model=CaseView)
    async def case_by_submission(submission_id: str) -> CaseView:
        try:
            case = await service.case_for_submission(db, submission_id)
        except service.CaseNotFound as exc:
            raise ApiError(CASE_NOT_FOUND) from exc
        return CaseView(**case.__dict__)

    return router
