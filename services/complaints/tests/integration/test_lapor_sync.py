"""SP4N-LAPOR! sync against the simulator over real HTTP: reports are pulled in and follow-ups
pushed back; the simulator goes down in the middle of a pull and while follow-ups wait, and
loses answers to stored follow-ups; afterwards every report is here once and every follow-up
is there once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.simulators.span_lapor.server import serve_in_thread
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
SEKRETARIS = bearer(Role.SEKRETARIS)
BIDANG = bearer(Role.KEPALA_BIDANG, unit="BIDANG-PKA")


@pytest.fixture(scope="module")
async def synced(
    infra: Infra, pool: asyncpg.Pool, start_complaints: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    with serve_in_thread() as url:
        async with (
            start_complaints(
                infra,
                pool,
                lapor_base_url=url,
                lapor_sync_interval_s=600,  # passes are run by the test
                lapor_page_size=3,
                lapor_retry_attempts=2,
                lapor_breaker_threshold=3,
                lapor_breaker_ttl_s=1.0,
            ) as running,
            httpx.AsyncClient(base_url=url) as lapor,
        ):
            yield running, lapor


async def file_reports(lapor: httpx.AsyncClient, first: int, count: int) -> None:
    for n in range(first, first + count):
        filed = await lapor.post(
            "/api/v1/public/reports",
            json={
                "agency": "BKPSDM-SKW",
                "title": f"Laporan {n}",
                "content": f"Isi laporan nomor {n}.",
                "category": "ASPIRASI" if n % 2 else "PENGADUAN",
                "anonim": n % 3 == 0,
                "reporter": {"name": f"Warga {n}", "email": f"warga{n}@contoh.id"},
            },
        )
        assert filed.status_code == 201


async def sync(complaints: Any) -> dict[str, Any]:
    answer = await complaints.client.post("/api/v1/lapor/sync", headers=OFFICER)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def lapor_complaints(complaints: Any) -> list[dict[str, Any]]:
    listed = await complaints.client.get("/api/v1/complaints?channel=SP4N_LAPOR&limit=200", headers=OFFICER)
    return [
        (await complaints.client.get(f"/api/v1/complaints/{c['complaint_id']}", headers=OFFICER)).json()
        for c in listed.json()
    ]


async def answer(complaints: Any, complaint_id: str, text: str) -> None:
    for headers, body in (
        (OFFICER, {"action": "VERIFY"}),
        (SEKRETARIS, {"action": "ASSIGN", "unit": "BIDANG-PKA"}),
        (BIDANG, {"action": "FOLLOW_UP", "note": "Diperiksa."}),
        (OFFICER, {"action": "ANSWER", "note": text}),
    ):
        assert (await complaints.act(complaint_id, headers, **body)).status_code == 200


async def test_a_round_trip_survives_an_outage_mid_pull_and_mid_push_without_losing_or_doubling(
    synced: tuple[Any, httpx.AsyncClient],
) -> None:
    complaints, lapor = synced
    await sync(complaints)  # nothing yet; the token is taken
    await file_reports(lapor, 1, 7)
    # Down after the first page of three: the pull stops in the middle.
    await lapor.post("/sim/outage", json={"mode": "unavailable", "pass_first": 1})
    interrupted = await sync(complaints)
    assert (interrupted["pulled"], interrupted["error"] is not None) == (3, True)
    assert sorted(c["lapor_id"] for c in await lapor_complaints(complaints)) == [
        "LPR-0000001",
        "LPR-0000002",
        "LPR-0000003",
    ]

    # While it is down: more reports are filed there, two complaints are answered here.
    await file_reports(lapor, 8, 2)
    here = {c["lapor_id"]: c for c in await lapor_complaints(complaints)}
    await answer(complaints, here["LPR-0000001"]["complaint_id"], "Jawaban untuk laporan 1.")
    await answer(complaints, here["LPR-0000002"]["complaint_id"], "Jawaban untuk laporan 2.")
    failing = await sync(complaints)
    assert (failing["pulled"], failing["pushed"], failing["pending_pushes"]) == (0, 0, 4)
    # After a few failed passes the circuit opens: passes then fail fast, no call goes out.
    for _ in range(5):
        if "circuit open" in ((await sync(complaints))["error"] or ""):
            break
    refused = (await lapor.get("/sim/state")).json()["stats"]["refused_in_outage"]
    assert "circuit open" in (await sync(complaints))["error"]
    assert (await lapor.get("/sim/state")).json()["stats"]["refused_in_outage"] == refused

    await lapor.post("/sim/outage", json={"mode": "up"})
    await _until_caught_up(complaints)
    mine = {c["lapor_id"]: c for c in await lapor_complaints(complaints)}
    assert sorted(mine) == [f"LPR-{n:07d}" for n in range(1, 10)]
    for n in (1, 2):
        report = (await lapor.get(f"/sim/reports/LPR-{n:07d}")).json()
        assert [(f["status"], f["text"]) for f in report["followups"]] == [
            ("PROSES", "Laporan Anda telah diverifikasi oleh BKPSDM dan sedang diteruskan."),
            ("TINDAK_LANJUT", f"Jawaban untuk laporan {n}."),
        ]
        assert report["status"] == "TINDAK_LANJUT"
    # An anonymous report reached us without its reporter; the others with theirs (officer only).
    assert mine["LPR-0000003"]["anonim"] is True
    assert mine["LPR-0000003"]["reporter"] is None
    assert mine["LPR-0000004"]["reporter"]["email"] == "warga4@contoh.id"
    assert (mine["LPR-0000004"]["classification"], mine["LPR-0000005"]["classification"]) == (
        "PENGADUAN",
        "ASPIRASI",
    )

    # A follow-up stored there whose answer is lost on the way: sent again, recognised, once.
    await answer(complaints, mine["LPR-0000004"]["complaint_id"], "Jawaban untuk laporan 4.")
    await lapor.post("/sim/outage", json={"mode": "lose_responses", "count": 1})
    await _until_caught_up(complaints)
    report = (await lapor.get("/sim/reports/LPR-0000004")).json()
    assert [f["status"] for f in report["followups"]] == ["PROSES", "TINDAK_LANJUT"]
    stats = (await lapor.get("/sim/state")).json()["stats"]
    assert (stats["responses_lost"], stats["followups_replayed"]) == (1, 1)

    # Nothing left to do, and doing it again changes nothing.
    again = await sync(complaints)
    assert (again["pulled"], again["pushed"], again["pending_pushes"], again["error"]) == (0, 0, 0, None)
    assert len(await lapor_complaints(complaints)) == 9
    assert (await lapor.get("/sim/state")).json()["followups"] == 6


async def _until_caught_up(complaints: Any) -> None:
    """Passes until one ends without an error (the circuit half-opens after its TTL)."""
    for _ in range(20):
        result = await sync(complaints)
        if result["error"] is None and result["pending_pushes"] == 0:
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"the sync did not catch up: {result}")
