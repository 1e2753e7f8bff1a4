"""SLA clocks in service time on a clock the test moves: the verification warning and breach
fire once, at the right service time, as events and internal history rows; the follow-up clock
starts at the disposition; a postponement keeps what the clock had left; an answered complaint
closes itself 10 working days later unless the reporter replies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
CALENDAR = load_calendar()
OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
SEKRETARIS = bearer(Role.SEKRETARIS)
BIDANG = bearer(Role.UNIT_PENGOLAH, unit="BIDANG-PKA")


@pytest.fixture(scope="module")
async def clocked(infra: Infra, pool: asyncpg.Pool, start_complaints: Any) -> AsyncIterator[Any]:
    """A service of its own: these tests move its clock."""
    async with start_complaints(infra, pool) as running:
        yield running


async def received(service: Any, text: str) -> tuple[str, str]:
    posted = await service.form_post({"content": text})
    assert posted.status_code == 201, posted.text
    ticket = posted.json()["ticket_code"]
    return ticket, await service.complaint_id_of(ticket)


async def view(service: Any, complaint_id: str) -> dict[str, Any]:
    return dict((await service.client.get(f"/api/v1/complaints/{complaint_id}", headers=OFFICER)).json())


async def test_the_verification_clock_warns_then_breaches_once_in_service_time(
    clocked: Any, tap: Any
) -> None:
    assert clocked.clock.now() == datetime(2026, 11, 30, 9, 0, tzinfo=WIB)  # Monday
    _, late = await received(clocked, "Pengaduan yang terlambat diverifikasi.")
    _, prompt = await received(clocked, "Pengaduan yang segera diteruskan.")
    assert (await clocked.act(prompt, OFFICER, action="VERIFY")).status_code == 200
    assert (await clocked.act(prompt, SEKRETARIS, action="ASSIGN", unit="BIDANG-PKA")).status_code == 200

    # Tuesday 08:59: nothing is due yet (warning: one working day before Thursday 09:00).
    await clocked.advance(timedelta(days=2) - timedelta(minutes=1))
    assert (await view(clocked, late))["history"][-1]["action"] == "RECEIVE"
    await clocked.advance(timedelta(minutes=1))  # Wednesday 09:00
    await clocked.fire_due()
    await clocked.advance(timedelta(days=1))  # Thursday 09:00: 18 service hours after receipt
    await clocked.fire_due()

    complaint = await view(clocked, late)
    assert complaint["sla_breaches"] == ["VERIFIKASI"]
    assert [h["action"] for h in complaint["history"]] == ["RECEIVE", "SLA_WARNING", "SLA_BREACH"]
    events = await tap.wait_for(late, lambda evs: len(evs) >= 3)
    assert [name for name, _ in events] == [
        "complaint-received",
        "complaint-sla-warning",
        "complaint-sla-breached",
    ]
    warning, breach = events[1][1], events[2][1]
    assert datetime.fromisoformat(warning["observed_at"]) == datetime(2026, 12, 2, 9, 0, tzinfo=WIB)
    assert datetime.fromisoformat(breach["due_at"]) == datetime(2026, 12, 3, 9, 0, tzinfo=WIB)
    assert breach["clock"] == "VERIFIKASI"
    # The reporter's view has no clock rows.
    ticket_view = (await clocked.client.get(f"/api/v1/public/complaints/{complaint['ticket_code']}")).json()
    assert [h["action"] for h in ticket_view["history"]] == ["RECEIVE"]

    # Disposed on Monday 09:00: 5 working days are 30 service hours, Friday has only 5, so the
    # follow-up is due the next Monday at 10:00. The verification clock never fired for it.
    forwarded = await view(clocked, prompt)
    assert forwarded["sla_breaches"] == []
    assert datetime.fromisoformat(forwarded["follow_up_due_at"]) == datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
    prompt_events = [name for name, _ in tap.of(prompt)]
    assert "complaint-sla-warning" not in prompt_events
    assert "complaint-sla-breached" not in prompt_events

    # Nothing fires twice.
    assert await clocked.fire_due() == 0
    assert len((await view(clocked, late))["history"]) == 3


async def test_the_follow_up_clock_breaches_when_the_unit_stays_silent(clocked: Any, tap: Any) -> None:
    _, complaint_id = await received(clocked, "Unit belum menindaklanjuti.")
    await clocked.act(complaint_id, OFFICER, action="VERIFY")
    assigned = (await clocked.act(complaint_id, SEKRETARIS, action="ASSIGN", unit="BIDANG-PKA")).json()
    due = datetime.fromisoformat(assigned["follow_up_due_at"])
    assert CALENDAR.service_time_between(clocked.clock.now(), due) == CALENDAR.working_days(5)
    # Redirected to another unit: the clock keeps running, it does not restart.
    redirected = (await clocked.act(complaint_id, SEKRETARIS, action="ASSIGN", unit="BIDANG-MUTASI")).json()
    assert redirected["follow_up_due_at"] == assigned["follow_up_due_at"]

    await clocked.advance(due - clocked.clock.now())
    breached = await view(clocked, complaint_id)
    assert breached["sla_breaches"] == ["TINDAK_LANJUT"]
    events = await tap.wait_for(complaint_id, lambda evs: any(n == "complaint-sla-breached" for n, _ in evs))
    assert events[-1][1]["assigned_unit"] == "BIDANG-MUTASI"


async def test_a_postponed_complaint_keeps_the_service_time_its_clock_had_left(clocked: Any) -> None:
    _, complaint_id = await received(clocked, "Perlu keterangan tambahan dari pelapor.")
    start = datetime.fromisoformat((await view(clocked, complaint_id))["received_at"])
    await clocked.advance(CALENDAR.due_after(start, timedelta(hours=1)) - clocked.clock.now())
    postponed = await clocked.act(
        complaint_id, OFFICER, action="POSTPONE", note="Menunggu nomor NIP pelapor."
    )
    assert postponed.json()["status"] == "DITUNDA"

    await clocked.advance(timedelta(days=14))  # far beyond the 3 days: nothing fires while postponed
    assert (await view(clocked, complaint_id))["sla_breaches"] == []
    resumed = (await clocked.act(complaint_id, OFFICER, action="VERIFY")).json()
    left = CALENDAR.working_days(3) - timedelta(hours=1)
    assert datetime.fromisoformat(resumed["verify_due_at"]) == CALENDAR.due_after(clocked.clock.now(), left)


async def test_an_answered_complaint_closes_itself_after_ten_working_days_unless_the_reporter_replies(
    clocked: Any, tap: Any
) -> None:
    silent_ticket, silent = await received(clocked, "Pelapor tidak menanggapi jawaban.")
    reply_ticket, replying = await received(clocked, "Pelapor menanggapi jawaban.")
    for complaint_id in (silent, replying):
        await clocked.act(complaint_id, OFFICER, action="VERIFY")
        await clocked.act(complaint_id, SEKRETARIS, action="ASSIGN", unit="BIDANG-PKA")
        await clocked.act(complaint_id, BIDANG, action="FOLLOW_UP", note="Sudah diperiksa.")
        answered = (
            await clocked.act(complaint_id, OFFICER, action="ANSWER", note="Sudah kami perbaiki.")
        ).json()
    closes_at = datetime.fromisoformat(answered["auto_close_at"])
    assert CALENDAR.service_time_between(clocked.clock.now(), closes_at) == CALENDAR.working_days(10)

    reply = await clocked.client.post(
        f"/api/v1/public/complaints/{reply_ticket}/replies", json={"text": "Masih salah di aplikasi."}
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["status"] == "DITINDAKLANJUTI"

    await clocked.advance(closes_at - clocked.clock.now() - timedelta(minutes=1))
    assert (await view(clocked, silent))["status"] == "DIJAWAB"
    await clocked.advance(timedelta(minutes=1))
    closed = await view(clocked, silent)
    assert (closed["status"], closed["history"][-1]["action"], closed["history"][-1]["actor_role"]) == (
        "SELESAI",
        "AUTO_CLOSE",
        None,
    )
    assert (await view(clocked, replying))["status"] == "DITINDAKLANJUTI"
    tracked = (await clocked.client.get(f"/api/v1/public/complaints/{silent_ticket}")).json()
    assert tracked["status"] == "SELESAI"
    events = await tap.wait_for(silent, lambda evs: bool(evs) and evs[-1][1].get("action") == "AUTO_CLOSE")
    assert events[-1][1]["actor_role"] is None
    late_reply = await clocked.client.post(
        f"/api/v1/public/complaints/{silent_ticket}/replies", json={"text": "Terlambat."}
    )
    assert (late_reply.status_code, late_reply.json()["code"]) == (409, "COMPLAINT_CLOSED")
