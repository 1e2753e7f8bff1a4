"""Offset commits: only what was handled, in batches, and promptly when a partition goes quiet.

A commit costs a broker round trip, so offsets are committed after every `every` handled
messages, and by a timer every `interval_s` for what was handled since (a partition that
goes quiet is committed within the interval, not when its next message arrives), and on a
graceful stop. Offsets are explicit, taken from messages whose handling finished (their
database transaction committed, or the dead letter was acknowledged), so a commit can never
cover a message still in progress. After a crash the few handled-but-uncommitted messages
are delivered again and skipped by the inbox.

The same loop measures each consumer's lag (high watermark minus position) per partition.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge

from bkpsdm.common.errors import describe
from bkpsdm.common.logs import get_logger

log = get_logger(__name__)


class OffsetCommitter:
    def __init__(self, every: int = 100, interval_s: float = 0.5, registry: CollectorRegistry | None = None):
        self.every = every
        self.interval_s = interval_s
        self._pending: dict[AIOKafkaConsumer, dict[TopicPartition, int]] = defaultdict(dict)
        self._counts: dict[AIOKafkaConsumer, int] = defaultdict(int)
        self._locks: dict[AIOKafkaConsumer, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._groups: dict[AIOKafkaConsumer, str] = {}
        self._task: asyncio.Task[None] | None = None
        self.stopping = False  # set on a graceful stop: every handled message is committed at once
        self._lag = Gauge(
            "bkpsdm_consumer_lag",
            "Records behind the high watermark, per consumer group and partition",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self._commits = Counter(
            "bkpsdm_offset_commits_total",
            "Offset commits by outcome",
            ["group", "outcome"],
            registry=registry,
        )
        self.lags: dict[str, dict[str, int]] = {}  # group -> "topic:partition" -> lag, for health
        self._sources: Callable[[], Iterable[tuple[AIOKafkaConsumer, str]]] = lambda: self._groups.items()

    def handled(self, consumer: AIOKafkaConsumer, group: str, record: Any) -> bool:
        """Remember that `record` was handled; True when a commit is due now."""
        if self._task is None and not self.stopping:
            self.start()  # the timer runs from the first handled message on
        self._pending[consumer][TopicPartition(record.topic, record.partition)] = record.offset + 1
        self._groups[consumer] = group
        self._counts[consumer] += 1
        return self.stopping or self._counts[consumer] >= self.every

    async def commit(self, consumer: AIOKafkaConsumer) -> None:
        """Commit what `consumer` handled since its last commit. Serialized per consumer, so
        an older commit can never land after a newer one."""
        async with self._locks[consumer]:
            offsets = self._pending.pop(consumer, None)
            self._counts[consumer] = 0
            if not offsets or getattr(consumer, "_closed", False):
                return  # a closed consumer left its group: its partitions' new owner goes on
            group = self._groups.get(consumer, "")
            try:
                await consumer.commit(offsets)
                self._commits.labels(group, "ok").inc()
            except Exception as exc:
                # A partition revoked by a rebalance, a consumer already closed: its new owner
                # starts at the last commit, and the inbox skips what was handled since.
                self._commits.labels(group, "failed").inc()
                log.warning("consumer.commit_failed", group=group, error=describe(exc))

    async def commit_all(self) -> None:
        for consumer in list(self._pending):
            await self.commit(consumer)

    def watch(self, consumers: Callable[[], Iterable[tuple[AIOKafkaConsumer, str]]]) -> None:
        """Where the consumers whose lag is measured come from (the broker's subscribers),
        so an idle one shows its lag before it delivered anything."""
        self._sources = consumers

    async def measure_lag(self) -> None:
        lags: dict[str, dict[str, int]] = {}
        for consumer, group in list(self._sources()):
            with contextlib.suppress(Exception):  # a consumer between assignments
                for tp in consumer.assignment():
                    high = consumer.highwater(tp)
                    if high is None:
                        continue
                    lag = max(high - await consumer.position(tp), 0)
                    self._lag.labels(group, tp.topic, str(tp.partition)).set(lag)
                    lags.setdefault(group, {})[f"{tp.topic}:{tp.partition}"] = lag
        self.lags = lags

    def start(self) -> None:
        self.stopping = False
        self._task = asyncio.create_task(self._run(), name="offset-committer")

    async def stop(self) -> None:
        """Before the consumers stop: commit what was handled; from now on commit every
        message as it finishes (the one in progress, if any)."""
        self.stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.commit_all()

    def forget(self, consumer: AIOKafkaConsumer) -> None:
        for table in (self._pending, self._counts, self._locks, self._groups):
            table.pop(consumer, None)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.commit_all()
                await self.measure_lag()
            except Exception as exc:  # never let the timer die
                log.warning("consumer.commit_loop_failed", error=describe(exc))
