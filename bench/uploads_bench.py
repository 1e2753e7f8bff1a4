"""Uploaders benchmark (issue 8): IP-ASN computations for 100,000 employees, upload throughput as a
share of the BKN simulator's rate limit, and a 20,000-row recap from request to report.

1. **IP-ASN compute**: 100,000 employees (`--employees`; 1,000 distinct profiles repeated, as
   the unit test does) through `compute_all`, CPU and wall time, median of `--compute-runs`
   (goal: under 2 s); the whole plan of the same number of recap rows (reading the cells,
   computing, explaining every person, aggregating per unit and category, from the CSV) is timed
   beside it.
2. **Throughput**: the BKN simulator as a process with `--rate-limit-rps` (burst = the rate);
   lapkin-uploader in this process at `--client-share` of that rate (burst 5) uploads a
   `--throughput-rows` E-LAPKIN recap through the real pipeline (Kafka request, recap fetched
   by reference, PostgreSQL rows, outbox result). Saves per second between BKN's first and last
   write, as a share of the limit (goal >= 0.9), the 429s the simulator answered, and the rate
   from the request to the result event (planning and the event included).
3. **End to end**: a `--e2e-rows` (default 20,000) IP-ASN recap, no rate limit, no faults:
   request published -> upload accepted (recap fetched, read, every person computed and
   explained, rows stored) -> result event -> report downloaded as JSON, XLSX and PDF.

Runs against the running Kafka and PostgreSQL (environment or local defaults) on fresh schemas,
which it drops. `.venv/bin/python -m bench.uploads_bench [--json .bench/uploads.json]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import IPASN_UPLOADS, LAPKIN_UPLOADS, UPLOAD_REQUESTS
from bkpsdm.common.db import create_pool, quote_schema
from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA
from bkpsdm.common.uploads.recap_table import read_recap
from bkpsdm.ipasn_uploader import bootstrap as ipasn_bootstrap
from bkpsdm.ipasn_uploader.domain.ipasn import Hukdis, Pegawai, PelatihanTeknis, compute_all
from bkpsdm.ipasn_uploader.domain.mapping import COLUMNS, plan_recap
from bkpsdm.ipasn_uploader.domain.ruleset import load_ipasn_rules
from bkpsdm.ipasn_uploader.settings import IpasnUploaderSettings
from bkpsdm.lapkin_uploader import bootstrap as lapkin_bootstrap
from bkpsdm.lapkin_uploader.settings import LapkinUploaderSettings
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.processes import free_port
from bkpsdm.testing.services import running_service, settings_for_test
from bkpsdm.testing.uploads import (
    ELAPKIN_HEADER,
    IPASN_HEADER,
    bkn_simulator,
    elapkin_row,
    ipasn_row,
    publish,
    recap_csv,
    recap_server,
    simulator_records,
    simulator_stats,
    start_group_at_end,
    topic_tail,
    upload_request,
    wait_until,
)

GOAL_COMPUTE_S = 2.0
GOAL_SHARE = 0.9
AS_OF = date(2025, 12, 31)


# ---- 1. IP-ASN compute ----


PREDIKAT: list[str | int] = ["Sangat Baik", "Baik", "Butuh Perbaikan", 2]


def _people(n: int) -> list[Pegawai]:
    rnd = random.Random(2025)
    codes = [p.code for p in load_ipasn_rules().kualifikasi.pendidikan]
    jabatan = ["Guru Ahli Muda", "Analis Kepegawaian Ahli Pertama", "Perawat Terampil", "Pranata Komputer"]
    distinct = []
    for i in range(1000):
        jenis = rnd.choice(["struktural", "fungsional", "pelaksana"])
        distinct.append(
            Pegawai(
                nip=f"{199001012015031000 + i}",
                unit_kerja=f"Perangkat Daerah {i % 40:02d}",
                pendidikan=rnd.choice(codes),
                jenis_jabatan=jenis,
                nama_jabatan=rnd.choice(jabatan),
                eselon=rnd.randint(2, 4) if jenis == "struktural" else None,
                diklat_pim=frozenset({rnd.randint(2, 4)}) if rnd.random() < 0.6 else frozenset(),
                diklat_fungsional=rnd.random() < 0.3,
                pelatihan_teknis=tuple(
                    PelatihanTeknis(
                        date(rnd.randint(2024, 2025), rnd.randint(1, 12), 1), rnd.choice([8, 12, 24])
                    )
                    for _ in range(rnd.randint(0, 3))
                ),
                seminar=tuple(date(rnd.randint(2022, 2025), 6, 1) for _ in range(rnd.randint(0, 2))),
                skp_nilai=Decimal(rnd.randint(4000, 10000)) / 100 if rnd.random() < 0.5 else None,
                skp_predikat=rnd.choice(PREDIKAT) if rnd.random() < 0.5 else None,
                hukdis=(Hukdis("ringan", date(2023, 3, 1)),) if rnd.random() < 0.05 else (),
            )
        )
    return (distinct * (n // len(distinct) + 1))[:n]


def compute_bench(employees: int, runs: int) -> dict[str, Any]:
    rules = load_ipasn_rules()
    people = _people(employees)
    cpu_runs, wall_runs = [], []
    for _ in range(runs):
        cpu, wall = time.process_time(), time.perf_counter()
        results, rejected = compute_all(people, rules, AS_OF)
        cpu_runs.append(time.process_time() - cpu)
        wall_runs.append(time.perf_counter() - wall)
        assert len(results) + len(rejected) == employees
    data = recap_csv(IPASN_HEADER, [ipasn_row(i, "2025") for i in range(employees)])
    wall = time.perf_counter()
    plan = plan_recap(read_recap(data, "csv", COLUMNS), period="2025", rules=rules)
    plan_s = time.perf_counter() - wall
    assert len(plan.rows) == employees
    cpu_s = statistics.median(cpu_runs)
    return {
        "employees": employees,
        "compute_cpu_s": round(cpu_s, 3),
        "compute_wall_s": round(statistics.median(wall_runs), 3),
        "per_second": round(employees / cpu_s),
        "runs_cpu_s": [round(x, 3) for x in cpu_runs],
        "full_plan_wall_s": round(plan_s, 3),
        "goal_under_2_s": cpu_s < GOAL_COMPUTE_S,
    }


# ---- 2 and 3: the uploaders in this process ----


async def _upload(
    infra: Infra,
    *,
    service: str,
    rows: int,
    bkn_faults: dict[str, Any],
    settings_extra: dict[str, Any],
    report_files: bool,
) -> dict[str, Any]:
    lapkin = service == "E-LAPKIN"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    settings_cls: Any = LapkinUploaderSettings if lapkin else IpasnUploaderSettings
    bootstrap: Callable[[Any], Any] = lapkin_bootstrap.bootstrap if lapkin else ipasn_bootstrap.bootstrap
    topic = LAPKIN_UPLOADS if lapkin else IPASN_UPLOADS
    data = (
        recap_csv(ELAPKIN_HEADER, [elapkin_row(i, "2025") for i in range(rows)])
        if lapkin
        else recap_csv(IPASN_HEADER, [ipasn_row(i, "2025") for i in range(rows)])
    )
    figures: dict[str, Any] = {"service": service, "rows": rows}
    pool = await create_pool(infra.database_url, 1, 2)
    try:
        with bkn_simulator(free_port(), bkn_faults) as bkn, recap_server() as recaps:
            settings = settings_for_test(
                settings_cls,
                infra,
                schema,
                intake_base_url=recaps.base_url,
                intake_token_key_file=ensure_local_auth() / "private.pem",
                bkn_base_url=bkn,
                **settings_extra,
            )
            group = f"{'lapkin' if lapkin else 'ipasn'}-uploader.upload-requests-{schema}"
            await start_group_at_end(infra.kafka_bootstrap_servers, group)
            submission = f"bench-{uuid.uuid4().hex[:10]}"
            request = upload_request(submission, service, recaps.add(submission, data, rows), period="2025")
            async with (
                topic_tail(infra.kafka_bootstrap_servers, topic.name) as results,
                running_service(bootstrap, settings) as (_, client),
            ):
                started = time.perf_counter()
                await publish(infra.kafka_bootstrap_servers, UPLOAD_REQUESTS, request)

                async def accepted() -> bool:
                    async with pool.acquire() as conn:
                        found = await conn.fetchval(
                            f"SELECT 1 FROM {quote_schema(schema)}.uploads WHERE request_id = $1",
                            request.request_id,
                        )
                    return found is not None

                await wait_until(accepted, 600, "the upload accepted")
                figures["accepted_s"] = round(time.perf_counter() - started, 3)
                record = await results.wait_for(lambda r: r.key == submission.encode(), within_s=3600)
                figures["finished_s"] = round(time.perf_counter() - started, 3)
                finished = results.value(record)
                figures["outcome"] = finished["outcome"]
                figures["rows_stored"] = finished["rows_stored"]
                if report_files:
                    headers = bearer(Role.KEPALA_BADAN)
                    for suffix in ("", ".xlsx", ".pdf"):
                        t = time.perf_counter()
                        answer = await client.get(f"{finished['report_url']}{suffix}", headers=headers)
                        assert answer.status_code == 200, answer.text
                        figures[f"report{suffix or '.json'}_s"] = round(time.perf_counter() - t, 3)
                        figures[f"report{suffix or '.json'}_bytes"] = len(answer.content)
                    figures["request_to_report_s"] = round(time.perf_counter() - started, 3)
            figures["simulator"] = await simulator_stats(bkn)
            stored = (await simulator_records(bkn, "skp" if lapkin else "ipasn"))["records"]
            firsts = sorted(datetime.fromisoformat(r["first_written_at"]) for r in stored)
            figures["upload_window_s"] = round((firsts[-1] - firsts[0]).total_seconds(), 3) if firsts else 0.0
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
        await pool.close()
    return figures


async def throughput_bench(infra: Infra, rows: int, rps: float, share: float) -> dict[str, Any]:
    figures = await _upload(
        infra,
        service="E-LAPKIN",
        rows=rows,
        bkn_faults={"rate_limit_rps": rps, "rate_limit_burst": max(1, int(rps))},
        settings_extra={"bkn_rate_limit_rps": rps * share, "bkn_rate_limit_burst": 5, "bkn_concurrency": 16},
        report_files=False,
    )
    # Saves per second while uploading (BKN's first write of the first and the last record), and
    # from the request to the result event (fetching and planning the recap included).
    rate = (rows - 1) / figures["upload_window_s"]
    figures |= {
        "rate_limit_rps": rps,
        "client_rps": rps * share,
        "rows_per_s": round(rate, 2),
        "share_of_limit": round(rate / rps, 3),
        "request_to_result_rows_per_s": round(rows / figures["finished_s"], 2),
        "responses_429": figures["simulator"]["rate_limited"],
    }
    figures["goal_share_at_least_0_9"] = figures["share_of_limit"] >= GOAL_SHARE
    return figures


async def e2e_bench(infra: Infra, rows: int) -> dict[str, Any]:
    figures = await _upload(
        infra,
        service="IP-ASN",
        rows=rows,
        bkn_faults={},
        settings_extra={"bkn_rate_limit_rps": None, "bkn_concurrency": 16},
        report_files=True,
    )
    figures["rows_per_s"] = round(rows / figures["finished_s"], 1)
    return figures


def quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(
    compute: dict[str, Any] | None, throughput: dict[str, Any] | None, e2e: dict[str, Any] | None
) -> None:
    print("\n== Uploaders benchmark ==")
    if compute:
        print(
            f"IP-ASN compute, {compute['employees']:,} employees: {compute['compute_cpu_s']:.2f} s CPU"
            f" ({compute['compute_wall_s']:.2f} s wall), {compute['per_second']:,}/s"
            f" (goal < {GOAL_COMPUTE_S:g} s) {mark(compute['goal_under_2_s'])};"
            f" whole plan (read the CSV, cells, compute, explain, aggregate): {compute['full_plan_wall_s']:.2f} s wall"
        )
    if throughput:
        print(
            f"Throughput, {throughput['rows']:,} rows at a {throughput['rate_limit_rps']:g}/s limit"
            f" (client {throughput['client_rps']:.1f}/s): {throughput['rows_per_s']:.1f} rows/s ="
            f" {throughput['share_of_limit']:.2f} of the limit (goal >= {GOAL_SHARE}) "
            f"{mark(throughput['goal_share_at_least_0_9'])}; 429s: {throughput['responses_429']};"
            f" request to result event {throughput['request_to_result_rows_per_s']:.1f} rows/s"
        )
    if e2e:
        print(
            f"End to end, {e2e['rows']:,}-row IP-ASN recap: accepted after {e2e['accepted_s']:.2f} s,"
            f" result event after {e2e['finished_s']:.2f} s ({e2e['rows_per_s']:.0f} rows/s, {e2e['outcome']}),"
            f" report JSON {e2e['report.json_s']:.2f} s, XLSX {e2e['report.xlsx_s']:.2f} s,"
            f" PDF {e2e['report.pdf_s']:.2f} s; request to report {e2e['request_to_report_s']:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--employees", type=int, default=100_000, help="IP-ASN compute; 0 skips it")
    parser.add_argument("--compute-runs", type=int, default=3, help="timed compute runs (median)")
    parser.add_argument(
        "--throughput-rows", type=int, default=1500, help="rows of the throughput run; 0 skips it"
    )
    parser.add_argument("--rate-limit-rps", type=float, default=50.0, help="the simulator's rate limit")
    parser.add_argument(
        "--client-share", type=float, default=0.97, help="the uploader's limit, share of the quota"
    )
    parser.add_argument("--e2e-rows", type=int, default=20_000, help="rows of the end-to-end run; 0 skips it")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    quiet_logs()
    ensure_local_auth()
    infra = Infra(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA,
        os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL,
        "environment or local defaults",
    )
    compute = compute_bench(args.employees, args.compute_runs) if args.employees else None
    throughput = (
        asyncio.run(throughput_bench(infra, args.throughput_rows, args.rate_limit_rps, args.client_share))
        if args.throughput_rows
        else None
    )
    e2e = asyncio.run(e2e_bench(infra, args.e2e_rows)) if args.e2e_rows else None
    report(compute, throughput, e2e)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        settings = {k: v for k, v in vars(args).items() if k != "json"}
        out = {"settings": settings, "compute": compute, "throughput": throughput, "end_to_end": e2e}
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
