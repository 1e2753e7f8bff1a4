"""Comm keys at rest: sealed with the secret file's key, never in plaintext in the database;
rows stored before sealing are sealed when a gateway with the secret starts; a gateway that
cannot open them refuses to start instead of failing every poll."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bkpsdm.attendance_gateway.adapters.comm_keys import CommKeySealer, CommKeyUnreadable
from bkpsdm.common.db import quote_schema
from bkpsdm.simulators.zk_terminal import FleetThread
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

COMM_KEY = 135_790


def secret_file(tmp_path: Path, *keys: str) -> Path:
    path = tmp_path / "comm-key.secret"
    path.write_text("\n".join(keys) + "\n")
    return path


async def stored(pool: asyncpg.Pool, schema: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(f"SELECT comm_key, comm_key_sealed FROM {quote_schema(schema)}.terminals")


async def test_a_comm_key_is_sealed_at_rest_and_the_terminal_still_answers(
    gateway_factory: Callable[..., Any],
    make_fleet: Callable[..., FleetThread],
    technician_headers: dict[str, str],
    pool: asyncpg.Pool,
    schema: str,
    tmp_path: Path,
) -> None:
    key = CommKeySealer.generate_key()
    fleet = make_fleet(1, comm_key=COMM_KEY, users=2, days=1, first_day=date(2026, 11, 2))
    async with gateway_factory(comm_key_secret_file=secret_file(tmp_path, key)) as (_, client):
        client.headers.update(technician_headers)
        body = {"name": "Lobi", "address": "127.0.0.1", "port": fleet.ports[0], "unit": "BKPSDM"}
        created = await client.post("/api/v1/terminals", json={**body, "comm_key": COMM_KEY})
        assert created.status_code == 201, created.text

        async def online() -> bool:
            board = (await client.get("/api/v1/terminal-health")).json()
            return bool(board[0]["status"] == "ONLINE")

        await eventually(online, 30, "the terminal answers with the unsealed comm key")

    [row] = await stored(pool, schema)
    assert row["comm_key"] == 0
    assert str(COMM_KEY) not in row["comm_key_sealed"]
    assert CommKeySealer([key.encode()]).open(row["comm_key_sealed"]) == COMM_KEY


async def test_plaintext_rows_are_sealed_at_start_and_without_the_secret_the_gateway_refuses_to_start(
    gateway_factory: Callable[..., Any],
    technician_headers: dict[str, str],
    pool: asyncpg.Pool,
    schema: str,
    tmp_path: Path,
) -> None:
    body = {"name": "Lobi", "address": "10.1.2.3", "unit": "BKPSDM", "comm_key": COMM_KEY, "enabled": False}
    async with gateway_factory() as (_, client):  # before sealing existed: plaintext
        client.headers.update(technician_headers)
        assert (await client.post("/api/v1/terminals", json=body)).status_code == 201
    assert [tuple(r) for r in await stored(pool, schema)] == [(COMM_KEY, None)]

    old, new = CommKeySealer.generate_key(), CommKeySealer.generate_key()
    async with gateway_factory(comm_key_secret_file=secret_file(tmp_path, old)):
        pass
    [row] = await stored(pool, schema)
    assert row["comm_key"] == 0
    assert CommKeySealer([old.encode()]).open(row["comm_key_sealed"]) == COMM_KEY

    # Rotation: the new key first, the old one kept below until a gateway started once.
    async with gateway_factory(comm_key_secret_file=secret_file(tmp_path, new, old)) as (_, client):
        client.headers.update(technician_headers)
        listed = (await client.get("/api/v1/terminals")).json()
        assert [t["comm_key_set"] for t in listed] == [True]
    [row] = await stored(pool, schema)
    assert CommKeySealer([new.encode()]).open(row["comm_key_sealed"]) == COMM_KEY

    with pytest.raises(CommKeyUnreadable):
        async with gateway_factory():
            pass
