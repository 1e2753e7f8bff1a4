"""Subscriptions: how a service consumes a topic.

`consume` is what services use: it decodes the CloudEvents envelope and the payload into
the registered event model, opens the service's unit of work, records the delivery in the
inbox and skips an event this handler already handled, then calls the use case with
`(uow, event, correlation_id)` inside that same transaction. A use case cannot forget the
inbox, so every consumer is exactly-once in effect. `subscribe_events` is the layer below
(decode and dispatch, no unit of work), for tools and tests that manage their own
transactions.

Event types a subscription has no handler for are skipped (a topic may gain new types; old
consumers must keep going). A missing envelope or a payload that does not fit its schema is
permanent: the message is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from bkpsdm.common.broker import INVALID_HEADERS_MARK
from bkpsdm.common.errors import PermanentError
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.logs import get_logger
from bkpsdm.common.topics import TopicSpec
from bkpsdm.common.uow import UnitOfWork

log = get_logger(__name__)

EventHandler = Callable[[Any, EventMetadata], Awaitable[None]]
# A consuming use case: runs inside the open unit of work the subscription recorded the
# delivery in. `Any` for the event: each handler takes its own event model.
UseCase = Callable[[Any, Any, str | None], Awaitable[object]]


def subscribe_events(
    broker: KafkaBroker,
    topic: TopicSpec,
    group: str,
    handlers: Mapping[type[Event], EventHandler],
) -> None:
    """Subscribe `group` to `topic`, dispatching each event to its handler by `ce_type`."""
    by_type = {model.event_type: (model, handler) for model, handler in handlers.items()}

    @broker.subscriber(
        topic.name,
        group_id=group,
        # Offsets are committed by the dead-letter middleware through the OffsetCommitter.
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",  # a new group must not miss what was published before it joined
        no_reply=True,  # never publish to a topic a record's `reply_to` header names
    )
    async def on_event(msg: KafkaMessage) -> None:
        if INVALID_HEADERS_MARK in msg.headers:
            raise PermanentError(f"headers are not UTF-8 text: {msg.headers[INVALID_HEADERS_MARK]}")
        meta = EventMetadata.from_headers(msg.headers)
        entry = by_type.get(meta.type)
        if entry is None:
            log.info("event.skipped", reason="no handler for type", group=group)
            return
        model, handler = entry
        event = model.model_validate_json(msg.body)
        await handler(event, meta)


async def handle_once(
    uow: UnitOfWork, inbox_name: str, use_case: UseCase, event: Event, meta: EventMetadata
) -> bool:
    """Run `use_case` for `event` in `uow`, unless `inbox_name` already handled this event id;
    the inbox record and the use case's effects commit together. True if it ran."""
    async with uow:
        if not await uow.inbox.first_delivery(inbox_name, meta):
            log.info("event.duplicate_skipped", handler=inbox_name)
            return False
        await use_case(uow, event, meta.correlation_id)
        return True


def consume(
    broker: KafkaBroker,
    topic: TopicSpec,
    *,
    group: str,
    inbox_name: str,
    unit_of_work: Callable[[], UnitOfWork],
    handlers: Mapping[type[Event], UseCase],
) -> None:
    """Subscribe to `topic`; each event runs its use case exactly once in effect.

    `inbox_name` is the stable name deliveries are recorded under (see
    `ServiceRuntime.consume`, which derives it and the group from a purpose).
    """

    def in_unit_of_work(use_case: UseCase) -> EventHandler:
        async def handle(event: Event, meta: EventMetadata) -> None:
            await handle_once(unit_of_work(), inbox_name, use_case, event, meta)

        return handle

    subscribe_events(
        broker, topic, group, {model: in_unit_of_work(use_case) for model, use_case in handlers.items()}
    )
