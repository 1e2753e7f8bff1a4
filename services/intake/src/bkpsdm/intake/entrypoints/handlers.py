"""Intake's Kafka subscriptions: routing's acknowledgements update the submission status."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.contracts import CASES, SubmissionAcknowledged
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake import service
from bkpsdm.intake.service import IntakeUnitOfWork


def register_handlers(runtime: ServiceRuntime, unit_of_work: Callable[[], IntakeUnitOfWork]) -> None:
    runtime.consume(
        CASES, "case-status", unit_of_work, {SubmissionAcknowledged: service.record_acknowledgement}
    )
