"""Intake's HTTP API for applicants and the admin desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field

from bkpsdm.common.http import PlainText, error_responses
from bkpsdm.common.logs import current_correlation_id, new_correlation_id
from bkpsdm.intake import service
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.submission import Submission
from bkpsdm.intake.service import IntakeUnitOfWork


class SubmissionRequest(BaseModel):
    service_code: PlainText = Field(min_length=1, max_length=40, description="Kode layanan, mis. E-LAPKIN")
    perangkat_daerah: PlainText = Field(min_length=1, max_length=200, description="Perangkat Daerah pemohon")
    title: PlainText = Field(min_length=1, max_length=300, description="Perihal pengajuan")


class SubmissionView(BaseModel):
    submission_id: str
    service_code: str
    perangkat_daerah: str
    title: str
    status: str
    received_at: datetime
    case_id: str | None
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, s: Submission) -> SubmissionView:
        return cls(
            submission_id=s.submission_id,
            service_code=s.service_code,
            perangkat_daerah=s.perangkat_daerah,
            title=s.title,
            status=s.status.value,
            received_at=s.received_at,
            case_id=s.case_id,
            acknowledged_at=s.acknowledged_at,
        )


def build_router(unit_of_work: Callable[[], IntakeUnitOfWork]) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.post(
        "/submissions",
        status_code=201,
        response_model=SubmissionView,
        responses={
            200: {"description": "A retry with the same Idempotency-Key: the first receipt"},
            **error_responses(
                errors.SERVICE_UNKNOWN,
                errors.APPLICANT_REQUIRED,
                errors.TITLE_REQUIRED,
                errors.IDEMPOTENCY_KEY_REUSED,
            ),
        },
    )
    async def submit(
        request: SubmissionRequest,
        response: Response,
        idempotency_key: Annotated[str | None, Header(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] = None,
    ) -> SubmissionView:
        receipt = await service.receive_submission(
            unit_of_work(),
            service_code=request.service_code,
            perangkat_daerah=request.perangkat_daerah,
            title=request.title,
            correlation_id=current_correlation_id() or new_correlation_id(),
            idempotency_key=idempotency_key,
        )
        if receipt.replayed:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return SubmissionView.of(receipt.submission)

    @router.get(
        "/submissions/{submission_id}",
        response_model=SubmissionView,
        responses=error_responses(errors.SUBMISSION_NOT_FOUND),
    )
    async def status(submission_id: str) -> SubmissionView:
        return SubmissionView.of(await service.get_submission(unit_of_work(), submission_id))

    return router
