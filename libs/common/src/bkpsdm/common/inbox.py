"""Inbox: remember which events a consumer group has handled, inside the effect's transaction."""

from __future__ import annotations

from datetime import timedelta

from bkpsdm.common.db import Connection, quote_schema
from bkpsdm.common.events import EventMetadata


async def first_delivery(conn: Connection, schema: str, consumer_group: str, meta: EventMetadata) -> bool:
    """True the first time; False for a redelivery, whose effect must then be skipped.

    Call inside the transaction that applies the effect: if that transaction rolls back,
    so does the record, and the redelivery is handled. A concurrent duplicate waits on the
    primary key and then sees the conflict.
    """
    inserted = await conn.fetchval(
        f"INSERT INTO {quote_schema(schema)}.inbox (consumer_group, event_id, event_type)"
        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
        consumer_group,
        meta.id,
        meta.type,
    )
    return bool(inserted)


async def prune_inbox(conn: Connection, schema: str, retention: timedelta) -> int:
    """Forget handled events older than `retention`; it must outlast the topics' retention,
    or a very late redelivery (a replay of an old dead letter) would be applied again."""
    status = await conn.execute(
        f"DELETE FROM {quote_schema(schema)}.inbox WHERE handled_at < now() - $1::interval", retention
    )
    return int(status.split()[-1])
