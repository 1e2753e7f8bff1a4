"""5,000 rows through BKN's bad day: 5xx, 429 with Retry-After, timeouts and dropped connections
on a fifth of the calls, before and after BKN stored the record. Read back from the simulator:
every row stored exactly once; the result event and the report say the same."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import LAPKIN_UPLOADS, UPLOAD_REQUESTS
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.uploads import (
    ELAPKIN_HEADER,
    RecapServer,
    elapkin_row,
    publish,
    recap_csv,
    simulator_records,
    simulator_stats,
    topic_tail,
    upload_request,
)

pytestmark = pytest.mark.integration

ROWS = 5000
# Rules are drawn in order, the first that fires decides: together about 21% of calls.
FAULTS: dict[str, Any] = {
    "seed": 20261123,
    "rules": [
        {"kind": "error_5xx", "rate": 0.03, "phase": "before"},
        {"kind": "error_5xx", "rate": 0.03, "phase": "after", "scope": "save"},
        {"kind": "throttle", "rate": 0.05, "retry_after_s": 0},
        {"kind": "timeout", "rate": 0.025, "phase": "before", "delay_s": 0.3},
        {"kind": "timeout", "rate": 0.025, "phase": "after", "delay_s": 0.3, "scope": "save"},
        {"kind": "drop", "rate": 0.03, "phase": "before"},
        {"kind": "drop", "rate": 0.03, "phase": "after", "scope": "save"},
    ],
}


async def test_5000_rows_under_20_percent_faults_are_stored_exactly_once(
    infra: Infra,
    recaps: RecapServer,
    simulator: Callable[..., str],
    lapkin_settings: Callable[..., Any],
    lapkin: Callable[..., Any],
) -> None:
    bkn = simulator(FAULTS)
    submission = f"sub-{uuid.uuid4().hex[:10]}"
    rows = [elapkin_row(i, "2025") for i in range(ROWS)]
    request = upload_request(
        submission, "E-LAPKIN", recaps.add(submission, recap_csv(ELAPKIN_HEADER, rows), ROWS), period="2025"
    )
    started = time.monotonic()
    async with (
        topic_tail(infra.kafka_bootstrap_servers, LAPKIN_UPLOADS.name) as results,
        lapkin(lapkin_settings(bkn)) as (_, client),
    ):
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, request, "cid-faults")
        record = await results.wait_for(lambda r: r.key == submission.encode(), within_s=240)
        finished = results.value(record)
        report = (
            await client.get(
                f"/api/v1/uploads/{request.request_id}/report", headers=bearer(Role.KEPALA_BADAN)
            )
        ).json()
    elapsed = time.monotonic() - started

    stored = await simulator_records(bkn, "skp")
    stats = await simulator_stats(bkn)
    print(f"\n{ROWS} rows in {elapsed:.1f}s; simulator: {stats}")
    # Every row exactly once at BKN, read back: one record per employee-year, written once.
    assert stored["count"] == ROWS
    assert {r["natural_key"] for r in stored["records"]} == {f"{row['NIP']}/2025" for row in rows}
    assert [r for r in stored["records"] if r["writes"] != 1] == []
    assert stats["writes"] == ROWS
    assert stats["idempotency_conflicts"] == 0
    # The faults really happened, also after BKN had stored (answers lost: replays, not duplicates).
    assert stats["faults_injected"] >= 0.18 * stats["api_requests"]
    assert stats["faults"]["drop"]["after"] > 0
    assert stats["faults"]["timeout"]["after"] > 0
    assert stats["idempotent_replays"] > 0
    # The result event and the report say what the simulator holds.
    assert finished["outcome"] == "COMPLETED"
    assert (finished["rows_total"], finished["rows_stored"], finished["rows_failed"]) == (ROWS, ROWS, 0)
    assert finished["adapter"] == "http"
    assert finished["rules_version"] == "skp-predikat 2022.1"
    assert finished["report_url"] == f"/api/v1/uploads/{request.request_id}/report"
    assert report["counts"]["stored"] == stored["count"]
    assert report["counts"]["total"] == ROWS
    assert report["rows_not_stored"] == []
