"""The gateway in-process or as processes, simulated terminals, and reading the punches topic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from bkpsdm.attendance_gateway.bootstrap import bootstrap
from bkpsdm.attendance_gateway.settings import IDENTITY, AttendanceGatewaySettings
from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import ATTENDANCE_PUNCHES, TERMINAL_REQUESTS, TOPICS
from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.simulators.zk_terminal import FleetThread, Terminal, TerminalConfig
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import ServiceProcess
from bkpsdm.testing.services import SERVICES, running_service, settings_for_test

TECHNICIAN = Role.PETUGAS_TEKNIS


def nip_for(index: int) -> str:
    """A valid PNS NIP per index (birth date varies, serial 001)."""
    return f"1985{1 + index // 28 % 12:02d}{1 + index % 28:02d}2010011{1 + index // 336 % 999:03d}"


def gateway_settings(infra: Infra, schema: str, **extra: Any) -> AttendanceGatewaySettings:
    defaults: dict[str, Any] = {
        "poll_workers": 8,
        "session_timeout_s": 1.0,
        "session_deadline_s": 20.0,
        "lease_s": 3.0,
        "poll_tick_s": 0.2,
        "outbox_poll_interval_s": 0.2,
        # A new consumer group reads the shared punches topic from its start; only the daily
        # attendance test turns it on (after moving its group to the topic's end).
        "daily_attendance_enabled": False,
    }
    return settings_for_test(AttendanceGatewaySettings, infra, schema, **{**defaults, **extra})


class FreshGroups:
    """A test's gateway consumes shared topics under its own new consumer groups, which would
    read them from the start: every diagnosis request and punch other tests ever sent. Each
    group is moved to the topic's end once, before the test's first gateway starts."""

    def __init__(self, infra: Infra, schema: str) -> None:
        self.infra, self.schema = infra, schema
        self.moved: set[str] = set()

    async def at_the_end(self, daily_attendance: bool) -> None:
        wanted = [("diagnosis", TERMINAL_REQUESTS.name)]
        if daily_attendance:
            wanted.append(("daily-attendance", ATTENDANCE_PUNCHES.name))
        for purpose, topic in wanted:
            group = f"{IDENTITY.name}.{purpose}-{self.schema}"  # as settings_for_test names it
            if group not in self.moved:
                await start_group_at_the_end(self.infra.kafka_bootstrap_servers, group, topic)
                self.moved.add(group)

    def at_the_end_now(self, daily_attendance: bool) -> None:
        """The same from synchronous code, which may run inside the test's event loop."""
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, self.at_the_end(daily_attendance)).result()


@pytest.fixture
def fresh_groups(infra: Infra, schema: str) -> FreshGroups:
    return FreshGroups(infra, schema)


@pytest.fixture
def gateway_factory(infra: Infra, schema: str, fresh_groups: FreshGroups) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**extra: Any) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
        settings = gateway_settings(infra, schema, **extra)
        await fresh_groups.at_the_end(settings.daily_attendance_enabled)
        async with running_service(bootstrap, settings) as started:
            yield started

    return start


