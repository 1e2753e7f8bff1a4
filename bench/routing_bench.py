"""Routing benchmark (issue 7): officials' actions per second over HTTP beside a bare endpoint
doing the same writes; event-to-inbox latency under load and routing's consume rate beside
the raw consume-and-commit rate of the same topic; due-time computations per second.

Routing runs in this process with its real lifespan (pool, migrations, Kafka consumers,
outbox relay, deadline firer) behind uvicorn on a free local port, on a fresh schema, its
consumer groups starting at the shared topics' end (earlier events belong to other runs).

1. Actions: `--cases` cases per round are opened through routing's own use case, then
   `--clients` concurrent clients (a child process, `--same-process-client` to keep them in
   the servers' loop) take each case through four actions (register, forward, forward,
   paraf), each one POST with the caller's JWT and a client key. Beside it, on another port
   of the same loop, a bare FastAPI endpoint does per request what an action writes at least
   (lock the case row, update its step, append a history row) in one transaction, with a
   pool of the same size: no sign-in, no workflow, no deadlines, no outbox. Alternating
   order, `--rounds` rounds, medians.
2. Event to inbox: `SubmissionReceived` events are published to the real submissions topic
   at `--rate` per second for `--seconds`; each one's latency runs from just before its
   send to the moment its case is visible in the database the inbox reads (polled every
   5 ms). Then a burst of `--burst` events is sent at once: routing's rate (events until the
   last case is visible) beside a raw aiokafka consumer of its own group reading the same
   offsets and committing after each fetched batch.
3. Due times: `SlaClock.step` and `SlaClock.case` over `--due-computations` random instants
   of 2026 on the default calendar (holidays and cuti bersama included), single thread.

    python -m bench.routing_bench [--json .bench/routing.json] [--help for every flag]
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
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI

from bench.intake_bench import percentiles, serving
from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import SUBMISSIONS, TOPICS, SubmissionReceived
from bkpsdm.common.db import create_pool, quote_schema
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.logs import configure_logging
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA
from bkpsdm.routing import service
from bkpsdm.routing.adapters.repository import PostgresRoutingUnitOfWork
from bkpsdm.routing.bootstrap import bootstrap
from bkpsdm.routing.domain.sla import SlaClock
from bkpsdm.routing.entrypoints.handlers import INPUTS
from bkpsdm.routing.ports import RoutingContext
from bkpsdm.routing.settings import IDENTITY, RoutingSettings
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.services import settings_for_test

ACTIONS = ("register", "forward", "forward", "paraf")


def submission(unit: str = "BENCH") -> SubmissionReceived:
    return SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        service_code="E-LAPKIN",
        perangkat_daerah=unit,
        title="Rekap SKP (bench)",
        received_at=datetime.now(UTC),
    )


async def start_at_end(bootstrap_servers: str, suffix: str) -> None:
    """Routing's consumer groups for `suffix` start where the shared topics end now."""
    await ensure_topics(bootstrap_servers, TOPICS)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in INPUTS.values()])
    finally:
        await admin.close()
    for d in described:
        purposes = [p for p, t in INPUTS.items() if t.name == d["topic"]]
        partitions = [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
        for purpose in purposes:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=bootstrap_servers,
                group_id=f"routing.{purpose}{suffix}",
                enable_auto_commit=False,
            )
            await consumer.start()
            try:
                consumer.assign(partitions)
                await consumer.commit(await consumer.end_offsets(partitions))
            finally:
                await consumer.stop()


# ---- 1. actions over HTTP ----


