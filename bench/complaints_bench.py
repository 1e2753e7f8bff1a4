"""Complaints benchmark (issue 10): the public web form's posts per second and latency at the
per-client rate limit, and how long the SP4N-LAPOR! sync takes to catch up with 10,000 reports.

Form part: complaints runs in this process with its real lifespan (pool, migrations, Kafka,
outbox relay, deadline firer) behind uvicorn on a free local port, on a fresh schema. A load
client in a child process (`--load-spec`) posts the form as a browser does: fetch a one-time
token, post the form with it (two requests against the client's budget). All from one address,
so the per-client limit applies to every post:

1. capacity: `--clients` concurrent clients in a closed loop with the limit lifted
   (`--capacity-posts` posts): what the service can take;
2. at the limit: the limit set to `--limit` requests/s (burst = one second of it), an open-loop
   schedule of posts at exactly the limit (limit / 2 posts/s: token + post) for `--seconds`;
   each latency counted from its scheduled send time; no 429 is expected;
3. over the limit: the same schedule at twice the limit: about half is refused with 429, and
   the accepted rate stays at the limit.

LAPOR part: the simulator runs as a process (`python -m bkpsdm.simulators.span_lapor`) with
a fresh complaints service with the sync pointed at it; once its start-up pass found nothing,
`--reports` reports are filed at once (`/sim/reports/bulk`) and one sync pass is timed until
every report is a complaint (each stored with its history row, its two SLA deadlines and its
event in the outbox); a second pass shows nothing is doubled.

    python -m bench.complaints_bench [--json .bench/complaints.json] [--help for every flag]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import structlog
import uvicorn
from fastapi import FastAPI

from bkpsdm.common.db import quote_schema
from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA
from bkpsdm.complaints.bootstrap import bootstrap
from bkpsdm.complaints.lapor_sync import LaporSync
from bkpsdm.complaints.settings import ComplaintsSettings
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.processes import free_port
from bkpsdm.testing.services import settings_for_test

FORM = {
    "title": "Antrean layanan",
    "content": "Antrean di loket layanan kepegawaian terlalu lama.",
    "anonim": "false",
}
GOAL_P99_MS = 250.0


# ---- the load client (a child process) ----


async def post_form(client: httpx.AsyncClient, url: str) -> int:
    token = await client.get(f"{url}/api/v1/public/form-token")
    if token.status_code != 200:
        return token.status_code
    parts = [(k, (None, v.encode())) for k, v in {"form_token": token.json()["form_token"], **FORM}.items()]
    return (await client.post(f"{url}/api/v1/public/complaints", files=parts)).status_code


async def closed_loop(client: httpx.AsyncClient, url: str, posts: int, clients: int) -> dict[str, Any]:
    remaining = posts
    statuses: Counter[int] = Counter()
    latencies: list[float] = []

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            statuses[await post_form(client, url)] += 1
            latencies.append((time.perf_counter() - started) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    seconds = time.perf_counter() - start
    return {"posts": posts, "seconds": seconds, "statuses": dict(statuses), "latencies_ms": latencies}


async def open_loop(client: httpx.AsyncClient, url: str, rate: float, seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    outcomes: list[tuple[int, float]] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        status = await post_form(client, url)
        outcomes.append((status, (loop.time() - due) * 1000))

    start = loop.time() + 0.05
    for index in range(total):
        due = start + index / rate
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return {"rate": rate, "seconds": seconds, "outcomes": outcomes}


async def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=spec["connections"], max_keepalive_connections=spec["connections"])
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        if spec["mode"] == "closed":
            return await closed_loop(client, spec["url"], spec["posts"], spec["clients"])
        return await open_loop(client, spec["url"], spec["rate"], spec["seconds"])


async def load(spec: dict[str, Any]) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.complaints_bench",
        "--load-spec",
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the load client failed ({child.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": cuts[49], "p99_ms": cuts[98], "max_ms": max(values)}


# ---- the service ----


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            raise RuntimeError("the server stopped while starting")
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def drop(dsn: str, schema: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
    finally:
        await conn.close()


async def form_bench(args: argparse.Namespace, infra: Infra) -> dict[str, Any]:
    schema = f"bench_complaints_{uuid.uuid4().hex[:8]}"
    settings = settings_for_test(
        ComplaintsSettings, infra, schema, smtp_enabled=False, public_rate_per_s=1e6, public_burst=1_000_000
    )
    runtime, app = bootstrap(settings)
    out: dict[str, Any] = {"limit_requests_per_s": args.limit}
    try:
        async with serving(app) as url:
            spec = {"url": url, "connections": args.clients}
            await load({**spec, "mode": "closed", "posts": 50, "clients": 4})  # warm-up
            capacity = await load(
                {**spec, "mode": "closed", "posts": args.capacity_posts, "clients": args.clients}
            )
            out["capacity"] = {
                "posts_per_s": capacity["posts"] / capacity["seconds"],
                "statuses": capacity["statuses"],
                **percentiles(capacity["latencies_ms"]),
            }
            for name, factor in (("at_limit", 1.0), ("over_limit", 2.0)):
                # The limit as a deployment sets it (PUBLIC_RATE_PER_S, PUBLIC_BURST), fresh each phase.
                app.state.limiter.reconfigure(args.limit, int(args.limit))
                rate = args.limit / 2 * factor  # each post is two requests: token and form
                result = await load({**spec, "mode": "open", "rate": rate, "seconds": args.seconds})
                accepted = [ms for status, ms in result["outcomes"] if status == 201]
                refused = [ms for status, ms in result["outcomes"] if status == 429]
                out[name] = {
                    "offered_posts_per_s": rate,
                    "accepted_posts_per_s": len(accepted) / args.seconds,
                    "refused_429": len(refused),
                    "other": dict(Counter(s for s, _ in result["outcomes"] if s not in (201, 429))),
                    "accepted": percentiles(accepted),
                    "refused": percentiles(refused),
                }
    finally:
        await drop(infra.database_url, schema)
    del runtime
    out["goals"] = {
        "no_429_at_the_limit": out["at_limit"]["refused_429"] == 0,
        "p99_at_the_limit_below_250_ms": out["at_limit"]["accepted"]["p99_ms"] < GOAL_P99_MS,
        "over_the_limit_held_to_it": out["over_limit"]["accepted_posts_per_s"] <= args.limit / 2 * 1.15,
    }
    return out


async def lapor_bench(args: argparse.Namespace, infra: Infra) -> dict[str, Any]:
    port = free_port()
    simulator = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bkpsdm.simulators.span_lapor",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    schema = f"bench_lapor_{uuid.uuid4().hex[:8]}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as sim:
            for _ in range(100):
                try:
                    if (await sim.get("/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        settings = settings_for_test(
            ComplaintsSettings,
            infra,
            schema,
            smtp_enabled=False,
            lapor_base_url=url,
            lapor_page_size=args.page_size,
            lapor_sync_interval_s=3600,  # the bench runs the passes
        )
        runtime, app = bootstrap(settings)
        async with app.router.lifespan_context(app):
            sync: LaporSync = app.state.lapor
            await sync.sync_once()  # the start-up pass (nothing there yet) is over
            # The reports pile up while the agency is not looking (an outage, a new deployment).
            async with httpx.AsyncClient(base_url=url, timeout=120) as sim:
                await sim.post("/sim/reports/bulk", json={"count": args.reports})
            started = time.perf_counter()
            first = await sync.sync_once()
            seconds = time.perf_counter() - started
            again = await sync.sync_once()
            async with runtime.db.pool.acquire() as conn:
                stored = await conn.fetchval(f"SELECT count(*) FROM {quote_schema(schema)}.complaints")
                distinct = await conn.fetchval(
                    f"SELECT count(DISTINCT lapor_id) FROM {quote_schema(schema)}.complaints"
                )
    finally:
        simulator.terminate()
        await simulator.wait()
        await drop(infra.database_url, schema)
    return {
        "reports": args.reports,
        "page_size": args.page_size,
        "catch_up_s": seconds,
        "reports_per_s": args.reports / seconds,
        "timed_pass": vars(first),
        "second_pass": vars(again),
        "complaints": stored,
        "distinct_lapor_ids": distinct,
        "goals": {
            "nothing_lost_or_doubled": stored == distinct == args.reports,
            "second_pass_empty": again.pulled == 0,
        },
    }


def report(form: dict[str, Any] | None, lapor: dict[str, Any] | None) -> None:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISS"

    if form is not None:
        cap, at, over = form["capacity"], form["at_limit"], form["over_limit"]
        print(
            f"Public web form (token + post per complaint), one client address, limit {form['limit_requests_per_s']:g} requests/s"
        )
        print(
            f"  capacity (limit lifted): {cap['posts_per_s']:.0f} posts/s, p50 {cap['p50_ms']:.0f} ms, p99 {cap['p99_ms']:.0f} ms, {cap['statuses']}"
        )
        print(
            f"  at the limit: offered {at['offered_posts_per_s']:.0f}/s, accepted {at['accepted_posts_per_s']:.1f}/s,"
            f" p99 {at['accepted']['p99_ms']:.0f} ms, 429s {at['refused_429']} "
            f"{mark(form['goals']['no_429_at_the_limit'] and form['goals']['p99_at_the_limit_below_250_ms'])}"
        )
        print(
            f"  twice the limit: offered {over['offered_posts_per_s']:.0f}/s, accepted {over['accepted_posts_per_s']:.1f}/s,"
            f" 429s {over['refused_429']} (p99 {over['refused']['p99_ms']:.0f} ms), accepted p99"
            f" {over['accepted']['p99_ms']:.0f} ms {mark(form['goals']['over_the_limit_held_to_it'])}"
        )
    if lapor is not None:
        print(f"SP4N-LAPOR! catch-up: {lapor['reports']:,} pending reports, pages of {lapor['page_size']}")
        print(
            f"  {lapor['catch_up_s']:.1f} s ({lapor['reports_per_s']:.0f} reports/s); stored {lapor['complaints']:,},"
            f" distinct {lapor['distinct_lapor_ids']:,}; second pass pulled {lapor['second_pass']['pulled']}"
            f" {mark(all(lapor['goals'].values()))}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--limit", type=float, default=40.0, help="per-client limit, requests/s, for phases 2-3"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of each open-loop phase")
    parser.add_argument("--capacity-posts", type=int, default=600, help="posts of the capacity phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients / connections")
    parser.add_argument("--reports", type=int, default=10_000, help="pending SP4N-LAPOR! reports; 0 skips")
    parser.add_argument("--page-size", type=int, default=500, help="reports per sync page")
    parser.add_argument("--no-form", action="store_true", help="skip the web form part")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--load-spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_spec:
        print(json.dumps(asyncio.run(run_load(json.loads(args.load_spec)))))
        return
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    ensure_local_auth()
    infra = Infra(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA,
        os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL,
        "environment or local defaults",
    )
    form = None if args.no_form else asyncio.run(form_bench(args, infra))
    lapor = asyncio.run(lapor_bench(args, infra)) if args.reports > 0 else None
    report(form, lapor)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        settings = {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "load_spec"
        }
        args.json.write_text(
            json.dumps({"settings": settings, "form": form, "lapor": lapor}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
