"""Topic administration and whole-topic reads (operators' tools, tests, dead-letter replay).

    python -m bkpsdm.common.kafka_admin ensure [--replication-factor 3]   (the topic-init step)
    python -m bkpsdm.common.kafka_admin plan                              (what `ensure` would set)
    python -m bkpsdm.common.kafka_admin public-topics                     (what agencies may read)

Every topic of the registry and its dead-letter topic is created with its partitions and
the retention and cleanup policy of `topic_config`; `ensure` also brings the retention of
topics that exist to that policy (other per-topic settings an operator made are kept).
Kafka and its credentials come from KAFKA_BOOTSTRAP_SERVERS and KAFKA_SECURITY_PROTOCOL /
KAFKA_SASL_* (bkpsdm.common.kafka_security).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.structs import ConsumerRecord

from bkpsdm.common.kafka_security import KafkaClientSettings, client_options
from bkpsdm.common.topics import DLQ_SUFFIX, TopicRegistry

TOPIC_ALREADY_EXISTS = 36
DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs' config_source of a per-topic override

DAY_MS = 24 * 3600 * 1000
# Every retention stays below the inbox's 30 days (INBOX_RETENTION_DAYS): a consumer group
# reset to the earliest offset must find an inbox record for every event it sees again.
# Public topics give other agencies two weeks to catch up after an outage of their own;
# dead letters give operators three weeks to fix a cause and replay (docs/OPERATIONS.md).
RETENTION_DAYS = {"public": 14, "internal": 7}
DEAD_LETTER_RETENTION_DAYS = 21


class TopicSetupError(RuntimeError):
    pass


def topic_config(name: str, replication_factor: int = 1) -> dict[str, str]:
    """The per-topic settings the platform sets: events are facts, deleted by age, never
    compacted (compaction would keep only a key's last event)."""
    days = (
        DEAD_LETTER_RETENTION_DAYS
        if name.endswith(DLQ_SUFFIX)
        else RETENTION_DAYS.get(name.split(".", 1)[0], RETENTION_DAYS["internal"])
    )
    config = {"cleanup.policy": "delete", "retention.ms": str(days * DAY_MS)}
    if replication_factor >= 3:
        config["min.insync.replicas"] = "2"  # acks=all then means two copies
    return config


def public_topics(registry: TopicRegistry) -> list[str]:
    """The topics other agencies may read: `public.*`, without their dead letters."""
    return [spec.name for spec in registry if spec.name.startswith("public.")]


@contextlib.asynccontextmanager
async def admin_client(
    bootstrap_servers: str, security: KafkaClientSettings | None = None
) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client_options(security))
    try:
        await admin.start()
        yield admin
    finally:
        await admin.close()  # also after a failed start: it may hold sockets already


async def ensure_topics(
    bootstrap_servers: str,
    registry: TopicRegistry,
    *,
    replication_factor: int = 1,
    security: KafkaClientSettings | None = None,
) -> None:
    """Create every registered topic and its dead-letter topic; existing ones are left alone.

    One local broker needs `replication_factor` 1; a production cluster wants 3 (and then
    `min.insync.replicas` 2, so acks=all means two copies). Kafka answers per topic;
    any refusal but "already exists" (another service was first) stops the start."""
    await create_missing_topics(
        bootstrap_servers, registry, replication_factor=replication_factor, security=security
    )


async def create_missing_topics(
    bootstrap_servers: str,
    registry: TopicRegistry,
    *,
    replication_factor: int = 1,
    security: KafkaClientSettings | None = None,
) -> list[str]:
    """`ensure_topics`, returning the names it created."""
    async with admin_client(bootstrap_servers, security) as admin:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=spec.partitions,
                replication_factor=replication_factor,
                topic_configs=topic_config(name, replication_factor),
            )
            for spec in registry
            for name in (spec.name, spec.dlq)
            if name not in existing
        ]
        if not wanted:
            return []
        response = await admin.create_topics(wanted)
        refused = [
            f"{topic}: {message or code}"
            for topic, code, message in response.topic_errors
            if code not in (0, TOPIC_ALREADY_EXISTS)
        ]
        if refused:
            raise TopicSetupError("Kafka refused to create topics: " + "; ".join(refused))
        return [t.name for t in wanted]


