"""Punches from the topic become daily records (TL/PSW) and a unit's monthly recap as XLSX."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped]  # no stubs
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.simulators.zk_terminal import FleetThread, Punch, Terminal, TerminalConfig, User
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[list[str]]]
DAY = date(2026, 11, 2)  # a Monday: 07:30-16:00 under the default rules
HOLIDAY = date(2026, 8, 17)  # a Monday too, but Hari Kemerdekaan in the service calendar
SITI, BUDI, EKO = "198503152010011001", "199001012015012002", "198812202012121003"


async def test_punches_become_daily_records_and_a_monthly_recap(
    gateway_factory: Callable[..., Any], schema: str, technician_headers: dict[str, str]
) -> None:
    users = [User(1, "1001", "Siti"), User(2, "1002", "Budi"), User(3, "1003", "Eko")]
    punches = [
        Punch("1001", datetime(2026, 8, 17, 7, 50), 1, 0),  # the flag ceremony, then home
        Punch("1001", datetime(2026, 8, 17, 10, 5), 1, 1),
        Punch("1001", datetime.combine(DAY, datetime.min.time()).replace(hour=7, minute=25), 1, 0),
        Punch("1002", datetime(2026, 11, 2, 7, 45, 30), 1, 0),  # 15 minutes late: TL1
        Punch("1003", datetime(2026, 11, 2, 7, 20), 1, 0),  # no leave: PSW4
        Punch("1002", datetime(2026, 11, 2, 15, 0), 1, 1),  # 60 minutes early: PSW2
        Punch("1001", datetime(2026, 11, 2, 16, 5), 1, 1),
    ]
    terminal = Terminal(TerminalConfig(serial=f"D{schema[-8:]}"), users=users, punches=punches)
    with FleetThread([terminal]) as fleet:
        async with gateway_factory(daily_attendance_enabled=True) as (_, client):
            client.headers.update(technician_headers)
            created = await client.post(
                "/api/v1/terminals",
                json={
                    "name": "Lobi",
                    "address": "127.0.0.1",
                    "port": fleet.ports[0],
                    "unit": "Dinas Kesehatan",
                },
            )
            terminal_id = created.json()["terminal_id"]
            await client.put(
                f"/api/v1/terminals/{terminal_id}/users",
                json={
                    "users": [
                        {"user_id": "1001", "nip": SITI},
                        {"user_id": "1002", "nip": BUDI},
                        {"user_id": "1003", "nip": EKO},
                    ]
                },
            )

            async def day_of(nip: str, day: date = DAY) -> list[dict[str, Any]]:
                response = await client.get(
                    "/api/v1/attendance/daily",
                    params={"nip": nip, "first_day": day.isoformat(), "last_day": day.isoformat()},
                )
                assert response.status_code == 200, response.text
                return list(response.json())

            async def all_recorded() -> bool:
                budi, siti = await day_of(BUDI), await day_of(SITI)
                holiday = await day_of(SITI, HOLIDAY)
                eko = await day_of(EKO)  # mapped, so a day is there before its punch: wait for it
                recorded = (
                    budi and budi[0]["leave"] and siti and siti[0]["leave"] and eko and eko[0]["arrival"]
                )
                return bool(recorded and holiday and holiday[0]["leave"])

            await eventually(all_recorded, 30, "the daily records")
            [siti], [budi], [eko] = await day_of(SITI), await day_of(BUDI), await day_of(EKO)
            assert (siti["tl_category"], siti["psw_category"], siti["late_minutes"]) == (None, None, 0)
            assert (
                budi["tl_category"],
                budi["late_minutes"],
                budi["psw_category"],
                budi["early_minutes"],
            ) == ("TL1", 15, "PSW2", 60)
            assert (eko["tl_category"], eko["psw_category"], eko["leave_missing"]) == (None, "PSW4", True)
            assert budi["rule_set_version"] == "perpres-21-2023/default/2026.2"
            [holiday] = await day_of(SITI, HOLIDAY)
            assert (holiday["working_day"], holiday["tl_category"], holiday["psw_category"]) == (
                False,
                None,
                None,
            )
            assert (holiday["deduction_percent"], holiday["closed_reason"]) == (
                "0",
                "Hari Kemerdekaan Republik Indonesia",
            )
            assert holiday["calendar_version"].startswith("seed-003/")

            recap = await client.get(
                "/api/v1/attendance/recap.xlsx", params={"unit": "Dinas Kesehatan", "year": 2026, "month": 11}
            )
            assert recap.status_code == 200
            assert recap.headers["content-type"].startswith("application/vnd.openxmlformats")
            rows = list(openpyxl.load_workbook(io.BytesIO(recap.content)).active.iter_rows(values_only=True))
            header = next(r for r in rows if r and r[0] == "NIP")
            by_nip = {
                r[0]: dict(zip(header, r, strict=True)) for r in rows if r and r[0] in (SITI, BUDI, EKO)
            }
            assert by_nip[BUDI]["TL1"] == 1
            assert by_nip[BUDI]["PSW2"] == 1
            assert by_nip[SITI]["Tepat waktu"] == 1
            assert by_nip[EKO]["PSW4"] >= 1

            other_role = await client.get(
                "/api/v1/attendance/recap.xlsx",
                params={"unit": "Dinas Kesehatan", "year": 2026, "month": 11},
                headers=bearer(Role.PENGOLAH_DATA),
            )
            assert other_role.status_code == 200
            bad_range = await client.get(
                "/api/v1/attendance/daily",
                params={"nip": SITI, "first_day": "2026-11-05", "last_day": "2026-11-01"},
            )
            assert (bad_range.status_code, bad_range.json()["code"]) == (422, "DATE_RANGE_INVALID")
    assert isinstance(client, httpx.AsyncClient)
