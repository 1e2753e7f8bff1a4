"""The SP4N-LAPOR! simulator over real HTTP: client-credential tokens, reports after a cursor,
idempotent follow-ups, outages on demand, and `python -m` with a health route."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from bkpsdm.simulators.span_lapor.server import serve_in_thread
from bkpsdm.testing.processes import free_port


@pytest.fixture
def lapor() -> Iterator[httpx.Client]:
    with serve_in_thread() as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def signed_in(client: httpx.Client) -> dict[str, str]:
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "bkpsdm-singkawang",
            "client_secret": "bkpsdm-lokal-lapor",
        },
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def file(client: httpx.Client, n: int, agency: str = "BKPSDM-SKW", anonim: bool = False) -> str:
    answer = client.post(
        "/api/v1/public/reports",
        json={
            "agency": agency,
            "title": f"L{n}",
            "content": f"Isi {n}",
            "anonim": anonim,
            "reporter": {"name": f"Warga {n}", "email": None, "phone": None},
        },
    )
    assert answer.status_code == 201
    return str(answer.json()["report_id"])


def test_a_token_is_needed_and_only_the_right_client_gets_one(lapor: httpx.Client) -> None:
    assert lapor.get("/api/v1/reports").status_code == 401
    assert lapor.get("/api/v1/reports", headers={"Authorization": "Bearer palsu"}).status_code == 401
    wrong = lapor.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    )
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    grant = lapor.post("/oauth/token", data={"grant_type": "password"})
    assert grant.status_code == 400
    assert lapor.get("/api/v1/reports", headers=signed_in(lapor)).status_code == 200


def test_reports_come_after_the_cursor_for_the_callers_agency_only(lapor: httpx.Client) -> None:
    headers = signed_in(lapor)
    for n in range(1, 6):
        file(lapor, n, anonim=n == 2)
    file(lapor, 99, agency="DINAS-LAIN")
    first = lapor.get("/api/v1/reports", params={"after": 0, "limit": 3}, headers=headers).json()
    assert [r["report_id"] for r in first["reports"]] == ["LPR-0000001", "LPR-0000002", "LPR-0000003"]
    assert (first["last_seq"], first["has_more"]) == (3, True)
    assert first["reports"][1]["reporter"] is None  # anonim: the agency does not get the reporter
    assert first["reports"][0]["reporter"]["name"] == "Warga 1"
    rest = lapor.get("/api/v1/reports", params={"after": 3, "limit": 3}, headers=headers).json()
    assert ([r["seq"] for r in rest["reports"]], rest["has_more"]) == ([4, 5], False)
    empty = lapor.get("/api/v1/reports", params={"after": 5}, headers=headers).json()
    assert (empty["reports"], empty["last_seq"]) == ([], 5)


def test_a_follow_up_is_stored_once_per_idempotency_key(lapor: httpx.Client) -> None:
    headers = signed_in(lapor)
    report = file(lapor, 1)
    body = {"status": "PROSES", "text": "Sedang diproses."}
    first = lapor.post(
        f"/api/v1/reports/{report}/followups", json=body, headers={**headers, "Idempotency-Key": "k1"}
    )
    again = lapor.post(
        f"/api/v1/reports/{report}/followups", json=body, headers={**headers, "Idempotency-Key": "k1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["followup_id"] == again.json()["followup_id"]
    other = lapor.post(
        f"/api/v1/reports/{report}/followups",
        json={**body, "text": "Lain"},
        headers={**headers, "Idempotency-Key": "k1"},
    )
    assert other.status_code == 409
    missing_key = lapor.post(f"/api/v1/reports/{report}/followups", json=body, headers=headers)
    assert missing_key.status_code == 400
    bad_status = lapor.post(
        f"/api/v1/reports/{report}/followups",
        json={"status": "X", "text": "t"},
        headers={**headers, "Idempotency-Key": "k2"},
    )
    assert bad_status.status_code == 422
    stored = lapor.get(f"/api/v1/reports/{report}", headers=headers).json()
    assert ([f["text"] for f in stored["followups"]], stored["status"]) == (["Sedang diproses."], "PROSES")


def test_outages_on_demand_leave_health_and_control_up(lapor: httpx.Client) -> None:
    headers = signed_in(lapor)
    report = file(lapor, 1)
    lapor.post("/sim/outage", json={"mode": "unavailable", "pass_first": 1})
    assert lapor.get("/api/v1/reports", headers=headers).status_code == 200  # let through
    assert lapor.get("/api/v1/reports", headers=headers).status_code == 503
    assert lapor.get("/health").json() == {"status": "ok"}
    file(lapor, 2)  # citizens still file reports
    lapor.post("/sim/outage", json={"mode": "lose_responses", "count": 1})
    lost = lapor.post(
        f"/api/v1/reports/{report}/followups",
        json={"status": "PROSES", "text": "t"},
        headers={**headers, "Idempotency-Key": "k"},
    )
    assert lost.status_code == 502
    state = lapor.get("/sim/state").json()
    assert (state["followups"], state["stats"]["responses_lost"], state["outage"]["mode"]) == (1, 1, "up")
    lapor.post("/sim/outage", json={"mode": "slow", "delay_s": 0.3})
    started = time.monotonic()
    assert lapor.get("/api/v1/reports", headers=headers).status_code == 200
    assert time.monotonic() - started >= 0.3
    lapor.post("/sim/reset")
    assert lapor.get("/sim/state").json()["reports"] == 0


def test_many_reports_can_be_filed_at_once_for_a_catch_up(lapor: httpx.Client) -> None:
    created = lapor.post("/sim/reports/bulk", json={"count": 250}).json()
    assert created == {"created": 250, "last_seq": 250}
    page = lapor.get("/api/v1/reports", params={"after": 0, "limit": 1000}, headers=signed_in(lapor)).json()
    assert len(page["reports"]) == 250


def test_it_runs_alone_as_a_module_with_a_health_route() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bkpsdm.simulators.span_lapor", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json() == {"status": "ok"}
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the simulator did not come up"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(10)
