"""Employees' punches in the gateway's schema (the daily-attendance consumer's data); days are
evaluated from them when read (attendance.py)."""

from __future__ import annotations

from datetime import datetime

from bkpsdm.attendance_gateway.domain.punch import Punch
from bkpsdm.common.db import Connection, quote_schema


class PostgresAttendanceRepository:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn = conn
        self._s = quote_schema(schema)

    async def add_punch(self, idempotency_key: str, punch: Punch, unit: str) -> bool:
        """False when this punch (by idempotency key) was already recorded."""
        return bool(
            await self._conn.fetchval(
                f"INSERT INTO {self._s}.employee_punches (idempotency_key, nip, unit, punched_at, punch_state,"
                " terminal_serial, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (idempotency_key) DO NOTHING RETURNING true",
                idempotency_key,
                punch.nip,
                unit,
                punch.timestamp,
                punch.state,
                punch.terminal_serial,
                punch.user_id,
            )
        )

    async def punches(self, nips: list[str], start: datetime, end: datetime) -> list[Punch]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {self._s}.employee_punches WHERE nip = ANY($1::text[])"
            " AND punched_at >= $2 AND punched_at < $3 ORDER BY punched_at",
            nips,
            start,
            end,
        )
        return [
            Punch(
                nip=r["nip"],
                timestamp=r["punched_at"],
                state=r["punch_state"],
                terminal_serial=r["terminal_serial"],
                user_id=r["user_id"],
            )
            for r in rows
        ]

    async def known_employee(self, nip: str) -> bool:
        """Mapped on a terminal, or ever punched."""
        return bool(
            await self._conn.fetchval(
                f"SELECT EXISTS (SELECT 1 FROM {self._s}.terminal_users WHERE nip = $1)"
                f" OR EXISTS (SELECT 1 FROM {self._s}.employee_punches WHERE nip = $1)",
                nip,
            )
        )

    async def roster(self, unit: str, start: datetime, end: datetime) -> list[str]:
        """Employees of a unit: mapped on its terminals, or who punched there in the period."""
        rows = await self._conn.fetch(
            f"SELECT u.nip FROM {self._s}.terminal_users u JOIN {self._s}.terminals t USING (terminal_id)"
            f" WHERE t.unit = $1 UNION SELECT nip FROM {self._s}.employee_punches"
            " WHERE unit = $1 AND punched_at >= $2 AND punched_at < $3",
            unit,
            start,
            end,
        )
        return sorted(r["nip"] for r in rows)