def bare_app(dsn: str, schema: str, pool_min: int, pool_max: int) -> FastAPI:
    cases, history = f"{quote_schema(schema)}.cases", f"{quote_schema(schema)}.case_history"
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pools.append(await create_pool(dsn, pool_min, pool_max))
        try:
            yield
        finally:
            await pools[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/bare/cases/{case_id}/{action}")
    async def act(case_id: uuid.UUID, action: str) -> dict[str, Any]:
        async with pools[0].acquire() as conn, conn.transaction():
            step = await conn.fetchval(f"SELECT step FROM {cases} WHERE case_id = $1 FOR UPDATE", case_id)
            await conn.execute(
                f"UPDATE {cases} SET step = $2, step_visit = step_visit + 1, step_entered_at = now() WHERE case_id = $1",
                case_id,
                f"{step}+{action}",
            )
            seq = await conn.fetchval(
                f"INSERT INTO {history} (case_id, seq, at, action, from_step, to_step, details)"
                f" SELECT $1, coalesce(max(seq), 0) + 1, now(), $2, $3, $3, '{{}}' FROM {history} WHERE case_id = $1"
                " RETURNING seq",
                case_id,
                action,
                step,
            )
        return {"case_id": str(case_id), "action": action, "history_seq": seq}

    return app


async def run_actions(spec: dict[str, Any]) -> dict[str, Any]:
    """One closed-loop phase: each client takes the next case and sends its four actions."""
    queue = list(spec["cases"])
    errors: Counter[str] = Counter()
    headers = {"Authorization": f"Bearer {spec['token']}"}
    limits = httpx.Limits(max_connections=spec["clients"], max_keepalive_connections=spec["clients"])
    async with httpx.AsyncClient(limits=limits, timeout=30.0, headers=headers) as client:

        async def worker() -> None:
            while queue:
                case_id = queue.pop()
                for n, action in enumerate(ACTIONS):
                    try:
                        response = await client.post(
                            f"{spec['url']}/{case_id}/{action}", headers={"Idempotency-Key": f"{case_id}-{n}"}
                        )
                    except httpx.HTTPError as exc:
                        errors[type(exc).__name__] += 1
                        continue
                    if response.status_code != 200:
                        errors[str(response.status_code)] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(spec["clients"])))
        seconds = time.perf_counter() - start
    count = len(spec["cases"]) * len(ACTIONS)
    return {"requests": count, "seconds": seconds, "per_second": count / seconds, "errors": dict(errors)}


