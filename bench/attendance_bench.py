"""Attendance gateway benchmark (issue 9): punches per second from simulated terminals to Kafka
against a raw producer of the same messages, a 100,000-record log pulled by the gateway against
pyzk alone, and how many terminals one gateway process keeps on a 60-second poll interval.

The gateway runs in this process with its real lifespan (pool, migrations, Kafka, outbox relay,
poller with its pyzk worker processes) on a fresh schema; the terminals are the ZK simulator
(`bkpsdm.simulators.zk_terminal`) in child processes, spoken to by the unmodified pyzk over
real TCP. Punches go to the real `public.attendance.punches.v1` (as in the gateway's tests);
the raw producer writes to a fresh 6-partition bench topic, removed at the end with the schema.

1. Throughput: `--terminals` terminals with `--users` users and `--days` working days of log
   each, registered disabled with their users mapped, then enabled at once. The clock runs
   from enabling until every punch is stored (first figure) and until the outbox has nothing
   pending, i.e. Kafka acknowledged every punch (the headline). Then the very messages the
   relay published (key, payload and headers from the outbox rows) are published again by a
   raw idempotent aiokafka producer (`idempotent_producer_factory`, as the relay's), warm,
   with `send()` per record then every acknowledgement awaited. ratio = gateway / raw.
2. 100,000-record log: one terminal holding `--bulk-records` records (ZK8, 40 bytes each).
   pyzk alone: `connect()` + `get_attendance()` (which also reads the users) + `disconnect()`,
   run before and after the gateway (the median kept). The gateway's session alone: its
   `run_session` (pyzk's buffered read plus the gateway's own log parser, serial, firmware,
   clock, sizes, enable/disable) called in this process. The gateway end to end: the poll's
   own record (`polls.started_at` to `finished_at`: worker session plus storing every punch,
   its event and the checkpoint), and until every punch was acknowledged by Kafka.
3. Terminals per process: `--fleet` terminals (`--fleet-users` users, `--fleet-days` days of
   log: what every poll reads again) on the shortest poll interval (5 s) with their users
   left unmapped (nothing is published); once each had its first poll, polls completed in
   `--window` seconds give sessions per second, and 60 x that the terminals one process
   keeps on a 60-second interval. The figure is a capacity only if the process was saturated
   (terminals overdue at the end of the window); otherwise it is a lower bound. CPU seconds
   of the gateway process, its pyzk workers and the simulator show where the time went.

Run from the repository root: `.venv/bin/python -m bench.attendance_bench --json PATH`
(`--help` for every flag). About two minutes on 2 cores; figures move with spare CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from zk import ZK

from bkpsdm.attendance_gateway.adapters.zk_session import SessionJob, run_session
from bkpsdm.attendance_gateway.bootstrap import bootstrap
from bkpsdm.attendance_gateway.settings import IDENTITY, AttendanceGatewaySettings
from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import ATTENDANCE_PUNCHES, TERMINAL_REQUESTS
from bkpsdm.common.db import quote_schema
from bkpsdm.common.kafka_admin import delete_topics, ensure_topics, topic_partitions
from bkpsdm.common.logs import configure_logging
from bkpsdm.common.outbox import idempotent_producer_factory
from bkpsdm.common.settings import LOCAL_DATABASE_URL, LOCAL_KAFKA
from bkpsdm.common.topics import TopicRegistry, TopicSpec
from bkpsdm.simulators.zk_terminal.generator import generate_users
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.services import running_service, settings_for_test

RATIO_GOAL = 0.8  # gateway punches/s over the raw producer's
PULL_GOAL = 1.2  # gateway 100k pull time over pyzk alone
POLL_INTERVAL_GOAL_S = 60
FASTEST_POLL_S = 5  # the registry's minimum poll interval
WAIT_S = 300.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def nip_for(index: int) -> str:
    """A valid PNS NIP per index (birth date varies)."""
    return f"1985{1 + index // 28 % 12:02d}{1 + index % 28:02d}2010011{1 + index // 336 % 999:03d}"


# --- simulators ---------------------------------------------------------------------------


def free_port_block(count: int) -> int:
    """A base port with `count` consecutive ports free for TCP and UDP (checked, then released)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 60_000 - count)
        try:
            for port in range(base, base + count):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no block of {count} free ports")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Simulator:
    """`python -m bkpsdm.simulators.zk_terminal` in a child process, with its control endpoint."""

    def __init__(self, count: int, users: int, days: int, seed: int) -> None:
        self.count, self.users, self.seed = count, users, seed
        self.base = free_port_block(count)
        self.control = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bkpsdm.simulators.zk_terminal",
                f"--count={count}",
                f"--base-port={self.base}",
                f"--users={users}",
                f"--days={days}",
                f"--seed={seed}",
                f"--control-port={self.control.rsplit(':', 1)[1]}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def ports(self) -> list[int]:
        return list(range(self.base, self.base + self.count))

    def user_ids(self, index: int) -> list[str]:
        return [u.user_id for u in generate_users(self.users, self.seed + index)]

    async def terminals(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("the terminal simulator exited")
            with contextlib.suppress(httpx.HTTPError):
                answer = await http.get(f"{self.control}/terminals")
                if answer.status_code == 200:
                    return list(answer.json())
            if time.monotonic() > deadline:
                raise TimeoutError("the terminal simulator did not start")
            await asyncio.sleep(0.2)

    async def set_faults(self, http: httpx.AsyncClient, port: int, **faults: Any) -> None:
        answer = await http.patch(f"{self.control}/terminals/{port}/faults", json=faults, timeout=120)
        answer.raise_for_status()

    def cpu_s(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@asynccontextmanager
async def simulator(count: int, users: int, days: int, seed: int) -> AsyncIterator[Simulator]:
    sim = Simulator(count, users, days, seed)
    try:
        yield sim
    finally:
        sim.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (/proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


# --- the gateway ----------------------------------------------------------------------------


async def start_group_at_the_end(bootstrap_servers: str, group: str, topic: str) -> None:
    """A new consumer group would replay the shared topic (other runs' diagnosis requests, each
    answered with a session attempt): commit its offsets at the end first."""
    partitions = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap_servers, topic)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(dict(await consumer.end_offsets(partitions)))
    finally:
        await consumer.stop()


class Gateway:
    def __init__(self, client: httpx.AsyncClient, pool: asyncpg.Pool, schema: str) -> None:
        self.client, self.pool, self.q = client, pool, quote_schema(schema)

    async def register(
        self, sim: Simulator, ports: list[int], *, map_users: bool, interval_s: int
    ) -> list[str]:
        """Register terminals disabled (users mapped if asked); their ids."""
        ids = []
        for port in ports:
            index = port - sim.base
            body = self.body(port, interval_s, enabled=False)
            created = await self.client.post("/api/v1/terminals", json=body)
            created.raise_for_status()
            terminal_id = created.json()["terminal_id"]
            ids.append(terminal_id)
            if map_users:
                users = [{"user_id": u, "nip": nip_for(n)} for n, u in enumerate(sim.user_ids(index))]
                mapped = await self.client.put(
                    f"/api/v1/terminals/{terminal_id}/users", json={"users": users}
                )
                mapped.raise_for_status()
        return ids

    @staticmethod
    def body(port: int, interval_s: int, *, enabled: bool) -> dict[str, Any]:
        return {
            "name": f"Mesin {port}",
            "address": "127.0.0.1",
            "port": port,
            "unit": "Bench",
            "poll_interval_s": interval_s,
            "enabled": enabled,
        }

    async def enable(self, ids: list[str], ports: list[int], interval_s: int) -> None:
        answers = await asyncio.gather(
            *(
                self.client.put(f"/api/v1/terminals/{i}", json=self.body(p, interval_s, enabled=True))
                for i, p in zip(ids, ports, strict=True)
            )
        )
        for answer in answers:
            answer.raise_for_status()

    async def value(self, sql: str, *args: Any) -> Any:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(sql, *args)

    # The clock polls these every 50 ms while the gateway works: they read the tiny `polls`
    # table and stop at the first pending outbox row, so that measuring does not load the
    # database under test (counting every punch and pending row each time took most of a
    # core's worth of PostgreSQL time during the run).

    async def stored(self, ids: list[str]) -> int:
        """Punches stored for `ids`: each poll records how many it stored, in the transaction
        that stored its last ones."""
        return int(
            await self.value(
                f"SELECT coalesce(sum(new_punches), 0) FROM {self.q}.polls WHERE terminal_id = ANY($1::uuid[])",
                ids,
            )
        )

    async def all_published(self) -> bool:
        """Nothing waits in the outbox: Kafka acknowledged every event."""
        return not await self.value(f"SELECT EXISTS (SELECT 1 FROM {self.q}.outbox WHERE sent_at IS NULL)")

    async def polls(self, ids: list[str]) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(
                f"SELECT terminal_id, started_at, finished_at, outcome, new_punches FROM {self.q}.polls"
                " WHERE terminal_id = ANY($1::uuid[]) ORDER BY finished_at",
                ids,
            )


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = WAIT_S) -> float:
    """Poll `check` every 50 ms; the perf_counter time it first held."""
    deadline = time.perf_counter() + timeout_s
    while not await check():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)
    return time.perf_counter()


