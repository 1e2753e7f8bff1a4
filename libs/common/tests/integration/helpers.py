"""Waiting and counting for the reliability tests."""

from __future__ import annotations

import asyncpg

from bkpsdm.common.db import quote_schema
from bkpsdm.common.outbox import enqueue
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.probe import ProbeEvent


async def enqueue_probes(
    pool: asyncpg.Pool, schema: str, topic: TopicSpec, seqs: range, *, keys: int = 20, per_tx: int = 100
) -> None:
    """Write probe events through the outbox, `per_tx` per transaction, keys cycling."""
    seq_list = list(seqs)
    for start in range(0, len(seq_list), per_tx):
        async with pool.acquire() as conn, conn.transaction():
            for seq in seq_list[start : start + per_tx]:
                await enqueue(
                    conn,
                    schema,
                    topic,
                    f"key-{seq % keys}",
                    ProbeEvent(seq=seq),
                    source="/tests",
                    correlation_id=f"cid-{seq}",
                    aggregate_type="probe",
                )


async def pending_outbox(pool: asyncpg.Pool, schema: str) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(f"SELECT count(*) FROM {quote_schema(schema)}.outbox WHERE sent_at IS NULL")
        )
