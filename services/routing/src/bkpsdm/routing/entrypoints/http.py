"""Routing's HTTP API (officials' views). The skeleton exposes a case by submission id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from bkpsdm.common.http import error_responses
from bkpsdm.routing import service
from bkpsdm.routing.domain import errors
from bkpsdm.routing.service import RoutingUnitOfWork


class CaseView(BaseModel):
    case_id: str
    submission_id: str
    service_code: str
    perangkat_daerah: str
    workflow_version: str
    opened_at: datetime


def build_router(unit_of_work: Callable[[], RoutingUnitOfWork]) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get(
        "/cases/by-submission/{submission_id}",
        response_model=CaseView,
        responses=error_responses(errors.CASE_NOT_FOUND),
    )
    async def case_by_submission(submission_id: uuid.UUID) -> CaseView:
        case = await service.case_for_submission(unit_of_work(), str(submission_id))
        return CaseView(**case.__dict__)

    return router
