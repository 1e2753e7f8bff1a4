"""Routing's Kafka subscribers: each received submission opens a case."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.broker import subscribe_events
from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.routing import service
from bkpsdm.routing.service import RoutingUnitOfWork


def register_handlers(runtime: ServiceRuntime, unit_of_work: Callable[[], RoutingUnitOfWork]) -> None:
    group = runtime.consumer_group("case-opening")
    inbox = runtime.inbox_name("case-opening")

    async def on_submission_received(event: SubmissionReceived, meta: EventMetadata) -> None:
        await service.open_case_for_submission(unit_of_work(), event, meta, inbox)

    subscribe_events(runtime.broker, SUBMISSIONS, group, {SubmissionReceived: on_submission_received})
