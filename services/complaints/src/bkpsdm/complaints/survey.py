"""The satisfaction survey's use cases: know which products were delivered (intake's receipts,
routing's last step or the officer's record), take nine answers once per delivered product,
compute IKM per service and semester."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bkpsdm.common.contracts import CaseStepChanged, SubmissionReceived
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.complaint import NOTE_MAX, clean_text
from bkpsdm.complaints.domain.ikm import (
    IkmResult,
    IkmRules,
    SurveyResponse,
    check_period,
    compute_ikm,
    ikm_by_service_and_period,
    survey_period,
    validate_answers,
)
from bkpsdm.complaints.domain.statistics import year_range
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class SurveyContext:
    rules: IkmRules
    services: dict[str, str]  # code -> name


# ---- intake's and routing's facts ----


async def record_submission(uow: ComplaintsUnitOfWork, event: SubmissionReceived, _: str | None) -> None:
    await uow.survey.add_submission(
        event.submission_id,
        event.receipt_number,
        event.service_code,
        event.perangkat_daerah,
        event.received_at,
    )


async def record_case_step(uow: ComplaintsUnitOfWork, event: CaseStepChanged, _: str | None) -> None:
    """The case's last step is the product handed over: from then on it may be rated."""
    if event.completed and await uow.survey.mark_delivered(event.submission_id, event.changed_at):
        log.info("survey.product_delivered", submission_id=event.submission_id)


@dataclass(frozen=True)
class Delivery:
    submission_id: str
    receipt_number: str
    service_code: str
    delivered_at: datetime


async def record_delivery(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    survey: SurveyContext,
    receipt_number: str,
    service_code: str,
    perangkat_daerah: str | None,
) -> Delivery:
    """The officer records a product handed over outside the workflow (a paper report, a repair
    done on site). A receipt intake never announced needs its unit to be recorded."""
    if service_code not in survey.services:
        raise DomainError(errors.SURVEY_SERVICE_UNKNOWN)
    now = ctx.clock.now()
    async with uow:
        known = await uow.survey.by_receipt(receipt_number)
        if known is None:
            if not perangkat_daerah:
                raise DomainError(errors.DELIVERY_RECEIPT_UNKNOWN)
            submission_id = f"receipt:{receipt_number}"
            await uow.survey.add_submission(
                submission_id, receipt_number, service_code, perangkat_daerah, now
            )
        elif known.service_code != service_code:
            raise DomainError(errors.DELIVERY_RECEIPT_UNKNOWN)
        else:
            submission_id = known.submission_id
        await uow.survey.mark_delivered(submission_id, now)
        found = await uow.survey.by_receipt(receipt_number)
    assert found is not None
    assert found.delivered_at is not None
    return Delivery(found.submission_id, receipt_number, service_code, found.delivered_at)


# ---- answers and the index ----


@dataclass(frozen=True)
class Answered:
    response_id: str
    period: str


async def answer_survey(
    uow: ComplaintsUnitOfWork,
    ctx: ComplaintsContext,
    survey: SurveyContext,
    service_code: str,
    receipt_number: str,
    answers: dict[str, object],
    suggestion: str | None,
) -> Answered:
    if service_code not in survey.services:
        raise DomainError(errors.SURVEY_SERVICE_UNKNOWN)
    checked = validate_answers(answers, survey.rules)
    clean_suggestion = clean_text(suggestion, "saran", NOTE_MAX, required=False)
    now = ctx.clock.now()
    period = survey_period(now.astimezone(ctx.calendar.zone).date())
    async with uow:
        known = await uow.survey.by_receipt(receipt_number)
        if known is None or known.service_code != service_code or known.delivered_at is None:
            raise DomainError(errors.SURVEY_NOT_AVAILABLE)
        response_id = await uow.survey.add_response(
            known.submission_id, service_code, period, checked, clean_suggestion, now, survey.rules.version
        )
        if response_id is None:
            raise DomainError(errors.SURVEY_ALREADY_ANSWERED)
    log.info("survey.answered", service_code=service_code, period=period)
    return Answered(response_id, period)


async def ikm(
    uow: ComplaintsUnitOfWork, survey: SurveyContext, period: str, service_code: str | None
) -> list[IkmResult]:
    """IKM per service for the semester; one service's: refused when nobody answered yet."""
    check_period(period)
    if service_code is not None and service_code not in survey.services:
        raise DomainError(errors.SURVEY_SERVICE_UNKNOWN)
    async with uow:
        rows = await uow.survey.responses(period, service_code)
    if service_code is not None and not rows:
        raise errors.refuse(errors.IKM_NO_RESPONSES)
    return ikm_by_service_and_period(
        (SurveyResponse(code, period, answers) for code, answers in rows), survey.rules
    )


@dataclass(frozen=True)
class SemesterIkm:
    period: str
    overall: IkmResult  # every respondent of the semester, all services together
    services: list[IkmResult]


ALL_SERVICES = "*"  # the overall result's service code: it is no service of its own


async def ikm_of_year(
    uow: ComplaintsUnitOfWork, ctx: ComplaintsContext, survey: SurveyContext, year: int
) -> list[SemesterIkm]:
    """IKM per semester of the year that has answers: overall and per service."""
    zone = ctx.calendar.zone
    year_range(year, zone, ctx.clock.now().astimezone(zone).date())
    async with uow:
        answered = {p: await uow.survey.responses(p, None) for p in (f"{year}-S1", f"{year}-S2")}
    return [
        SemesterIkm(
            period,
            compute_ikm(ALL_SERVICES, period, (answers for _, answers in rows), survey.rules),
            ikm_by_service_and_period(
                (SurveyResponse(code, period, answers) for code, answers in rows), survey.rules
            ),
        )
        for period, rows in answered.items()
        if rows
    ]
