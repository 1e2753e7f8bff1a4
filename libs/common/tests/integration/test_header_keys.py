"""A record whose header key is not UTF-8 (Kafka says a header key is a string; a producer can
still write any bytes) is handed on marked and dead-lettered; the records around it are handled
and the partition does not stall. Without `install_lenient_header_keys` aiokafka raises on that
record at every `getone()` and FastStream restarts its consume task in a tight loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy
from prometheus_client import CollectorRegistry

from bkpsdm.common.broker import INVALID_HEADERS_MARK, build_broker
from bkpsdm.common.commits import OffsetCommitter
from bkpsdm.common.dlq import read_dead_letters
from bkpsdm.common.events import EventMetadata
from bkpsdm.common.kafka_admin import delete_topics
from bkpsdm.common.kafka_records import install_lenient_header_keys
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.subscriptions import subscribe_events
from bkpsdm.common.topics import TopicSpec
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.kafka import create_test_topic, unique_name
from bkpsdm.testing.probe import ProbeEvent, probe_record, probe_topic_spec
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

BAD_KEY = b"\xff\xfekey"
LOSSY_KEY = BAD_KEY.decode("utf-8", "replace")


class RawHeaderKey(str):
    """aiokafka's pure-Python batch builder writes `key.encode("utf-8")`: this key writes BAD_KEY."""

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return BAD_KEY


@pytest.fixture(autouse=True)
def lenient_header_keys() -> None:
    install_lenient_header_keys(INVALID_HEADERS_MARK)


@pytest.fixture
async def topic(infra: Infra) -> AsyncIterator[TopicSpec]:
    spec = probe_topic_spec(unique_name("test.hdrkeys.t"), partitions=1)
    yield await create_test_topic(infra.kafka_bootstrap_servers, spec)
    await delete_topics(infra.kafka_bootstrap_servers, [spec.name, spec.dlq])


async def publish_good_bad_good(bootstrap: str, topic: str, *, one_batch: bool) -> None:
    """Probe events 1, 2, 3 at offsets 0, 1, 2; event 2 also carries the header key BAD_KEY."""
    records = [probe_record(seq) for seq in (1, 2, 3)]
    records[1][2].append((RawHeaderKey("bad"), b"v"))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        batches = [producer.create_batch() for _ in range(1 if one_batch else 3)]
        for batch in batches:
            # The C builder only takes exact `str` keys, so this batch is built in Python.
            batch._builder = _DefaultRecordBatchBuilderPy(
                2,
                0,
                is_transactional=0,
                producer_id=-1,
                producer_epoch=-1,
                base_sequence=0,
                batch_size=1 << 16,
            )
        for i, (key, value, headers) in enumerate(records):
            batch = batches[0 if one_batch else i]
            assert batch.append(key=key, value=value, timestamp=None, headers=headers) is not None
            if not one_batch:
                await (await producer.send_batch(batch, topic, partition=0))
        if one_batch:
            await (await producer.send_batch(batches[0], topic, partition=0))
    finally:
        await producer.stop()


@pytest.mark.parametrize("one_batch", [True, False], ids=["one-batch", "batch-each"])
async def test_a_plain_consumer_gets_the_bad_record_marked_between_the_good_ones(
    infra: Infra, topic: TopicSpec, one_batch: bool
) -> None:
    await publish_good_bad_good(infra.kafka_bootstrap_servers, topic.name, one_batch=one_batch)
    consumer = AIOKafkaConsumer(
        topic.name, bootstrap_servers=infra.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        got = [await consumer.getone() for _ in range(3)]
        assert await consumer.position(TopicPartition(topic.name, 0)) == 3
    finally:
        await consumer.stop()
    assert [r.offset for r in got] == [0, 1, 2]
    assert [ProbeEvent.model_validate_json(r.value).seq for r in got] == [1, 2, 3]
    good_headers = dict(probe_record(1)[2])
    assert dict(got[0].headers).keys() == good_headers.keys(), "good records are read as they were"
    bad = dict(got[1].headers)
    assert bad[LOSSY_KEY] == b"v"
    assert bad[INVALID_HEADERS_MARK] == LOSSY_KEY.encode()
    assert INVALID_HEADERS_MARK not in dict(got[2].headers)


async def test_an_error_lenient_reading_does_not_cure_is_raised_as_before(
    infra: Infra, topic: TopicSpec
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic.name, b"\xff not text", partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic.name,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        value_deserializer=lambda v: v.decode("utf-8"),
    )
    await consumer.start()
    try:
        with pytest.raises(UnicodeDecodeError):  # the deserializer's, once: no retry loop inside
            await consumer.getone()
        assert await consumer.position(TopicPartition(topic.name, 0)) == 0
    finally:
        await consumer.stop()


async def test_the_broker_dead_letters_the_bad_record_and_handles_both_good_ones(
    infra: Infra, topic: TopicSpec, caplog: pytest.LogCaptureFixture
) -> None:
    await publish_good_bad_good(infra.kafka_bootstrap_servers, topic.name, one_batch=True)
    handled: list[int] = []

    async def handler(event: ProbeEvent, meta: EventMetadata) -> None:
        handled.append(event.seq)

    group = "hdrkeys-test"
    committer = OffsetCommitter(interval_s=0.2)  # started and stopped as ServiceRuntime does
    broker = build_broker(
        service="hdrkeys-test",
        bootstrap_servers=infra.kafka_bootstrap_servers,
        registry=CollectorRegistry(),
        retry_policy=RetryPolicy(max_attempts=2, base_delay_s=0.05, max_delay_s=0.1),
        committer=committer,
    )
    subscribe_events(broker, topic, group, {ProbeEvent: handler})
    committed: int | None = None
    checker = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap_servers, group_id=group)
    await broker.start()
    committer.start()
    await checker.start()
    try:

        async def all_committed() -> bool:
            nonlocal committed
            committed = await checker.committed(TopicPartition(topic.name, 0))
            return committed == 3

        await eventually(all_committed, 30, "offsets committed past all three records")
    finally:
        await checker.stop()
        await committer.stop()
        await broker.stop()

    assert handled == [1, 3]
    letters = await read_dead_letters(infra.kafka_bootstrap_servers, topic.dlq)
    assert len(letters) == 1
    letter = letters[0]
    assert ProbeEvent.model_validate_json(letter.value).seq == 2
    assert letter.headers["dlq_origin_offset"] == "1"
    assert letter.headers["dlq_kind"] == "permanent"
    assert letter.headers["dlq_attempts"] == "1"
    assert LOSSY_KEY in letter.headers["dlq_error"]
    assert letter.headers[INVALID_HEADERS_MARK] == LOSSY_KEY
    assert letter.headers[LOSSY_KEY] == "v", "the bad header travels with the dead letter, decoded lossily"
    restarts = [r for r in caplog.records if "raised an exception" in r.getMessage()]
    assert restarts == [], "the consume task never failed"
