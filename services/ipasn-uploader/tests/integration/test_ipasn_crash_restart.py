"""The uploader SIGKILLed mid-batch and started again: it resumes from the rows still pending,
and the rows it had sent without recording the answer go again with the same Idempotency-Key,
so BKN replays them. Read back from the simulator: every person once, no second record."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import IPASN_UPLOADS, UPLOAD_REQUESTS
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.uploads import (
    IPASN_HEADER,
    RecapServer,
    ipasn_row,
    publish,
    recap_csv,
    simulator_records,
    simulator_stats,
    topic_tail,
    upload_request,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 600


async def test_a_sigkill_mid_batch_and_a_restart_create_no_duplicate_at_bkn(
    infra: Infra,
    recaps: RecapServer,
    simulator: Callable[..., str],
    ipasn_process: Callable[..., ServiceProcess],
) -> None:
    # 20 ms per call and 8 at once: about 400 rows a second, so the kill lands mid-batch.
    bkn = simulator({"latency_ms": 20, "rules": [{"kind": "error_5xx", "rate": 0.05, "phase": "after"}]})
    submission = f"sub-{uuid.uuid4().hex[:10]}"
    rows = [ipasn_row(i, "2025") for i in range(ROWS)]
    request = upload_request(
        submission, "IP-ASN", recaps.add(submission, recap_csv(IPASN_HEADER, rows), ROWS), period="2025"
    )
    first = ipasn_process(bkn)
    await asyncio.to_thread(first.wait_ready)
    async with topic_tail(infra.kafka_bootstrap_servers, IPASN_UPLOADS.name) as results:
        await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, request, "cid-crash")

        async def stored() -> int:
            return int((await simulator_records(bkn, "ipasn"))["count"])

        await wait_until(lambda: stored_at_least(stored, 150), 60, "150 rows at BKN")
        first.kill()  # SIGKILL: no shutdown, answers in the write buffer lost
        at_kill = await stored()
        assert at_kill < ROWS, "the upload finished before the kill: make it slower"

        second = ipasn_process(bkn)
        await asyncio.to_thread(second.wait_ready)
        finished = results.value(await results.wait_for(lambda r: r.key == submission.encode(), 120))
        async with httpx.AsyncClient(base_url=second.base_url) as client:
            report = (await client.get(finished["report_url"], headers=bearer(Role.UNIT_PENGOLAH))).json()

    records = await simulator_records(bkn, "ipasn")
    stats = await simulator_stats(bkn)
    print(f"\nkilled with {at_kill} of {ROWS} stored; simulator: {stats}")
    assert records["count"] == ROWS
    assert [r for r in records["records"] if r["writes"] != 1] == []
    assert stats["writes"] == ROWS
    assert stats["idempotency_conflicts"] == 0
    assert stats["idempotent_replays"] > 0  # rows sent again after the restart were replays
    assert finished["outcome"] == "COMPLETED"
    assert finished["rows_stored"] == ROWS
    assert finished["rules_version"] == "ipasn 2019.1"
    assert report["counts"]["stored"] == records["count"]
    assert "Pegawai 1" not in first.log_text()  # names are not logged
    assert any(line.get("event") == "upload.running" for line in second.json_lines())


async def stored_at_least(count: Callable[[], Any], n: int) -> bool:
    return bool(await count() >= n)
