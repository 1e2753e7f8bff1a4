"""Intake's Kafka subscribers: routing's acknowledgements update the submission status."""

from __future__ import annotations

from bkpsdm.common.broker import subscribe_events
from bkpsdm.common.contracts import CASES, SubmissionAcknowledged
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.intake import service


def register_handlers(runtime: ServiceRuntime) -> None:
    group = runtime.consumer_group("case-status")

    async def on_acknowledged(event: SubmissionAcknowledged, meta: EventMetadata) -> None:
        await service.record_acknowledgement(runtime.db, event, meta, group)

    subscribe_events(runtime.broker, CASES, group, {SubmissionAcknowledged: on_acknowledged})