# --- 1. throughput ------------------------------------------------------------------------


async def raw_producer(bootstrap_servers: str, topic: str, rows: list[asyncpg.Record]) -> float:
    """Seconds a warm raw idempotent producer takes to publish `rows`: all sends, then all acks."""
    producer = await idempotent_producer_factory(bootstrap_servers, "bench-attendance-raw")()
    try:
        await producer.partitions_for(topic)
        records = [
            (
                r["aggregateid"].encode(),
                r["payload"].encode(),
                [(k, str(v).encode()) for k, v in json.loads(r["headers"]).items()],
            )
            for r in rows
        ]
        warm = [
            await producer.send(topic, value, key=key, headers=headers)
            for key, value, headers in records[:600]
        ]
        await asyncio.gather(*warm)
        started = time.perf_counter()
        acks = [
            await producer.send(topic, value, key=key, headers=headers) for key, value, headers in records
        ]
        await asyncio.gather(*acks)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def throughput(
    args: argparse.Namespace,
    gateway: Gateway,
    http: httpx.AsyncClient,
    raw_topic: str,
    bootstrap_servers: str,
) -> dict[str, Any]:
    async with simulator(args.terminals, args.users, args.days, seed=100) as sim:
        terminals = await sim.terminals(http)
        expected = int(sum(t["records"] for t in terminals))
        ids = await gateway.register(sim, sim.ports, map_users=True, interval_s=600)
        started = time.perf_counter()
        await gateway.enable(ids, sim.ports, 600)

        async def all_stored() -> bool:
            return await gateway.stored(ids) >= expected

        stored_at = await until(all_stored, "every punch stored")
        published_at = await until(gateway.all_published, "every punch acknowledged by Kafka")
    async with gateway.pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT aggregateid, payload::text AS payload, headers::text AS headers FROM {gateway.q}.outbox"
            " WHERE topic = $1 AND payload->>'terminal_id' = ANY($2::text[]) ORDER BY seq",
            ATTENDANCE_PUNCHES.name,
            ids,
        )
    raw_s = await raw_producer(bootstrap_servers, raw_topic, list(rows))
    gateway_s = published_at - started
    return {
        "terminals": args.terminals,
        "punches": expected,
        "published": len(rows),
        "stored_s": stored_at - started,
        "stored_per_s": expected / (stored_at - started),
        "gateway_s": gateway_s,
        "gateway_per_s": len(rows) / gateway_s,
        "raw_s": raw_s,
        "raw_per_s": len(rows) / raw_s,
        "ratio": raw_s / gateway_s,
        "goal": RATIO_GOAL,
    }


