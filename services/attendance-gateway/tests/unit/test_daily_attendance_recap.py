from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bkpsdm.attendance_gateway.domain.daily import DailyAttendance, attendance_for_period
from bkpsdm.attendance_gateway.domain.punch import Punch
from bkpsdm.attendance_gateway.domain.recap import monthly_recap
from bkpsdm.attendance_gateway.domain.rules import default_rules
from bkpsdm.attendance_gateway.domain.work_calendar import ClosedDays

WIB = ZoneInfo("Asia/Jakarta")
RULES = default_rules()
ANI = "198501012010012001"
BUDI = "199002022015011002"
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
NATIONAL_DAY_OFF = date(2026, 11, 30)  # a closed day the caller passes in (as if a holiday)


def punch(nip: str, day: date, hhmm: str) -> Punch:
    hour, minute = (int(x) for x in hhmm.split(":"))
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)
    return Punch(nip=nip, timestamp=moment, state=255, terminal_serial="T1", user_id=nip[-3:])


def november_records() -> list[DailyAttendance]:
    days = [FIRST + timedelta(days=i) for i in range(30)]
    weekdays = [d for d in days if d.weekday() < 5 and d != NATIONAL_DAY_OFF]
    punches: list[Punch] = []
    for d in weekdays:  # Ani: always on time
        punches += [punch(ANI, d, "07:25"), punch(ANI, d, "17:00")]
    # Budi: on time except one TL2 day (08:15), one PSW1 day (Fri 16:00), one day no record.
    for d in weekdays[:-1]:
        arrival = "08:15" if d == weekdays[0] else "07:30"
        leave = "16:00" if d.weekday() == 4 and d == weekdays[4] else "16:45"
        punches += [punch(BUDI, d, arrival), punch(BUDI, d, leave)]
    closed = ClosedDays({NATIONAL_DAY_OFF: "Libur daerah"})
    return attendance_for_period([ANI, BUDI], FIRST, LAST, punches, RULES, closed)


def test_monthly_recap_counts_each_category_per_employee() -> None:
    recap = monthly_recap("Bidang Mutasi", 2026, 11, november_records(), RULES)
    ani, budi = recap.employees
    assert (ani.nip, budi.nip) == (ANI, BUDI)
    assert ani.working_days == budi.working_days == 20  # 21 weekdays minus the closed Monday
    assert ani.on_time_days == 20
    assert ani.deduction_percent == 0
    assert set(ani.counts.values()) == {0}
    assert budi.no_record_days == 1
    assert budi.counts["TL2"] == 1
    assert budi.counts["PSW1"] == 1
    assert budi.counts["TL4"] == 1
    assert budi.counts["PSW4"] == 1
    assert budi.on_time_days == 17
    assert budi.deduction_percent == Decimal("1") + Decimal("0.5") + Decimal("4")


def test_monthly_recap_totals_the_unit_and_names_the_rule_set() -> None:
    recap = monthly_recap("Bidang Mutasi", 2026, 11, november_records(), RULES)
    assert list(recap.counts) == ["TL1", "TL2", "TL3", "TL4", "PSW1", "PSW2", "PSW3", "PSW4"]
    assert recap.counts["TL2"] == 1
    assert recap.counts["PSW4"] == 1
    assert recap.deduction_percent == Decimal("5.5")
    assert recap.rule_set_versions == (RULES.version,)
    assert (recap.unit, recap.year, recap.month) == ("Bidang Mutasi", 2026, 11)


def test_monthly_recap_ignores_days_of_other_months() -> None:
    records = attendance_for_period([ANI], date(2026, 10, 26), date(2026, 11, 6), [], RULES)
    recap = monthly_recap("Bidang Mutasi", 2026, 11, records, RULES)
    assert recap.employees[0].working_days == 5
    assert recap.employees[0].no_record_days == 5


def test_monthly_recap_leaves_out_the_day_still_in_progress() -> None:
    tuesday = date(2026, 11, 24)
    punches = [punch(ANI, date(2026, 11, 23), "07:25"), punch(ANI, tuesday, "08:31")]
    as_of = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
    records = attendance_for_period([ANI], date(2026, 11, 23), tuesday, punches, RULES, as_of=as_of)
    [ani] = monthly_recap("Bidang Mutasi", 2026, 11, records, RULES).employees
    # Monday: on time, no leave (PSW4); Tuesday is not counted until 16:00.
    assert (ani.working_days, ani.counts["PSW4"], ani.counts["TL3"], ani.deduction_percent) == (
        1,
        1,
        0,
        Decimal("2"),
    )