async def align_topic_configs(
    bootstrap_servers: str,
    registry: TopicRegistry,
    *,
    replication_factor: int = 1,
    security: KafkaClientSettings | None = None,
) -> list[str]:
    """Bring existing topics' retention and cleanup policy to `topic_config`; returns the
    names changed. AlterConfigs replaces a topic's whole set of overrides, so the ones an
    operator made (say `max.message.bytes`) are read first and sent back unchanged."""
    names = [name for spec in registry for name in (spec.name, spec.dlq)]
    changed = []
    async with admin_client(bootstrap_servers, security) as admin:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        )
        for response in responses:
            for resource in response.to_object()["resources"]:
                if resource["error_code"] != 0:
                    continue  # not created yet: `ensure_topics` creates it with its config
                name = resource["resource_name"]
                overrides = {
                    e["config_names"]: e["config_value"]
                    for e in resource["config_entries"]
                    if e.get("config_source") == DYNAMIC_TOPIC_CONFIG
                }
                wanted = {**overrides, **topic_config(name, replication_factor)}
                if wanted != overrides:
                    await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, wanted)])
                    changed.append(name)
    return changed


async def delete_topics(
    bootstrap_servers: str, names: list[str], security: KafkaClientSettings | None = None
) -> None:
    async with admin_client(bootstrap_servers, security) as admin:
        await admin.delete_topics(names)


async def topic_partitions(
    bootstrap_servers: str, topic: str, security: KafkaClientSettings | None = None
) -> list[int]:
    """Partition numbers of `topic`; empty when it does not exist."""
    async with admin_client(bootstrap_servers, security) as admin:
        described = await admin.describe_topics([topic])
    return sorted(p["partition"] for d in described if d.get("error_code") == 0 for p in d["partitions"])


async def read_topic(
    bootstrap_servers: str,
    topic: str,
    *,
    timeout_s: float = 10.0,
    security: KafkaClientSettings | None = None,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record in `topic` up to its current end; no consumer group, nothing committed.
    Raises TimeoutError rather than return part of the topic."""
    tps = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap_servers, topic, security)]
    if not tps:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, **client_options(security)
    )
    try:
        await consumer.start()
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not all([await consumer.position(tp) >= end[tp] for tp in tps]):
            if loop.time() > deadline:
                raise TimeoutError(f"read only {len(records)} records of {topic} in {timeout_s} s")
            for batch in (await consumer.getmany(*tps, timeout_ms=300)).values():
                records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await _stop_consumer(consumer)


async def _stop_consumer(consumer: AIOKafkaConsumer) -> None:
    # aiokafka's group-less coordinator can raise CancelledError from stop() when its
    # helper task never ran (a race in aiokafka); only our own cancellation may pass.
    await asyncio.sleep(0)
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


def _plan(registry: TopicRegistry, replication_factor: int) -> list[dict[str, object]]:
    return [
        {"topic": name, "partitions": spec.partitions, "config": topic_config(name, replication_factor)}
        for spec in registry
        for name in (spec.name, spec.dlq)
    ]


async def _ensure(bootstrap: str, registry: TopicRegistry, replication_factor: int) -> None:
    created = await create_missing_topics(bootstrap, registry, replication_factor=replication_factor)
    aligned = await align_topic_configs(bootstrap, registry, replication_factor=replication_factor)
    print(json.dumps({"created": created, "configs_changed": sorted(set(aligned) - set(created))}))


def main(argv: list[str] | None = None) -> int:
    from bkpsdm.common.contracts import TOPICS  # the registry every service registers in

    parser = argparse.ArgumentParser(
        prog="python -m bkpsdm.common.kafka_admin", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("ensure", "create missing topics, bring retention and cleanup policy to the registry's"),
        ("plan", "print every topic with its partitions and settings (JSON lines)"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--replication-factor", type=int, default=1, choices=range(1, 6))
    sub.add_parser("public-topics", help="the topics other agencies may read, one a line")
    args = parser.parse_args(argv)
    if args.command == "public-topics":
        print("\n".join(public_topics(TOPICS)))
    elif args.command == "plan":
        for row in _plan(TOPICS, args.replication_factor):
            print(json.dumps(row))
    else:
        from bkpsdm.common.settings import LOCAL_KAFKA  # imports the web stack: only when needed

        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA)
        asyncio.run(_ensure(bootstrap, TOPICS, args.replication_factor))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
