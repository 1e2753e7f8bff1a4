"""In-memory outbox, inbox and unit of work: use cases run on them in unit tests (milliseconds).

Rollback is modelled: what a failed unit of work added is discarded, as PostgreSQL would.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from bkpsdm.common.events import Event, EventMetadata, metadata_for
from bkpsdm.common.outbox import key_of
from bkpsdm.common.topics import TopicSpec


@dataclass(frozen=True)
class OutboxEntry:
    topic: str
    key: str
    event: Event
    meta: EventMetadata
    aggregate_type: str


@dataclass
class InMemoryOutbox:
    source: str = "/tests"
    entries: list[OutboxEntry] = field(default_factory=list)

    async def add(
        self, topic: TopicSpec, event: Event, *, correlation_id: str | None, aggregate_type: str | None = None
    ) -> str:
        key = key_of(topic, event)  # the same contract check as the real outbox
        meta = metadata_for(event, self.source, correlation_id)
        self.entries.append(
            OutboxEntry(topic.name, key, event, meta, aggregate_type or topic.key.removesuffix("_id"))
        )
        return meta.id

    def events(self) -> list[Event]:
        return [e.event for e in self.entries]


@dataclass
class InMemoryInbox:
    handled: set[tuple[str, str]] = field(default_factory=set)

    async def first_delivery(self, consumer_group: str, meta: EventMetadata) -> bool:
        if (consumer_group, meta.id) in self.handled:
            return False
        self.handled.add((consumer_group, meta.id))
        return True


class InMemoryUnitOfWork:
    """Subclasses add repositories as attributes; every attribute is restored on rollback."""

    def __init__(self) -> None:
        self.outbox = InMemoryOutbox()
        self.inbox = InMemoryInbox()
        self.commits = 0
        self._snapshot: dict[str, Any] | None = None

    async def __aenter__(self) -> Self:
        self._snapshot = copy.deepcopy({k: v for k, v in vars(self).items() if k != "_snapshot"})
        return self

    def without_transaction(self) -> Self:
        # Modelled as a transaction: a use case may only take this path when its writes are
        # one statement, which PostgreSQL applies whole or not at all.
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._snapshot is not None
        if exc_type is None:
            self.commits += 1
        else:
            vars(self).update(self._snapshot)
        self._snapshot = None