# --- 2. a 100,000-record log --------------------------------------------------------------


def pyzk_alone(port: int) -> tuple[float, int]:
    started = time.perf_counter()
    conn = ZK("127.0.0.1", port=port, timeout=30, ommit_ping=True).connect()
    try:
        records = len(conn.get_attendance())
    finally:
        conn.disconnect()
    return time.perf_counter() - started, records


def session_alone(port: int) -> tuple[float, int]:
    job = SessionJob(
        address="127.0.0.1", port=port, udp=False, comm_key=0, timeout_s=30, time_zone="Asia/Jakarta"
    )
    started = time.perf_counter()
    result = run_session(job)
    elapsed = time.perf_counter() - started
    if not result.ok or result.log is None:
        raise RuntimeError(f"session failed: {result.reason} {result.detail}")
    return elapsed, len(result.log.punches)


async def big_log(args: argparse.Namespace, gateway: Gateway, http: httpx.AsyncClient) -> dict[str, Any]:
    async with simulator(1, args.bulk_users, 1, seed=200) as sim:
        await sim.terminals(http)
        port = sim.ports[0]
        await sim.set_faults(http, port, bulk_log_records=args.bulk_records)
        pyzk_runs = [await asyncio.to_thread(pyzk_alone, port)]
        session_s, parsed = await asyncio.to_thread(session_alone, port)
        ids = await gateway.register(sim, [port], map_users=True, interval_s=3600)
        started = time.perf_counter()
        await gateway.enable(ids, [port], 3600)

        async def polled() -> bool:
            return bool(await gateway.polls(ids))

        await until(polled, "the big log polled")
        published_at = await until(gateway.all_published, "the big log acknowledged by Kafka")
        [poll] = await gateway.polls(ids)
        for _ in range(max(0, args.pyzk_runs - 1)):
            pyzk_runs.append(await asyncio.to_thread(pyzk_alone, port))
    pyzk_s = statistics.median(s for s, _ in pyzk_runs)
    pull_s = (poll["finished_at"] - poll["started_at"]).total_seconds()
    return {
        "records": args.bulk_records,
        "pyzk_records": pyzk_runs[0][1],
        "gateway_parsed": parsed,
        "gateway_new_punches": poll["new_punches"],
        "pyzk_runs_s": [s for s, _ in pyzk_runs],
        "pyzk_s": pyzk_s,
        "session_s": session_s,
        "gateway_pull_s": pull_s,
        "gateway_published_s": published_at - started,
        "ratio": pull_s / pyzk_s,
        "session_ratio": session_s / pyzk_s,
        "goal": PULL_GOAL,
    }


