"""Routing in-process on the real broker and database, with a clock the test moves.

Its consumer groups start at the shared topics' end (earlier events are other tests'), the
deadline firer is driven by the test (`fire`), and officials sign in with their own tokens.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.db import quote_schema
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.topics import TopicSpec
from bkpsdm.routing.bootstrap import bootstrap
from bkpsdm.routing.entrypoints.handlers import INPUTS
from bkpsdm.routing.settings import RoutingSettings
from bkpsdm.testing.auth import token_for
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import settings_for_test
from bkpsdm.testing.waiting import eventually

PKA = "BIDANG-PKA-PKK"
# name: (role, unit)
OFFICIALS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.PETUGAS_ADMINISTRASI, None),
    "kasubbag": (Role.KASUBBAG_UMUM, None),
    "sekretaris": (Role.SEKRETARIS, None),
    "kaban": (Role.KEPALA_BADAN, None),
    "kabid": (Role.KEPALA_BIDANG, PKA),
    "kabid-info": (Role.KEPALA_BIDANG, "BIDANG-INFORMASI"),
    "pengolah": (Role.UNIT_PENGOLAH, PKA),
    "teknis": (Role.PETUGAS_TEKNIS, None),
    "data": (Role.PENGOLAH_DATA, None),
    "disdik": (Role.PERANGKAT_DAERAH, "DISDIK"),
    "plh": (Role.KEPALA_BIDANG, "BIDANG-INFORMASI"),
}


async def start_at_end(bootstrap_servers: str, suffix: str) -> None:
    """Routing's consumer groups for `suffix` start where the shared topics end now."""
    await ensure_topics(bootstrap_servers, TOPICS)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in INPUTS.values()])
    finally:
        await admin.close()
    partitions = {
        d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]] for d in described
    }
    for purpose, topic in INPUTS.items():
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=f"routing.{purpose}{suffix}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign(partitions[topic.name])
            await consumer.commit(await consumer.end_offsets(partitions[topic.name]))
        finally:
            await consumer.stop()


@dataclass
class Routing:
    client: httpx.AsyncClient
    app: FastAPI
    runtime: ServiceRuntime
    schema: str
    clock: Any
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str, key: str | None = None) -> dict[str, str]:
        if who not in self.tokens:
            role, unit = OFFICIALS[who]
            self.tokens[who] = token_for(role, unit=unit, subject=f"nip-{who}", name=f"Pejabat {who}")
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def post(self, who: str, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers(who, key))

    async def get(self, who: str, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(who), params=params)

    async def act(
        self, who: str, case_id: str, action: str, body: Any = None, key: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(who, f"/api/v1/cases/{case_id}/{action}", body, key)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def inbox(self, who: str) -> dict[str, dict[str, Any]]:
        """The official's inbox by case id (other engineers' submissions may share the broker)."""
        items = (await self.get(who, "/api/v1/inbox", limit=200)).json()
        return {item["case_id"]: item for item in items}

    async def publish(
        self, topic: TopicSpec, event: Event, correlation_id: str | None = None
    ) -> EventMetadata:
        meta = EventMetadata(type=event.event_type, source="/tests", correlation_id=correlation_id)
        await self.producer.send_and_wait(
            topic.name,
            event.model_dump_json().encode(),
            key=str(getattr(event, topic.key)).encode(),
            headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
        )
        return meta

    async def case_of(
        self, submission_id: str, step: str | None = None, within: float = 60
    ) -> dict[str, Any]:
        """The case of a submission once routing has it (at `step`, if given)."""
        found: dict[str, Any] = {}

        async def there() -> bool:
            response = await self.get("admin", f"/api/v1/cases/by-submission/{submission_id}")
            if response.status_code == 200:
                found.update(response.json())
                return step is None or found["step"] == step
            return False

        await eventually(there, within, f"routing to hold submission {submission_id} at {step}")
        return found

    async def at_step(self, case_id: str, step: str, within: float = 60) -> dict[str, Any]:
        found: dict[str, Any] = {}

        async def there() -> bool:
            found.update((await self.get("admin", f"/api/v1/cases/{case_id}")).json())
            return bool(found.get("step") == step)

        await eventually(there, within, f"case {case_id} to reach {step}")
        return found

    async def outbox(self, event_type: str, **match: str) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT payload FROM {quote_schema(self.schema)}.outbox WHERE type = $1 ORDER BY seq",
                event_type,
            )
        payloads = [json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in rows]
        return [p for p in payloads if all(p.get(k) == v for k, v in match.items())]

    async def fire(self) -> int:
        fired: int = await self.app.state.deadlines.fire_due()
        return fired


@pytest.fixture
async def routing(infra: Infra, pool: asyncpg.Pool, schema: str, clock: Any) -> AsyncIterator[Routing]:
    settings = settings_for_test(
        RoutingSettings,
        infra,
        schema,
        deadlines_enabled=False,
        diagnosis_timeout_s=60,
        outbox_poll_interval_s=0.2,
    )
    await start_at_end(infra.kafka_bootstrap_servers, settings.consumer_group_suffix)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    runtime, app = bootstrap(settings, clock=clock)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://routing.test") as client:
                yield Routing(client, app, runtime, schema, clock, pool, producer)
    finally:
        await producer.stop()
