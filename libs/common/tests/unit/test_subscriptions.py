"""Fast contract tests of `subscribe_events` and the dead-letter middleware on FastStream's
in-memory TestKafkaBroker. The same behaviour against the real broker is in
tests/integration/test_dead_letters.py; this only keeps the contract quick to check."""

from __future__ import annotations

from typing import Any

from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from bkpsdm.common.broker import build_broker
from bkpsdm.common.domain_errors import DomainError, ErrorSpec, Problem
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.memory import InMemoryUnitOfWork
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.subscriptions import consume, subscribe_events
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.probe import ProbeEvent

TOPIC = TopicSpec(name="test.contract.v1", key="seq", owner="tests", description="contract")


def envelope(event_type: str = ProbeEvent.event_type) -> dict[str, str]:
    return EventMetadata(type=event_type, source="/tests", correlation_id="cid-c").to_headers()


async def test_events_reach_their_handler_typed_and_with_their_envelope() -> None:
    broker = build_broker(
        service="contract",
        bootstrap_servers="localhost:9092",
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(2, 0.01, 0.01),
    )
    received: list[tuple[ProbeEvent, EventMetadata]] = []
    dead: list[Any] = []

    async def on_probe(event: ProbeEvent, meta: EventMetadata) -> None:
        if event.padding == "boom":
            raise RuntimeError("handler bug")
        received.append((event, meta))

    subscribe_events(broker, TOPIC, "contract", {ProbeEvent: on_probe})

    @broker.subscriber(TOPIC.dlq, group_id="contract-dlq")
    async def collect(msg: KafkaMessage) -> None:  # raw: a dead letter need not be valid JSON
        dead.append((msg.body, msg.headers["dlq_kind"]))

    async with TestKafkaBroker(broker) as br:
        headers = envelope()
        await br.publish(ProbeEvent(seq=1).model_dump(), topic=TOPIC.name, headers=headers)
        await br.publish({"seq": 2}, topic=TOPIC.name, headers=envelope("id.go.bkpsdm.other.thing.v1"))
        await br.publish(b"not json", topic=TOPIC.name, headers=envelope())
        await br.publish(ProbeEvent(seq=3, padding="boom").model_dump(), topic=TOPIC.name, headers=envelope())

    assert [(e.seq, m.id, m.correlation_id) for e, m in received] == [(1, headers["ce_id"], "cid-c")]
    assert dead[0] == (b"not json", "permanent")
    assert dead[1][1] == "retryable", "the failing handler was retried, then dead-lettered"
    assert len(dead) == 2


async def test_a_domain_error_in_a_consumer_is_dead_lettered_at_once() -> None:
    broker = build_broker(
        service="contract",
        bootstrap_servers="localhost:9092",
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(5, 0.01, 0.01),
    )
    calls: list[int] = []
    dead: list[tuple[str, str]] = []
    rule = ErrorSpec("REKAP_DITOLAK", "Rekap ditolak.", Problem.INVALID)

    async def on_probe(event: ProbeEvent, meta: EventMetadata) -> None:
        calls.append(event.seq)
        raise DomainError(rule)

    subscribe_events(broker, TOPIC, "contract", {ProbeEvent: on_probe})

    @broker.subscriber(TOPIC.dlq, group_id="contract-dlq")
    async def collect(msg: KafkaMessage) -> None:
        dead.append((msg.headers["dlq_kind"], msg.headers["dlq_attempts"]))

    async with TestKafkaBroker(broker) as br:
        await br.publish(ProbeEvent(seq=7).model_dump(), topic=TOPIC.name, headers=envelope())

    assert calls == [7], "a business rule is not asked twice"
    assert dead == [("permanent", "1")]


async def test_a_consuming_use_case_runs_once_per_event_id_without_inbox_code_of_its_own() -> None:
    broker = build_broker(
        service="contract",
        bootstrap_servers="localhost:9092",
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(2, 0.01, 0.01),
    )
    uow = InMemoryUnitOfWork()
    applied: list[int] = []

    async def use_case(uow: InMemoryUnitOfWork, event: ProbeEvent, correlation_id: str | None) -> None:
        applied.append(event.seq)

    consume(
        broker,
        TOPIC,
        group="contract",
        inbox_name="tests.contract",
        unit_of_work=lambda: uow,
        handlers={ProbeEvent: use_case},
    )
    async with TestKafkaBroker(broker) as br:
        headers = envelope()
        for _ in range(3):  # the same event delivered three times
            await br.publish(ProbeEvent(seq=1).model_dump(), topic=TOPIC.name, headers=headers)
        await br.publish(ProbeEvent(seq=2).model_dump(), topic=TOPIC.name, headers=envelope())

    assert applied == [1, 2]
    assert uow.commits == 4, "each delivery was one unit of work; the repeats committed nothing else"
