"""The gateway's Kafka subscriptions: diagnosis requests from routing's repair workflow, and the
punches topic turned into daily attendance records."""

from __future__ import annotations

from bkpsdm.attendance_gateway import attendance, service
from bkpsdm.attendance_gateway.adapters.repository import PostgresGatewayUnitOfWork
from bkpsdm.attendance_gateway.poller import Poller
from bkpsdm.attendance_gateway.service import UnitOfWorkFactory
from bkpsdm.common.contracts import (
    ATTENDANCE_PUNCHES,
    TERMINAL_REQUESTS,
    AttendancePunched,
    TerminalDiagnosisRequested,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.runtime import ServiceRuntime

# A poll in progress may hold the terminal this long before the answer says TERMINAL_BUSY.
DIAGNOSIS_WAIT_S = 30.0


def register_handlers(
    runtime: ServiceRuntime,
    unit_of_work: UnitOfWorkFactory,
    poller: Poller,
    daily_attendance: bool,
) -> None:
    async def diagnose(
        uow: PostgresGatewayUnitOfWork, request: TerminalDiagnosisRequested, correlation_id: str | None
    ) -> None:
        # The session runs under the terminal's lease in its own transactions; the answer is
        # added to the subscription's unit of work, so a redelivered request answers once.
        try:
            session = await poller.exclusive_session(request.terminal_id, "diagnose", DIAGNOSIS_WAIT_S)
            reason = "TERMINAL_BUSY"
        except DomainError as exc:
            session, reason = None, exc.error.code
        await service.answer_diagnosis(uow, request, correlation_id, session, reason)

    runtime.consume(TERMINAL_REQUESTS, "diagnosis", unit_of_work, {TerminalDiagnosisRequested: diagnose})

    async def record_punch(
        uow: PostgresGatewayUnitOfWork, event: AttendancePunched, correlation_id: str | None
    ) -> None:
        await attendance.record_punch(uow, event)

    if daily_attendance:
        runtime.consume(
            ATTENDANCE_PUNCHES, "daily-attendance", unit_of_work, {AttendancePunched: record_punch}
        )
