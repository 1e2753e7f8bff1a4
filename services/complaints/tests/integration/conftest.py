"""Complaints running in-process on the real PostgreSQL and Kafka, one service (own schema and
consumer groups) per test module, on a clock the tests move; a tap on the complaints topic."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from bkpsdm.common.contracts import COMPLAINTS
from bkpsdm.common.db import quote_schema
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.complaints.bootstrap import bootstrap
from bkpsdm.complaints.clock import ServiceClock
from bkpsdm.complaints.entrypoints.public import signed_sms_request
from bkpsdm.complaints.settings import LOCAL_SMS_SECRET, ComplaintsSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.kafka import create_test_topic
from bkpsdm.testing.services import running_service, settings_for_test

WIB = ZoneInfo("Asia/Jakarta")
# Monday 30 November 2026, 09:00 WIB: a working day, inside service hours.
MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)


@dataclass
class Running:
    runtime: ServiceRuntime
    app: FastAPI
    client: httpx.AsyncClient
    clock: ServiceClock
    schema: str

    @property
    def smtp_port(self) -> int:
        port = self.app.state.mail.bound_port
        assert port is not None
        return int(port)

    async def fire_due(self) -> int:
        return int(await self.app.state.fire_due())

    async def advance(self, delta: timedelta) -> int:
        self.clock.advance(delta)
        return await self.fire_due()

    async def form_post(
        self,
        fields: dict[str, str],
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        token = (await self.client.get("/api/v1/public/form-token")).json()["form_token"]
        parts: list[tuple[str, Any]] = [
            (k, (None, v.encode())) for k, v in {"form_token": token, **fields}.items()
        ]
        return await self.client.post(
            "/api/v1/public/complaints", files=parts + (files or []), headers=headers
        )

    async def act(self, complaint_id: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/complaints/{complaint_id}/actions", json=body, headers=headers
        )

    async def sms(self, payload: dict[str, Any], secret: str = LOCAL_SMS_SECRET) -> httpx.Response:
        """Post to the SMS webhook as the gateway does: signed with the shared secret."""
        body, headers = signed_sms_request(secret, payload)
        return await self.client.post("/api/v1/channels/sms", content=body, headers=headers)

    async def complaint_id_of(self, ticket: str) -> str:
        tracked = await self.client.get(f"/api/v1/public/complaints/{ticket}")
        assert tracked.status_code == 200, tracked.text
        return str(tracked.json()["complaint_id"])


def frozen_clock(start: datetime = MONDAY_0900) -> ServiceClock:
    return ServiceClock(lambda: start)


@pytest.fixture(scope="session")
def start_complaints() -> Callable[..., Any]:
    """`async with start_complaints(infra, pool, **settings) as running:` a service of the test's own."""
    return _start_complaints


@asynccontextmanager
async def _start_complaints(
    infra: Infra,
    pool: asyncpg.Pool,
    clock: ServiceClock | None = None,
    schema: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Running]:
    """The service on its own schema (dropped afterwards); SMTP on a free port; public limits
    high enough not to get in the way unless a test lowers them."""
    schema = schema or f"t_cmp_{uuid.uuid4().hex[:10]}"
    settings = settings_for_test(
        ComplaintsSettings,
        infra,
        schema,
        **{
            "smtp_port": 0,
            "public_rate_per_s": 1000.0,
            "public_burst": 1000,
            "log_level": "WARNING",
            **overrides,
        },
    )
    clock = clock or frozen_clock()
    apps: list[FastAPI] = []

    def boot(s: ComplaintsSettings) -> tuple[ServiceRuntime, FastAPI]:
        runtime, app = bootstrap(s, clock)
        apps.append(app)
        return runtime, app

    try:
        async with running_service(boot, settings) as (runtime, client):
            yield Running(runtime, apps[0], client, clock, schema)
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")


@pytest.fixture(scope="module")
async def complaints(infra: Infra, pool: asyncpg.Pool) -> AsyncIterator[Running]:
    async with _start_complaints(infra, pool) as running:
        yield running


class EventTap:
    """Every event on the complaints topic from the moment the tap opened, by complaint id."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self.records: list[tuple[EventMetadata, dict[str, Any], bytes]] = []

    async def poll(self, seconds: float = 0.5) -> None:
        for records in (await self._consumer.getmany(timeout_ms=int(seconds * 1000))).values():
            for r in records:
                headers = {k: v.decode() for k, v in r.headers}
                self.records.append((EventMetadata.from_headers(headers), json.loads(r.value), r.value))

    def of(self, complaint_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (m.type.split(".")[-2], body)
            for m, body, _ in self.records
            if body.get("complaint_id") == complaint_id
        ]

    async def wait_for(
        self,
        complaint_id: str,
        check: Callable[[list[tuple[str, dict[str, Any]]]], bool],
        within_s: float = 20,
    ) -> list[tuple[str, dict[str, Any]]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while loop.time() < deadline:
            if check(self.of(complaint_id)):
                return self.of(complaint_id)
            await self.poll(0.3)
        raise AssertionError(f"events for {complaint_id}: {self.of(complaint_id)}")


@pytest.fixture(scope="module")
async def tap(infra: Infra) -> AsyncIterator[EventTap]:
    await create_test_topic(infra.kafka_bootstrap_servers, COMPLAINTS)
    consumer = AIOKafkaConsumer(
        COMPLAINTS.name,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        group_id=f"test-complaints-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        # Positions fixed at the topic's end before anything happens: what follows is ours.
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        for tp in consumer.assignment():
            await consumer.position(tp)
        yield EventTap(consumer)
    finally:
        await consumer.stop()
