"""Routing's answers to other services' events: an upload's outcome, a terminal's diagnosis.

Each runs inside the subscription's unit of work (a redelivery is already skipped). An
answer routing is not waiting for (another request's, one after the timeout moved the case
on, one for an unknown case) changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from bkpsdm.common.contracts import TerminalDiagnosed, UploadFinished
from bkpsdm.common.logs import get_logger
from bkpsdm.routing.domain.workflow import Action
from bkpsdm.routing.moves import DIAGNOSIS_TIMEOUT, Move, enter
from bkpsdm.routing.ports import RoutingContext, RoutingUnitOfWork

log = get_logger(__name__)

OUTCOMES = {
    "COMPLETED": Action.UPLOAD_COMPLETED,
    "PARTIALLY_COMPLETED": Action.UPLOAD_PARTIALLY_COMPLETED,
    "FAILED": Action.UPLOAD_FAILED,
}
_OUTCOME_NOTES = {
    "COMPLETED": "Data berhasil diunggah ke BKN.",
    "PARTIALLY_COMPLETED": "Sebagian data berhasil diunggah ke BKN.",
    "FAILED": "Unggahan ke BKN gagal.",
}


async def record_upload_result(
    uow: RoutingUnitOfWork, ctx: RoutingContext, event: UploadFinished, correlation_id: str | None
) -> None:
    action = OUTCOMES.get(event.outcome)
    case = await uow.cases.get(event.case_id, for_update=True)
    if action is None or case is None or case.closed or case.upload_request_id != event.request_id:
        log.info(
            "case.upload_result_ignored",
            case_id=event.case_id,
            request_id=event.request_id,
            outcome=event.outcome,
        )
        return
    definition = ctx.definition(case)
    try:
        transition = next(t for t in definition.step(case.step).transitions if t.action is action)
    except StopIteration:
        log.info("case.upload_result_ignored", case_id=case.case_id, step=case.step, outcome=event.outcome)
        return
    details = {
        "request_id": event.request_id,
        "attempt": case.upload_attempt,
        "outcome": event.outcome,
        "rows_total": event.rows_total,
        "rows_stored": event.rows_stored,
        "rows_rejected": event.rows_rejected,
        "rows_failed": event.rows_failed,
        "reasons": event.reasons,
        "adapter": event.adapter,
        "report_url": event.report_url,
        "rules_version": event.rules_version,
    }
    note = " ".join([_OUTCOME_NOTES[event.outcome], *event.reasons[:5]])
    case = replace(case, upload_request_id=None)  # a second answer to the same request is ignored
    now = ctx.clock()
    await enter(
        uow,
        ctx,
        case,
        definition,
        transition.to,
        Move(action.value, note=note, details=details),
        now,
        correlation_id,
    )


async def record_diagnosis(
    uow: RoutingUnitOfWork, ctx: RoutingContext, event: TerminalDiagnosed, correlation_id: str | None
) -> None:
    if event.case_id is None:
        return  # a diagnosis someone else asked for
    case = await uow.cases.get(event.case_id, for_update=True)
    if case is None or case.closed or case.diagnosis_request_id != event.request_id:
        log.info("case.diagnosis_ignored", case_id=event.case_id, request_id=event.request_id)
        return
    definition = ctx.definition(case)
    try:
        transition = next(t for t in definition.step(case.step).transitions if t.action is Action.DIAGNOSED)
    except StopIteration:
        return
    diagnosis = event.model_dump(mode="json", exclude={"case_id"})
    case = replace(case, diagnosis=diagnosis, diagnosis_request_id=None)
    await uow.deadlines.cancel(case.case_id, DIAGNOSIS_TIMEOUT)
    note = (
        "Mesin absensi terjangkau."
        if event.reachable
        else f"Mesin absensi tidak terjangkau ({event.reason or '-'})."
    )
    now = ctx.clock()
    move = Move(Action.DIAGNOSED.value, note=note, details=diagnosis)
    await enter(uow, ctx, case, definition, transition.to, move, now, correlation_id)
