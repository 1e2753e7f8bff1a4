"""Routing's Kafka subscriptions: submissions open (or continue) cases; upload outcomes and
terminal diagnoses move them on. Other event types on those topics are skipped."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.contracts import (
    IPASN_UPLOADS,
    LAPKIN_UPLOADS,
    SUBMISSIONS,
    TERMINAL_STATUS,
    SubmissionReceived,
    TerminalDiagnosed,
    UploadFinished,
)
from bkpsdm.common.events import Event
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.subscriptions import UseCase
from bkpsdm.common.topics import TopicSpec
from bkpsdm.routing import reactions, service
from bkpsdm.routing.ports import RoutingContext, RoutingUnitOfWork

# What routing consumes, by purpose (its consumer group is `routing.<purpose><suffix>`).
INPUTS: dict[str, TopicSpec] = {
    "case-opening": SUBMISSIONS,
    "lapkin-upload-results": LAPKIN_UPLOADS,
    "ipasn-upload-results": IPASN_UPLOADS,
    "terminal-diagnoses": TERMINAL_STATUS,
}


def register_handlers(
    runtime: ServiceRuntime, unit_of_work: Callable[[], RoutingUnitOfWork], ctx: RoutingContext
) -> None:
    async def opened(uow: RoutingUnitOfWork, event: SubmissionReceived, correlation_id: str | None) -> None:
        await service.open_case_for_submission(uow, ctx, event, correlation_id)

    async def uploaded(uow: RoutingUnitOfWork, event: UploadFinished, correlation_id: str | None) -> None:
        await reactions.record_upload_result(uow, ctx, event, correlation_id)

    async def diagnosed(uow: RoutingUnitOfWork, event: TerminalDiagnosed, correlation_id: str | None) -> None:
        await reactions.record_diagnosis(uow, ctx, event, correlation_id)

    handlers: dict[str, dict[type[Event], UseCase]] = {
        "case-opening": {SubmissionReceived: opened},
        "lapkin-upload-results": {UploadFinished: uploaded},
        "ipasn-upload-results": {UploadFinished: uploaded},
        "terminal-diagnoses": {TerminalDiagnosed: diagnosed},
    }
    for purpose, topic in INPUTS.items():
        runtime.consume(topic, purpose, unit_of_work, handlers[purpose])
