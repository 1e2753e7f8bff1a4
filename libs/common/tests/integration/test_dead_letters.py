"""Poison messages go to `<topic>.dlq` and the partition keeps flowing; transient failures
are retried a bounded number of times with backoff; permanent ones are dead-lettered at
once; a dead letter can be replayed. Against the real broker."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from bkpsdm.common.broker import build_broker
from bkpsdm.common.dlq import read_dead_letters, replay_dead_letters
from bkpsdm.common.errors import PermanentError, RetryableError
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.subscriptions import subscribe_events
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.probe import ProbeEvent
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

POLICY = RetryPolicy(max_attempts=3, base_delay_s=0.1, max_delay_s=0.5)


@dataclass
class ScriptedHandler:
    """Behaves as each event's `padding` says: ok, permanent, transient-N, always-transient."""

    attempts: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    handled: list[int] = field(default_factory=list)
    healed: bool = False

    async def __call__(self, event: ProbeEvent, meta: EventMetadata) -> None:
        self.attempts[event.seq].append(time.monotonic())
        tries = len(self.attempts[event.seq])
        mode = event.padding
        if mode == "permanent":
            raise PermanentError("rekap tidak sesuai aturan")
        if mode.startswith("transient-") and tries <= int(mode.split("-")[1]):
            raise RetryableError("database briefly unavailable")
        if mode == "always-transient" and not self.healed:
            raise RetryableError("remote API down")
        self.handled.append(event.seq)


@pytest.fixture
async def consumer(
    infra: Infra, probe_topic: TopicSpec
) -> AsyncIterator[tuple[KafkaBroker, ScriptedHandler]]:
    handler = ScriptedHandler()
    broker = build_broker(
        service="dlq-test",
        bootstrap_servers=infra.kafka_bootstrap_servers,
        registry=CollectorRegistry(),
        retry_policy=POLICY,
    )
    subscribe_events(broker, probe_topic, "dlq-test", {ProbeEvent: handler})
    await broker.start()
    yield broker, handler
    await broker.stop()


@pytest.fixture
async def producer(infra: Infra) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, enable_idempotence=True)
    await p.start()
    yield p
    await p.stop()


def envelope(seq: int) -> list[tuple[str, bytes]]:
    meta = EventMetadata(type=ProbeEvent.event_type, source="/tests", correlation_id=f"cid-{seq}")
    return [(k, v.encode()) for k, v in meta.to_headers().items()]


