"""Unit of work: one transaction that changes a service's state, records handled events
(inbox) and adds the events it causes (outbox), so they commit or roll back together.

Use cases depend on the protocols here; `PostgresUnitOfWork` is the real one and
`bkpsdm.common.memory` has in-memory ones for millisecond unit tests. A service subclasses
`PostgresUnitOfWork` to add its repositories in `bind`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Protocol, Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from bkpsdm.common.db import Connection, Database
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.inbox import first_delivery
from bkpsdm.common.outbox import enqueue
from bkpsdm.common.topics import TopicSpec


class Outbox(Protocol):
    async def add(
        self, topic: TopicSpec, event: Event, *, correlation_id: str | None, aggregate_type: str | None = None
    ) -> str:
        """Add `event` to go out on `topic` when the unit of work commits; its event id. The
        topic must carry the event; the Kafka key is the field the topic declares."""
        ...


class Inbox(Protocol):
    async def first_delivery(self, consumer_group: str, meta: EventMetadata) -> bool:
        """True the first time `consumer_group` handles this event id."""
        ...


class UnitOfWork(Protocol):
    # Read-only in the protocol, so implementations may hold narrower types.
    @property
    def outbox(self) -> Outbox: ...

    @property
    def inbox(self) -> Inbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class PostgresOutbox:
    def __init__(self, conn: Connection, schema: str, source: str) -> None:
        self._conn, self._schema, self._source = conn, schema, source

    async def add(
        self, topic: TopicSpec, event: Event, *, correlation_id: str | None, aggregate_type: str | None = None
    ) -> str:
        return await enqueue(
            self._conn,
            self._schema,
            topic,
            event,
            source=self._source,
            correlation_id=correlation_id,
            aggregate_type=aggregate_type,
        )


class PostgresInbox:
    def __init__(self, conn: Connection, schema: str) -> None:
        self._conn, self._schema = conn, schema

    async def first_delivery(self, consumer_group: str, meta: EventMetadata) -> bool:
        return await first_delivery(self._conn, self._schema, consumer_group, meta)


class PostgresUnitOfWork:
    """A pooled connection and one transaction: committed when the block ends normally,
    rolled back when it raises."""

    outbox: Outbox
    inbox: Inbox

    def __init__(self, db: Database, source: str) -> None:
        self._db = db
        self._source = source
        self._conn: PoolConnectionProxy[asyncpg.Record] | None = None
        self._tx: Transaction | None = None

    @property
    def source(self) -> str:
        """The CloudEvents source of the events this service publishes."""
        return self._source

    def bind(self, conn: Connection, schema: str) -> None:
        """Subclasses attach their repositories to the transaction's connection here."""

    @asynccontextmanager
    async def without_transaction(self) -> AsyncIterator[Self]:
        """The unit of work with no transaction around it: each statement commits alone. Only
        for a use case that writes in one statement (its events included), which saves the
        BEGIN and COMMIT round trips."""
        conn = await self._db.pool.acquire(timeout=self._db.acquire_timeout_s)
        try:
            self._conn = conn
            self.outbox = PostgresOutbox(conn, self._db.schema, self._source)
            self.inbox = PostgresInbox(conn, self._db.schema)
            self.bind(conn, self._db.schema)
            yield self
        finally:
            self._conn = None
            await self._db.pool.release(conn)

    async def __aenter__(self) -> Self:
        conn = await self._db.pool.acquire(timeout=self._db.acquire_timeout_s)
        try:
            tx = conn.transaction()
            await tx.start()
        except BaseException:
            await self._db.pool.release(conn)
            raise
        self._conn, self._tx = conn, tx
        self.outbox = PostgresOutbox(conn, self._db.schema, self._source)
        self.inbox = PostgresInbox(conn, self._db.schema)
        self.bind(conn, self._db.schema)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        assert self._tx is not None
        try:
            if exc_type is None:
                await self._tx.commit()
            else:
                await self._tx.rollback()
        finally:
            await self._db.pool.release(self._conn)
            self._conn = self._tx = None
