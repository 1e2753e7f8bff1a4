"""Intake's Kafka subscribers: routing's acknowledgements update the submission status."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.broker import subscribe_events
from bkpsdm.common.contracts import CASES, SubmissionAcknowledged
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake import service
from bkpsdm.intake.service import IntakeUnitOfWork


def register_handlers(runtime: ServiceRuntime, unit_of_work: Callable[[], IntakeUnitOfWork]) -> None:
    group = runtime.consumer_group("case-status")
    inbox = runtime.inbox_name("case-status")

    async def on_acknowledged(event: SubmissionAcknowledged, meta: EventMetadata) -> None:
        await service.record_acknowledgement(unit_of_work(), event, meta, inbox)

    subscribe_events(runtime.broker, CASES, group, {SubmissionAcknowledged: on_acknowledged})