# --- 3. terminals per process -------------------------------------------------------------


async def fleet(args: argparse.Namespace, gateway: Gateway, http: httpx.AsyncClient) -> dict[str, Any]:
    async with simulator(args.fleet, args.fleet_users, args.fleet_days, seed=300) as sim:
        terminals = await sim.terminals(http)
        ids = await gateway.register(sim, sim.ports, map_users=False, interval_s=FASTEST_POLL_S)
        await gateway.enable(ids, sim.ports, FASTEST_POLL_S)

        async def each_polled() -> bool:
            return len({r["terminal_id"] for r in await gateway.polls(ids)}) >= len(ids)

        await until(each_polled, "every fleet terminal polled once")
        me = os.getpid()
        workers = [pid for pid in children_of(me) if pid != sim.process.pid]
        cpu_before = (cpu_seconds(me), sum(cpu_seconds(w) for w in workers), sim.cpu_s())
        window_start = await gateway.value("SELECT now()")
        await asyncio.sleep(args.window)
        window_end = await gateway.value("SELECT now()")
        cpu_after = (cpu_seconds(me), sum(cpu_seconds(w) for w in workers), sim.cpu_s())
        overdue = await gateway.value(
            f"SELECT count(*) FROM {gateway.q}.terminal_state WHERE terminal_id = ANY($1::uuid[])"
            " AND next_poll_at < $2::timestamptz - interval '1 second'",
            ids,
            window_end,
        )
    polls = [p for p in await gateway.polls(ids) if window_start <= p["finished_at"] < window_end]
    durations = sorted((p["finished_at"] - p["started_at"]).total_seconds() for p in polls)
    window_s = (window_end - window_start).total_seconds()
    rate = len(polls) / window_s
    failed = sum(1 for p in polls if p["outcome"] != "OK")
    gateway_cpu = cpu_after[0] - cpu_before[0] + cpu_after[1] - cpu_before[1]
    gateway_cpu_ms = 1000 * gateway_cpu / len(polls) if polls else 0.0
    return {
        "terminals": args.fleet,
        "records_per_terminal": statistics.median(t["records"] for t in terminals),
        "poll_workers": args.poll_workers,
        "window_s": window_s,
        "polls": len(polls),
        "failed_polls": failed,
        "polls_per_s": rate,
        "session_p50_ms": 1000 * durations[len(durations) // 2] if durations else None,
        "session_p95_ms": 1000 * durations[int(len(durations) * 0.95)] if durations else None,
        "overdue_at_end": int(overdue),
        "saturated": int(overdue) > 0,
        "terminals_on_60s": int(rate * POLL_INTERVAL_GOAL_S),
        "cpu_s": {
            "gateway_process": cpu_after[0] - cpu_before[0],
            "pyzk_workers": cpu_after[1] - cpu_before[1],
            "simulator": cpu_after[2] - cpu_before[2],
        },
        # What one poll costs the gateway (its process and its workers), and what one core
        # spent on nothing else would therefore keep on a 60-second interval.
        "gateway_cpu_ms_per_poll": gateway_cpu_ms,
        "terminals_on_60s_per_core_by_cpu": int(POLL_INTERVAL_GOAL_S * 1000 / gateway_cpu_ms)
        if gateway_cpu_ms
        else None,
    }


# --- the run --------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, infra: Infra) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    schema = f"bench_attendance_{run}"
    raw_topic = TopicSpec(
        name=f"bench.attendance.punches-{run}",
        key=ATTENDANCE_PUNCHES.key,
        owner="bench",
        description="raw producer baseline",
        partitions=ATTENDANCE_PUNCHES.partitions,
        events=ATTENDANCE_PUNCHES.events,
    )
    registry = TopicRegistry()
    for spec in (raw_topic, TERMINAL_REQUESTS):
        registry.register(spec)
    await ensure_topics(infra.kafka_bootstrap_servers, registry)
    group = f"{IDENTITY.name}.diagnosis-{schema}"  # as settings_for_test names it
    await start_group_at_the_end(infra.kafka_bootstrap_servers, group, TERMINAL_REQUESTS.name)
    settings = settings_for_test(
        AttendanceGatewaySettings,
        infra,
        schema,
        poll_workers=args.poll_workers,
        daily_attendance_enabled=False,
        session_deadline_s=300,
    )
    results: dict[str, Any] = {"schema": schema}
    try:
        async with (
            running_service(bootstrap, settings) as (runtime, client),
            httpx.AsyncClient(timeout=30) as http,
        ):
            client.headers.update(bearer(Role.PETUGAS_TEKNIS))
            gateway = Gateway(client, runtime.db.pool, schema)
            # Warm-up: every pyzk worker process started once, the relay's producer connected.
            async with simulator(args.poll_workers, 2, 1, seed=900) as sim:
                await sim.terminals(http)
                ids = await gateway.register(sim, sim.ports, map_users=True, interval_s=3600)
                await gateway.enable(ids, sim.ports, 3600)

                async def warm() -> bool:
                    return len(await gateway.polls(ids)) >= len(ids) and await gateway.all_published()

                await until(warm, "the warm-up polls")
            if args.terminals:
                results["throughput"] = await throughput(
                    args, gateway, http, raw_topic.name, infra.kafka_bootstrap_servers
                )
            if args.bulk_records:
                results["big_log"] = await big_log(args, gateway, http)
            if args.fleet:
                results["fleet"] = await fleet(args, gateway, http)
    finally:
        pool = await asyncpg.create_pool(infra.database_url, min_size=1, max_size=1)
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
        await pool.close()
        await delete_topics(infra.kafka_bootstrap_servers, [raw_topic.name, raw_topic.dlq])
    return results


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(results: dict[str, Any]) -> None:
    print("\nAttendance gateway benchmark")
    if t := results.get("throughput"):
        print(f"\n1. Punches to Kafka: {t['terminals']} terminals, {t['punches']:,} punches")
        print(f"   stored in PostgreSQL      {t['stored_s']:7.2f} s  {t['stored_per_s']:9,.0f} punches/s")
        print(f"   gateway (acked by Kafka)  {t['gateway_s']:7.2f} s  {t['gateway_per_s']:9,.0f} punches/s")
        print(f"   raw aiokafka producer     {t['raw_s']:7.2f} s  {t['raw_per_s']:9,.0f} punches/s")
        print(
            f"   ratio gateway/raw         {t['ratio']:7.2f}  (goal >= {t['goal']}: {verdict(t['ratio'] >= t['goal'])})"
        )
    if b := results.get("big_log"):
        print(
            f"\n2. A {b['records']:,}-record log (pyzk read {b['pyzk_records']:,}, gateway parsed {b['gateway_parsed']:,})"
        )
        print(
            f"   pyzk alone (median)        {b['pyzk_s']:7.2f} s  runs {', '.join(f'{s:.2f}' for s in b['pyzk_runs_s'])}"
        )
        print(f"   gateway session alone      {b['session_s']:7.2f} s  ({b['session_ratio']:.2f}x)")
        print(
            f"   gateway pull + store       {b['gateway_pull_s']:7.2f} s  ({b['ratio']:.2f}x; goal <= {b['goal']}x: {verdict(b['ratio'] <= b['goal'])})"
        )
        print(f"   gateway until Kafka acked  {b['gateway_published_s']:7.2f} s")
    if f := results.get("fleet"):
        cpu = f["cpu_s"]
        print(
            f"\n3. Terminals per process: {f['terminals']} terminals on a {FASTEST_POLL_S} s interval, {f['records_per_terminal']:.0f} records each, {f['poll_workers']} pyzk workers"
        )
        print(
            f"   {f['polls']} polls in {f['window_s']:.1f} s = {f['polls_per_s']:.1f}/s ({f['failed_polls']} failed), session p50 {f['session_p50_ms']:.0f} ms, p95 {f['session_p95_ms']:.0f} ms"
        )
        bound = "" if f["saturated"] else "at least "
        print(
            f"   terminals on a 60 s interval: {bound}{f['terminals_on_60s']:,} ({'saturated' if f['saturated'] else 'not saturated: a lower bound'}, {f['overdue_at_end']} overdue at the end)"
        )
        print(
            f"   CPU in the window: gateway process {cpu['gateway_process']:.1f} s, pyzk workers {cpu['pyzk_workers']:.1f} s, simulator {cpu['simulator']:.1f} s"
        )
        if f["terminals_on_60s_per_core_by_cpu"]:
            print(
                f"   gateway CPU per poll {f['gateway_cpu_ms_per_poll']:.1f} ms: a core spent on nothing else"
                f" would keep ~{f['terminals_on_60s_per_core_by_cpu']:,} terminals on a 60 s interval"
            )


def quiet_logs(service_logs: bool) -> None:
    if service_logs:
        # As `run_service` configures them (JSON lines, INFO), rendered into /dev/null, so every
        # poll pays for its log lines as in production without flooding the terminal.
        stdout = sys.stdout
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # kept open for the whole run
        try:
            configure_logging("attendance-gateway", "INFO")
        finally:
            sys.stdout = stdout
    else:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--terminals", type=int, default=20, help="throughput: terminals (0 skips it)")
    parser.add_argument("--users", type=int, default=100, help="throughput: users per terminal")
    parser.add_argument("--days", type=int, default=10, help="throughput: working days of log per terminal")
    parser.add_argument("--bulk-records", type=int, default=100_000, help="big log: records (0 skips it)")
    parser.add_argument("--bulk-users", type=int, default=200, help="big log: users on the terminal")
    parser.add_argument("--pyzk-runs", type=int, default=2, help="big log: pyzk-alone runs (median)")
    parser.add_argument("--fleet", type=int, default=200, help="per process: terminals (0 skips it)")
    parser.add_argument("--fleet-users", type=int, default=20, help="per process: users per terminal")
    parser.add_argument("--fleet-days", type=int, default=5, help="per process: working days of log")
    parser.add_argument("--window", type=float, default=20.0, help="per process: measured seconds")
    parser.add_argument(
        "--poll-workers", type=int, default=8, help="the gateway's POLL_WORKERS (its default: 8)"
    )
    parser.add_argument("--no-service-logs", action="store_true", help="drop the gateway's INFO logs")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    quiet_logs(not args.no_service_logs)
    ensure_local_auth()
    infra = Infra(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA,
        os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL,
        "environment or local defaults",
    )
    started = time.perf_counter()
    results = asyncio.run(bench(args, infra))
    results["total_s"] = time.perf_counter() - started
    report(results)
    print(f"\n(total {results['total_s']:.0f} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        settings = {k: v for k, v in vars(args).items() if k != "json"}
        args.json.write_text(json.dumps({"settings": settings, **results}, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