async def load(args: argparse.Namespace, spec: dict[str, Any]) -> dict[str, Any]:
    if args.same_process_client:
        return await run_actions(spec)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.routing_bench",
        "--load-spec",
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the load client for {spec['name']} failed ({child.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


async def open_cases(ctx: RoutingContext, uow: Any, count: int) -> list[str]:
    """Cases at the admin desk, opened by routing's own use case (no Kafka in this phase)."""
    opened = []
    for _ in range(count):
        async with uow() as u:
            case = await service.open_case_for_submission(u, ctx, submission(), None)
        assert case is not None
        opened.append(case.case_id)
    return opened


async def actions_bench(
    args: argparse.Namespace, url: str, bare_url: str, runtime: Any, ctx: RoutingContext
) -> dict[str, Any]:
    def uow() -> PostgresRoutingUnitOfWork:
        return PostgresRoutingUnitOfWork(runtime.db, IDENTITY.source)

    roles = (Role.PETUGAS_ADMINISTRASI, Role.KASUBBAG_UMUM, Role.SEKRETARIS)
    token = token_for(*roles, subject="bench-official", name="Pejabat bench")
    rounds = []
    for number in range(args.rounds):
        cases = await open_cases(ctx, uow, args.cases)
        bare_cases = await open_cases(ctx, uow, args.cases)  # copied to the bare schema below
        async with runtime.db.pool.acquire() as conn:
            await conn.execute(
                f"INSERT INTO {quote_schema(args.bare_schema)}.cases"
                f" SELECT * FROM {quote_schema(runtime.schema)}.cases WHERE case_id = ANY($1::uuid[])",
                bare_cases,
            )
        specs = {
            "routing": {"name": "routing", "url": f"{url}/api/v1/cases", "cases": cases},
            "bare": {"name": "bare", "url": f"{bare_url}/bare/cases", "cases": bare_cases},
        }
        order = ("bare", "routing") if number % 2 == 0 else ("routing", "bare")
        result: dict[str, Any] = {"order": list(order)}
        for name in order:
            result[name] = await load(args, {**specs[name], "token": token, "clients": args.clients})
        rounds.append(result)
        print(f"  actions round {number + 1}/{args.rounds} done", file=sys.stderr)
    out: dict[str, Any] = {"rounds": rounds}
    for name in ("bare", "routing"):
        out[f"{name}_per_second"] = statistics.median(r[name]["per_second"] for r in rounds)
        errors: Counter[str] = Counter()
        for r in rounds:
            errors.update(r[name]["errors"])
        out[f"{name}_errors"] = dict(errors)
    out["ratio"] = out["routing_per_second"] / out["bare_per_second"]
    return out


# ---- 2. event to inbox ----


async def publish(producer: AIOKafkaProducer, event: SubmissionReceived) -> Any:
    meta = EventMetadata(type=event.event_type, source="/bench/routing")
    return await producer.send(
        SUBMISSIONS.name,
        event.model_dump_json().encode(),
        key=event.submission_id.encode(),
        headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
    )


class Watcher:
    """Sees cases appear in routing's table (what the inbox reads), every 5 ms."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool, self.table = pool, f"{quote_schema(schema)}.cases"
        self.waiting: dict[str, float] = {}
        self.seen: dict[str, float] = {}

    async def run(self, until: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not (until.is_set() and not self.waiting):
            if self.waiting:
                async with self.pool.acquire() as conn:
                    rows = await conn.fetch(
                        f"SELECT submission_id FROM {self.table} WHERE submission_id = ANY($1)",
                        list(self.waiting),
                    )
                now = loop.time()
                for r in rows:
                    self.seen[r["submission_id"]] = now
                    self.waiting.pop(r["submission_id"], None)
            await asyncio.sleep(0.005)


async def end_offsets(bootstrap_servers: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await consumer.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        await admin.start()
        try:
            [described] = await admin.describe_topics([SUBMISSIONS.name])
        finally:
            await admin.close()
        partitions = [TopicPartition(SUBMISSIONS.name, p["partition"]) for p in described["partitions"]]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


async def raw_consume_and_commit(
    bootstrap_servers: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int]
) -> dict[str, Any]:
    """A bare aiokafka consumer of its own group over the same offsets, committing each batch."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        remaining = sum(end[tp] - start[tp] for tp in start)
        total = remaining
        began = time.perf_counter()
        while remaining > 0:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for tp, records in batches.items():
                mine = [r for r in records if r.offset < end[tp]]
                remaining -= len(mine)
            await consumer.commit()
        seconds = time.perf_counter() - began
    finally:
        await consumer.stop()
    return {"events": total, "seconds": seconds, "per_second": total / seconds}


async def event_bench(args: argparse.Namespace, infra: Infra, runtime: Any) -> dict[str, Any]:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, linger_ms=2)
    await producer.start()
    loop = asyncio.get_running_loop()
    try:
        # Latency at a steady rate.
        watcher = Watcher(runtime.db.pool, runtime.schema)
        done = asyncio.Event()
        watching = asyncio.create_task(watcher.run(done))
        sent: dict[str, float] = {}
        total = int(args.rate * args.seconds)
        start = loop.time() + 0.05
        acks = []
        for index in range(total):
            due = start + index / args.rate
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            event = submission()
            sent[event.submission_id] = loop.time()
            watcher.waiting[event.submission_id] = sent[event.submission_id]
            acks.append(await publish(producer, event))
        sent_rate = total / (loop.time() - start)
        await asyncio.gather(*acks)
        done.set()
        await asyncio.wait_for(watching, 120)
        latencies = [(watcher.seen[k] - v) * 1000 for k, v in sent.items()]
        steady = {"events": total, "target_rate": args.rate, "sent_rate": sent_rate, **percentiles(latencies)}

        # A burst: routing's rate beside the raw consume-and-commit rate of the same offsets.
        before = await end_offsets(infra.kafka_bootstrap_servers)
        watcher = Watcher(runtime.db.pool, runtime.schema)
        done = asyncio.Event()
        events = [submission() for _ in range(args.burst)]
        for event in events:
            watcher.waiting[event.submission_id] = 0.0
        watching = asyncio.create_task(watcher.run(done))
        began = loop.time()
        await asyncio.gather(*[await publish(producer, e) for e in events])
        published = loop.time() - began
        done.set()
        await asyncio.wait_for(watching, 300)
        routing_seconds = max(watcher.seen.values()) - began
        after = await end_offsets(infra.kafka_bootstrap_servers)
        raw = await raw_consume_and_commit(infra.kafka_bootstrap_servers, before, after)
        burst = {
            "events": args.burst,
            "publish_seconds": published,
            "routing_seconds": routing_seconds,
            "routing_per_second": args.burst / routing_seconds,
            "raw_consume_commit": raw,
            "ratio": (args.burst / routing_seconds) / raw["per_second"],
        }
    finally:
        await producer.stop()
    return {"steady": steady, "burst": burst}


# ---- 3. due times ----


def due_time_bench(count: int) -> dict[str, Any]:
    clock = SlaClock(load_calendar(), warning_fraction=0.25)
    rng = random.Random(20261123)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    instants = [base + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count)]
    clock.step(instants[0], 0.5)  # lays out the year once, as a running service has
    began = time.perf_counter()
    for at in instants:
        clock.step(at, 0.5)
    step_s = time.perf_counter() - began
    began = time.perf_counter()
    for at in instants:
        clock.case(at, 1)
    case_s = time.perf_counter() - began
    # Each clock is two due-time computations (warning and due).
    return {
        "count": count,
        "step_clocks_per_second": count / step_s,
        "case_clocks_per_second": count / case_s,
        "due_times_per_second": 2 * count / step_s,
    }


# ---- wiring and report ----


