"""The monthly recap as XLSX: Indonesian labels, one row per employee, every TL/PSW column, totals."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]  # no stubs

from bkpsdm.attendance_gateway.adapters.recap_xlsx import render_recap
from bkpsdm.attendance_gateway.domain.daily import attendance_for_period
from bkpsdm.attendance_gateway.domain.punch import Punch
from bkpsdm.attendance_gateway.domain.recap import monthly_recap
from bkpsdm.attendance_gateway.domain.rules import default_rules

WIB = ZoneInfo("Asia/Jakarta")
A, B = "198503152010011001", "199001012015012002"


def punch(nip: str, when: datetime) -> Punch:
    return Punch(nip=nip, timestamp=when.replace(tzinfo=WIB), state=0, terminal_serial="S", user_id="1")


def test_the_recap_workbook_reads_back_as_the_recap() -> None:
    rules = default_rules()
    punches = [
        punch(A, datetime(2026, 11, 2, 7, 20)),
        punch(A, datetime(2026, 11, 2, 16, 10)),
        punch(B, datetime(2026, 11, 2, 8, 10)),  # 40 minutes late: TL2
        punch(B, datetime(2026, 11, 2, 16, 0)),
    ]
    records = attendance_for_period([A, B], date(2026, 11, 2), date(2026, 11, 3), punches, rules)
    recap = monthly_recap("Dinas Kesehatan", 2026, 11, records, rules)
    sheet = openpyxl.load_workbook(io.BytesIO(render_recap(recap))).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    assert rows[1] == ("Unit kerja", "Dinas Kesehatan", *([None] * (len(rows[1]) - 2)))
    assert rows[2][:2] == ("Periode", "November 2026")
    header = next(r for r in rows if r[0] == "NIP")
    assert list(header) == [
        "NIP", "Hari kerja", "Tepat waktu", "Tanpa keterangan",
        "TL1", "TL2", "TL3", "TL4", "PSW1", "PSW2", "PSW3", "PSW4", "Potongan (%)",
    ]  # fmt: skip
    table = {r[0]: dict(zip(header, r, strict=True)) for r in rows if r[0] in (A, B, "Jumlah")}
    assert (table[A]["Hari kerja"], table[A]["Tepat waktu"], table[A]["Tanpa keterangan"]) == (2, 1, 1)
    assert (table[B]["TL2"], table[B]["TL4"], table[B]["PSW4"]) == (1, 1, 1)
    assert table["Jumlah"]["TL4"] == 2
    assert table["Jumlah"]["Potongan (%)"] == float(recap.deduction_percent)


def test_nips_can_be_masked_for_sharing() -> None:
    rules = default_rules()
    records = attendance_for_period([A], date(2026, 11, 2), date(2026, 11, 2), [], rules)
    sheet = openpyxl.load_workbook(
        io.BytesIO(render_recap(monthly_recap("U", 2026, 11, records, rules), mask_nips=True))
    ).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert A not in cells
    assert any(c.endswith("1001") for c in cells)
