"""The statistics' read over routing's tables: per service, the cases opened in a period."""

from __future__ import annotations

from datetime import datetime

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.routing.domain.case import CaseStatus
from bkpsdm.routing.domain.statistics import CaseCounts, ServiceCohort
from bkpsdm.routing.domain.workflow import Action


class PostgresStatistics:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)

    async def cohorts(self, start: datetime, end: datetime) -> list[ServiceCohort]:
        # A completed case's SLA round starts at its last resubmission, or at its opening.
        rows = await self._conn.fetch(
            "WITH c AS (SELECT c.service_code, c.status = $3 AS done, c.case_due_at,"
            "   c.step_entered_at AS completed_at,"
            f"  EXISTS (SELECT 1 FROM {self._s}.case_history h WHERE h.case_id = c.case_id AND h.action = $4)"
            "     AS returned,"
            f"  coalesce((SELECT max(h.at) FROM {self._s}.case_history h"
            "     WHERE h.case_id = c.case_id AND h.action = $5), c.opened_at) AS round_start"
            f" FROM {self._s}.cases c WHERE c.opened_at >= $1 AND c.opened_at < $2)"
            " SELECT service_code, count(*) AS received, count(*) FILTER (WHERE done) AS completed,"
            " count(*) FILTER (WHERE returned) AS returned,"
            " count(*) FILTER (WHERE done AND case_due_at IS NOT NULL) AS with_sla,"
            " count(*) FILTER (WHERE done AND completed_at <= case_due_at) AS within_sla,"
            " array_agg(round_start ORDER BY round_start, completed_at) FILTER (WHERE done) AS starts,"
            " array_agg(completed_at ORDER BY round_start, completed_at) FILTER (WHERE done) AS ends"
            " FROM c GROUP BY service_code ORDER BY service_code",
            start,
            end,
            CaseStatus.DONE.value,
            Action.RETURN.value,
            Action.RESUBMITTED.value,
        )
        return [
            ServiceCohort(
                r["service_code"],
                CaseCounts(
                    received=r["received"],
                    completed=r["completed"],
                    in_progress=r["received"] - r["completed"],
                    returned_at_least_once=r["returned"],
                    completed_with_sla=r["with_sla"],
                    completed_within_sla=r["within_sla"],
                ),
                tuple(zip(r["starts"] or (), r["ends"] or (), strict=True)),
            )
            for r in rows
        ]
