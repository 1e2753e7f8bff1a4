"""Intake's Kafka subscriptions: routing's facts about each case become its status and timeline."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.contracts import CASES, CaseStepChanged, SubmissionAcknowledged, SubmissionReturned
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake import service
from bkpsdm.intake.service import IntakeUnitOfWork


def register_handlers(runtime: ServiceRuntime, unit_of_work: Callable[[], IntakeUnitOfWork]) -> None:
    runtime.consume(
        CASES,
        "case-status",
        unit_of_work,
        {
            SubmissionAcknowledged: service.record_acknowledgement,
            CaseStepChanged: service.record_step,
            SubmissionReturned: service.record_return,
        },
    )
