"""Complaints' Kafka subscriptions: intake's receipts (a complaint or a survey refers to them) and
routing's last step of a case (the product is delivered: its survey opens)."""

from __future__ import annotations

from collections.abc import Callable

from bkpsdm.common.contracts import CASES, SUBMISSIONS, CaseStepChanged, SubmissionReceived
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.complaints import survey
from bkpsdm.complaints.service import ComplaintsUnitOfWork


def register_handlers(runtime: ServiceRuntime, unit_of_work: Callable[[], ComplaintsUnitOfWork]) -> None:
    runtime.consume(SUBMISSIONS, "submissions", unit_of_work, {SubmissionReceived: survey.record_submission})
    runtime.consume(CASES, "deliveries", unit_of_work, {CaseStepChanged: survey.record_case_step})
