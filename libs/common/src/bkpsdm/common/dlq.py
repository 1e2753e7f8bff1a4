"""Operators' dead-letter tool.

    python -m bkpsdm.common.dlq list   public.intake.submissions.v1.dlq
    python -m bkpsdm.common.dlq replay public.intake.submissions.v1.dlq --offset 0:12 [--all]

`list` prints one JSON line per dead letter (partition, offset, error, origin, event id,
correlation id); payloads are not printed, they may hold personal data. `replay` publishes
the chosen letters back to their origin topic; consumers de-duplicate by event id, so a
replay is safe to repeat. Kafka comes from KAFKA_BOOTSTRAP_SERVERS (local default otherwise),
its credentials from KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* (bkpsdm.common.kafka_security).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from bkpsdm.common.deadletter import DLQ_HEADERS, header_text
from bkpsdm.common.kafka_admin import read_topic
from bkpsdm.common.kafka_security import KafkaClientSettings, client_options
from bkpsdm.common.logs import get_logger
from bkpsdm.common.settings import LOCAL_KAFKA
from bkpsdm.common.topics import DLQ_SUFFIX

log = get_logger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @classmethod
    def from_record(cls, record: Any) -> DeadLetter:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value or b"",
            headers={k: header_text(v) for k, v in (record.headers or ())},
        )

    @property
    def origin_topic(self) -> str:
        return self.headers.get("dlq_origin_topic") or self.topic.removesuffix(DLQ_SUFFIX)


async def read_dead_letters(
    bootstrap_servers: str,
    dlq_topic: str,
    *,
    timeout_s: float = 5.0,
    security: KafkaClientSettings | None = None,
) -> list[DeadLetter]:
    """Everything currently in a dead-letter topic."""
    records = await read_topic(bootstrap_servers, dlq_topic, timeout_s=timeout_s, security=security)
    return [DeadLetter.from_record(r) for r in records]


async def replay_dead_letters(
    bootstrap_servers: str, letters: Sequence[DeadLetter], *, security: KafkaClientSettings | None = None
) -> int:
    """Publish dead letters back to their origin topic with their original headers.

    Consumers de-duplicate by event id, so replaying a letter whose effect did happen
    changes nothing; one whose cause is fixed is now handled.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all", **client_options(security)
    )
    await producer.start()
    try:
        for letter in letters:
            original = {k: v for k, v in letter.headers.items() if k not in DLQ_HEADERS}
            original["content-type"] = letter.headers.get("dlq_content_type", "")
            headers = [(k, v.encode()) for k, v in original.items()]
            headers.append(
                ("dlq_replayed_from", f"{letter.topic}:{letter.partition}:{letter.offset}".encode())
            )
            await producer.send_and_wait(letter.origin_topic, letter.value, key=letter.key, headers=headers)
            log.info("dead_letter.replayed", topic=letter.origin_topic, dlq_offset=letter.offset)
        return len(letters)
    finally:
        await producer.stop()


def summary(letter: DeadLetter) -> dict[str, str | int]:
    h = letter.headers
    return {
        "partition": letter.partition,
        "offset": letter.offset,
        "origin": f"{h.get('dlq_origin_topic', '?')}:{h.get('dlq_origin_partition', '?')}:{h.get('dlq_origin_offset', '?')}",
        "group": h.get("dlq_consumer_group", ""),
        "kind": h.get("dlq_kind", ""),
        "attempts": h.get("dlq_attempts", ""),
        "error_type": h.get("dlq_error_type", ""),
        "error": h.get("dlq_error", ""),
        "failed_at": h.get("dlq_failed_at", ""),
        "event_id": h.get("ce_id", ""),
        "event_type": h.get("ce_type", ""),
        "correlation_id": h.get("correlation_id", ""),
    }


def select(letters: list[DeadLetter], positions: list[str], everything: bool) -> list[DeadLetter]:
    if everything:
        return letters
    wanted = set()
    for position in positions:
        partition, _, offset = position.partition(":")
        wanted.add((int(partition), int(offset)))
    chosen = [letter for letter in letters if (letter.partition, letter.offset) in wanted]
    missing = wanted - {(letter.partition, letter.offset) for letter in chosen}
    if missing:
        raise SystemExit(f"no dead letter at {', '.join(f'{p}:{o}' for p, o in sorted(missing))}")
    return chosen


async def run(args: argparse.Namespace) -> int:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA)
    if not args.topic.endswith(".dlq"):
        print("the topic must be a dead-letter topic (name ending in .dlq)", file=sys.stderr)
        return 2
    letters = await read_dead_letters(bootstrap, args.topic, timeout_s=60)
    if args.command == "list":
        for letter in letters:
            print(json.dumps(summary(letter), ensure_ascii=False))
        return 0
    chosen = select(letters, args.offset or [], args.all)
    if not chosen:
        print("nothing to replay: name letters with --offset PARTITION:OFFSET or use --all", file=sys.stderr)
        return 2
    count = await replay_dead_letters(bootstrap, chosen)
    print(f"replayed {count} dead letter(s) to {sorted({c.origin_topic for c in chosen})}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bkpsdm.common.dlq", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show what a dead-letter topic holds").add_argument("topic")
    replay = sub.add_parser("replay", help="publish dead letters back to their origin topic")
    replay.add_argument("topic")
    replay.add_argument("--offset", action="append", metavar="PARTITION:OFFSET")
    replay.add_argument("--all", action="store_true")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