async def send(
    producer: AIOKafkaProducer, topic: str, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    # One key: every message lands on the same partition, in this order.
    await producer.send_and_wait(topic, value, key=b"same-partition", headers=headers)


async def test_poison_messages_are_dead_lettered_and_the_next_good_one_is_handled(
    infra: Infra,
    probe_topic: TopicSpec,
    consumer: tuple[KafkaBroker, ScriptedHandler],
    producer: AIOKafkaProducer,
) -> None:
    _, handler = consumer
    await send(producer, probe_topic.name, b"this is not json {", envelope(1))
    await send(producer, probe_topic.name, b'{"seq": "not a number"}', envelope(2))
    await send(producer, probe_topic.name, ProbeEvent(seq=3).model_dump_json().encode(), [])  # no envelope
    await send(
        producer, probe_topic.name, ProbeEvent(seq=4, padding="ok").model_dump_json().encode(), envelope(4)
    )

    async def good_one_handled() -> bool:
        return handler.handled == [4]

    await eventually(good_one_handled, 30, "the good message after the poison ones")
    letters = await read_dead_letters(infra.kafka_bootstrap_servers, probe_topic.dlq)
    assert [letter.value for letter in letters] == [
        b"this is not json {",
        b'{"seq": "not a number"}',
        ProbeEvent(seq=3).model_dump_json().encode(),
    ]
    for letter in letters:
        assert letter.headers["dlq_kind"] == "permanent"
        assert letter.headers["dlq_attempts"] == "1"
        assert letter.headers["dlq_origin_topic"] == probe_topic.name
        assert letter.headers["dlq_consumer_group"] == "dlq-test"
        assert letter.headers["dlq_error"]
        assert letter.key == b"same-partition"
    assert letters[0].headers["dlq_error_type"] == "json.decoder.JSONDecodeError"
    assert "ValidationError" in letters[1].headers["dlq_error_type"]
    assert letters[2].headers["dlq_error_type"].endswith("MissingEnvelopeError")
    assert letters[0].headers["correlation_id"] == "cid-1", "original headers are kept"
    assert letters[0].headers["content-type"] == "application/octet-stream"
    assert letters[0].headers["dlq_content_type"] == "application/json"
    assert "not a number" not in letters[1].headers["dlq_error"], "input values stay out of errors"
    assert (
        letters[1].headers["dlq_error"]
        == "seq: Input should be a valid integer, unable to parse string as an integer"
    )
    origin_offsets = [int(letter.headers["dlq_origin_offset"]) for letter in letters]
    assert origin_offsets == sorted(origin_offsets)


async def test_transient_failures_are_retried_with_backoff_and_permanent_ones_are_not(
    infra: Infra,
    probe_topic: TopicSpec,
    consumer: tuple[KafkaBroker, ScriptedHandler],
    producer: AIOKafkaProducer,
) -> None:
    _, handler = consumer
    events = {
        10: "transient-2",  # fails twice, then succeeds on the third (last allowed) attempt
        11: "permanent",
        12: "always-transient",
        13: "ok",
    }
    for seq, mode in events.items():
        await send(
            producer,
            probe_topic.name,
            ProbeEvent(seq=seq, padding=mode).model_dump_json().encode(),
            envelope(seq),
        )

    async def last_handled() -> bool:
        return 13 in handler.handled

    await eventually(last_handled, 30, "the stream to move past the failing events")
    assert handler.handled == [10, 13]
    assert len(handler.attempts[10]) == 3
    assert len(handler.attempts[11]) == 1, "a permanent error is not retried"
    assert len(handler.attempts[12]) == POLICY.max_attempts, "retries are bounded"
    gaps = [b - a for a, b in zip(handler.attempts[12], handler.attempts[12][1:], strict=False)]
    assert all(gap >= POLICY.base_delay_s / 2 for gap in gaps), f"no backoff between attempts: {gaps}"

    letters = await read_dead_letters(infra.kafka_bootstrap_servers, probe_topic.dlq)
    by_seq = {ProbeEvent.model_validate_json(letter.value).seq: letter for letter in letters}
    assert set(by_seq) == {11, 12}
    assert by_seq[11].headers["dlq_kind"] == "permanent"
    assert by_seq[12].headers["dlq_kind"] == "retryable"
    assert by_seq[12].headers["dlq_attempts"] == str(POLICY.max_attempts)
    assert by_seq[12].headers["dlq_error"] == "remote API down"

    # The operator fixes the cause and replays: the event is handled once.
    handler.healed = True
    await replay_dead_letters(infra.kafka_bootstrap_servers, [by_seq[12]])

    async def replayed() -> bool:
        return 12 in handler.handled

    await eventually(replayed, 30, "the replayed dead letter to be handled")
    assert handler.handled.count(12) == 1


async def test_operators_list_and_replay_dead_letters_from_the_command_line(
    infra: Infra,
    probe_topic: TopicSpec,
    consumer: tuple[KafkaBroker, ScriptedHandler],
    producer: AIOKafkaProducer,
) -> None:
    import json
    import os
    import subprocess
    import sys

    _, handler = consumer
    await send(
        producer,
        probe_topic.name,
        ProbeEvent(seq=20, padding="always-transient").model_dump_json().encode(),
        envelope(20),
    )

    async def dead_lettered() -> bool:
        return len(await read_dead_letters(infra.kafka_bootstrap_servers, probe_topic.dlq)) == 1

    await eventually(dead_lettered, 30, "the failing event to be dead-lettered")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bkpsdm.common.dlq", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    listed = cli("list", probe_topic.dlq)
    assert listed.returncode == 0, listed.stderr
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert letter["kind"] == "retryable"
    assert letter["correlation_id"] == "cid-20"
    assert "padding" not in listed.stdout, "payloads are not printed"

    assert cli("replay", probe_topic.dlq, "--offset", "9:9").returncode != 0
    handler.healed = True
    replayed = cli("replay", probe_topic.dlq, "--offset", f"{letter['partition']}:{letter['offset']}")
    assert replayed.returncode == 0, replayed.stderr

    async def handled() -> bool:
        return 20 in handler.handled

    await eventually(handled, 30, "the replayed event to be handled")


async def test_a_record_whose_headers_are_not_utf8_is_dead_lettered_not_looped_on(
    infra: Infra,
    probe_topic: TopicSpec,
    consumer: tuple[KafkaBroker, ScriptedHandler],
    producer: AIOKafkaProducer,
) -> None:
    _, handler = consumer
    broken = [*envelope(30)[1:], ("ce_id", b"\xff\xfe not utf-8")]
    await send(producer, probe_topic.name, ProbeEvent(seq=30).model_dump_json().encode(), broken)
    await send(producer, probe_topic.name, ProbeEvent(seq=31).model_dump_json().encode(), envelope(31))

    async def next_one_handled() -> bool:
        return 31 in handler.handled

    await eventually(next_one_handled, 30, "the message after the broken one")
    assert 30 not in handler.handled
    [letter] = await read_dead_letters(infra.kafka_bootstrap_servers, probe_topic.dlq)
    assert letter.headers["dlq_kind"] == "permanent"
    assert "UTF-8" in letter.headers["dlq_error"]
