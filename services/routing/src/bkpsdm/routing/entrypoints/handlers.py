"""Routing's Kafka subscriptions: each received submission opens a case."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.contracts import SUBMISSIONS, SubmissionReceived
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.routing import service
from bkpsdm.routing.service import RoutingUnitOfWork


def register_handlers(runtime: ServiceRuntime, unit_of_work: Callable[[], RoutingUnitOfWork]) -> None:
    runtime.consume(
        SUBMISSIONS, "case-opening", unit_of_work, {SubmissionReceived: service.open_case_for_submission}
    )