@pytest.fixture
async def gateway(
    gateway_factory: Callable[..., Any],
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    async with gateway_factory() as (runtime, client):
        client.headers.update(bearer(TECHNICIAN))
        yield runtime, client


@pytest.fixture
def make_fleet(schema: str) -> Iterator[Callable[..., FleetThread]]:
    started: list[FleetThread] = []

    def make(count: int, **config: Any) -> FleetThread:
        terminals = [
            Terminal(TerminalConfig(serial=f"{schema[-6:].upper()}{len(started)}N{i:03d}", seed=i, **config))
            for i in range(count)
        ]
        fleet = FleetThread(terminals).start()
        started.append(fleet)
        return fleet

    yield make
    for fleet in started:
        fleet.stop()


async def register_fleet(
    client: httpx.AsyncClient,
    fleet: FleetThread,
    poll_interval_s: int = 5,
    map_users: bool = True,
    **fields: Any,
) -> list[str]:
    """Register every terminal of `fleet` and map each of its user ids to a NIP; their ids."""
    ids = []
    for index, port in enumerate(fleet.ports):
        body = {
            "name": f"Mesin {index}",
            "address": "127.0.0.1",
            "port": port,
            "unit": f"Dinas {index % 3}",
            "poll_interval_s": poll_interval_s,
            **fields,
        }
        response = await client.post("/api/v1/terminals", json=body)
        assert response.status_code == 201, response.text
        terminal_id = response.json()["terminal_id"]
        ids.append(terminal_id)
        if map_users:
            users = fleet.terminal(index).users
            mapped = await client.put(
                f"/api/v1/terminals/{terminal_id}/users",
                json={"users": [{"user_id": u.user_id, "nip": nip_for(n)} for n, u in enumerate(users)]},
            )
            assert mapped.status_code == 200, mapped.text
    return ids


@pytest.fixture
def register() -> Callable[..., Awaitable[list[str]]]:
    return register_fleet


@pytest.fixture
def technician_headers() -> dict[str, str]:
    return bearer(TECHNICIAN)


class TopicReader:
    """Reads a topic from the offsets it had when the reader was made (other tests' records before are skipped)."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.bootstrap = bootstrap_servers
        self.topic = topic
        self.start: dict[TopicPartition, int] = {}
        self.records: list[dict[str, Any]] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def open(self) -> TopicReader:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        # partitions_for_topic only knows subscribed topics; the client's metadata knows all.
        metadata = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(self.topic, p) for p in (metadata.partitions_for_topic(self.topic) or set())
        ]
        if not partitions:
            await consumer.stop()
            raise RuntimeError(f"topic {self.topic} not found")
        consumer.assign(partitions)
        self.start = await consumer.end_offsets(partitions)
        for tp, offset in self.start.items():
            consumer.seek(tp, offset)
        self._consumer = consumer
        return self

    async def read_until(
        self, done: Callable[[list[dict[str, Any]]], bool], within_s: float
    ) -> list[dict[str, Any]]:
        assert self._consumer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        checked_at = 0.0
        while loop.time() < deadline:
            # `done` may walk every record: ask at most twice a second, not per fetch.
            if loop.time() - checked_at >= 0.5:
                if done(self.records):
                    break
                checked_at = loop.time()
            batches = await self._consumer.getmany(timeout_ms=200, max_records=10_000)
            for messages in batches.values():
                for m in messages:
                    assert m.value is not None
                    self.records.append(
                        {
                            "key": m.key.decode() if m.key else None,
                            "headers": {k: v.decode() for k, v in m.headers},
                            **json.loads(m.value),
                        }
                    )
        return self.records

    async def settle(self, seconds: float) -> list[dict[str, Any]]:
        """Keep reading for `seconds` (to catch any late duplicate)."""
        return await self.read_until(lambda _: False, seconds)

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()


async def start_group_at_the_end(bootstrap_servers: str, group: str, topic: str) -> None:
    """A new consumer group would read the whole shared topic; commit its offsets at the end first."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        metadata = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(topic, p) for p in metadata.partitions_for_topic(topic) or set()]
        if not partitions:
            return  # the topic does not exist yet (a fresh broker): there is no history to skip
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in ends.items()})
    finally:
        await consumer.stop()


@pytest.fixture
async def readers(infra: Infra) -> AsyncIterator[Callable[[str], Awaitable[TopicReader]]]:
    opened: list[TopicReader] = []
    # On a fresh broker the gateway's topics exist only once a gateway started; a reader may
    # be opened before that (a test starting the gateway as a process afterwards).
    await ensure_topics(infra.kafka_bootstrap_servers, TOPICS)

    async def make(topic: str) -> TopicReader:
        reader = await TopicReader(infra.kafka_bootstrap_servers, topic).open()
        opened.append(reader)
        return reader

    yield make
    for reader in opened:
        await reader.close()


@pytest.fixture
def gateway_processes(
    infra: Infra, schema: str, log_dir: Path, fresh_groups: FreshGroups
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start gateway processes (`python -m`) sharing this test's schema; SIGKILL-able."""
    started: list[ServiceProcess] = []
    identity = SERVICES["attendance-gateway"]

    def start(**settings: Any) -> ServiceProcess:
        prefix = identity.env_prefix
        values = {
            "poll_workers": 4,
            "session_timeout_s": 2.0,
            "lease_s": 3.0,
            "poll_tick_s": 0.2,
            "outbox_poll_interval_s": 0.2,
            "daily_attendance_enabled": False,
            **settings,
        }
        fresh_groups.at_the_end_now(bool(values["daily_attendance_enabled"]))
        env = {
            **infra.env(),
            f"{prefix}DB_SCHEMA": schema,
            f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{schema}",
            **{f"{prefix}{k.upper()}": str(v) for k, v in values.items()},
        }
        process = ServiceProcess(identity.module, prefix, env, log_dir)
        started.append(process.start())
        process.wait_ready(90)
        return process

    yield start
    for process in started:
        process.stop()