async def service_bench(args: argparse.Namespace, infra: Infra) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    schema = f"bench_routing_{run_id}"
    args.bare_schema = f"{schema}_bare"
    settings = settings_for_test(RoutingSettings, infra, schema)
    await start_at_end(infra.kafka_bootstrap_servers, settings.consumer_group_suffix)
    runtime, app = bootstrap(settings)
    ctx: RoutingContext = app.state.context
    out: dict[str, Any] = {}
    try:
        async with serving(app) as url:
            async with runtime.db.pool.acquire() as conn:
                bare = quote_schema(args.bare_schema)
                await conn.execute(f"CREATE SCHEMA {bare}")
                for table in ("cases", "case_history"):
                    await conn.execute(
                        f"CREATE TABLE {bare}.{table} (LIKE {quote_schema(schema)}.{table} INCLUDING ALL)"
                    )
            async with serving(
                bare_app(infra.database_url, args.bare_schema, settings.db_pool_min, settings.db_pool_max)
            ) as bare_url:
                if args.rounds > 0:
                    out["actions"] = await actions_bench(args, url, bare_url, runtime, ctx)
            if args.seconds > 0:
                out["events"] = await event_bench(args, infra, runtime)
    finally:
        cleaner = await asyncpg.connect(infra.database_url)
        try:
            for name in (schema, args.bare_schema):
                await cleaner.execute(f"DROP SCHEMA IF EXISTS {quote_schema(name)} CASCADE")
        finally:
            await cleaner.close()
    return out


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    if "actions" in results:
        a = results["actions"]
        print(
            f"Routing actions over HTTP: {args.clients} clients, {args.cases} cases x {len(ACTIONS)} actions a round,"
            f" {args.rounds} alternating rounds (medians)"
        )
        print(f"  bare endpoint (lock, update, history row): {a['bare_per_second']:,.0f} req/s")
        print(
            f"  routing actions (sign-in, workflow, key, history, deadlines, outbox): {a['routing_per_second']:,.0f} req/s"
        )
        print(
            f"  ratio routing/bare: {a['ratio']:.2f}; errors: routing {a['routing_errors']}, bare {a['bare_errors']}"
        )
    if "events" in results:
        s, b = results["events"]["steady"], results["events"]["burst"]
        print(
            f"Event to inbox at {s['target_rate']:g}/s (sent {s['sent_rate']:.0f}/s), {s['events']} submissions:"
        )
        print(
            f"  p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms"
        )
        raw = b["raw_consume_commit"]
        print(f"Burst of {b['events']} submissions (published in {b['publish_seconds']:.2f} s):")
        print(
            f"  routing: every case in the inbox after {b['routing_seconds']:.2f} s = {b['routing_per_second']:,.0f} events/s"
        )
        print(
            f"  raw aiokafka consume-and-commit of the same {raw['events']} offsets: {raw['per_second']:,.0f} events/s"
            f" (ratio routing/raw {b['ratio']:.3f})"
        )
    if "due_times" in results:
        d = results["due_times"]
        print(f"Due times (SlaClock on the default calendar, {d['count']:,} random instants of 2026):")
        print(
            f"  step clocks {d['step_clocks_per_second']:,.0f}/s, case clocks {d['case_clocks_per_second']:,.0f}/s,"
            f" {d['due_times_per_second']:,.0f} due-time computations/s"
        )


def quiet_logs(service_logs: bool) -> None:
    if service_logs:
        stdout = sys.stdout
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # kept open for the whole run
        try:
            configure_logging("routing", "INFO")
        finally:
            sys.stdout = stdout
    else:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100, help="cases per round (4 actions each)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (actions)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating action rounds; 0 skips them")
    parser.add_argument("--rate", type=float, default=50.0, help="submissions per second (event to inbox)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="seconds at --rate; 0 skips the event part"
    )
    parser.add_argument(
        "--burst", type=int, default=2000, help="submissions sent at once after the steady part"
    )
    parser.add_argument("--due-computations", type=int, default=100_000, help="random instants; 0 skips them")
    parser.add_argument("--no-service-logs", action="store_true", help="drop routing's INFO logs")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--same-process-client", action="store_true", help="load client in the servers' loop")
    parser.add_argument("--load-spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_spec:
        print(json.dumps(asyncio.run(run_actions(json.loads(args.load_spec)))))
        return
    quiet_logs(not args.no_service_logs)
    ensure_local_auth()
    infra = Infra(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA,
        os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL,
        "environment or local defaults",
    )
    results: dict[str, Any] = {}
    if args.due_computations > 0:
        results["due_times"] = due_time_bench(args.due_computations)
    if args.rounds > 0 or args.seconds > 0:
        results.update(asyncio.run(service_bench(args, infra)))
    report(args, results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        settings = {k: v for k, v in vars(args).items() if k not in ("json", "load_spec")}
        args.json.write_text(json.dumps({"settings": settings, **results}, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
