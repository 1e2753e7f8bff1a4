"""Secured Kafka for real: a private KRaft broker of this test's own (free ports, temporary
folder) with a SASL/SCRAM-SHA-512 listener and the standard authorizer, configured from
deploy/kafka/broker-sasl.properties. The services work with their credentials; an agency made
by deploy/kafka/agency-credentials.sh reads a public topic with its own consumer group (with
the guide's example), is refused on internal and dead-letter topics, other groups and any
write, and is locked out once revoked. The shared broker on 9092 is never touched."""

from __future__ import annotations

import asyncio
import base64
import os
import string
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from bkpsdm.common.contracts import SUBMISSIONS, TOPICS, UPLOAD_REQUESTS, SubmissionReceived
from bkpsdm.common.dlq import read_dead_letters, replay_dead_letters
from bkpsdm.common.kafka_admin import align_topic_configs, ensure_topics, read_topic
from bkpsdm.common.kafka_security import KafkaClientSettings, client_options
from bkpsdm.common.outbox import idempotent_producer_factory
from bkpsdm.intake.bootstrap import bootstrap as intake_bootstrap
from bkpsdm.intake.settings import IntakeSettings
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.processes import free_port
from bkpsdm.testing.services import running_service, settings_for_test

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
JARS = REPO / "deploy" / "local" / ".kafka" / "jars"
SERVICES_USER = "bkpsdm-services"
TOPIC_AUTHORIZATION_FAILED = 29


def java(main: str, *args: str | Path, memory: str = "192m") -> list[str]:
    return [
        "java",
        f"-Xmx{memory}",
        "-XX:TieredStopAtLevel=1",  # short-lived tools start faster
        f"-Dlog4j2.configurationFile={REPO / 'deploy/local/log4j2.properties'}",
        "-cp",
        f"{JARS}/*",
        main,
        *(str(a) for a in args),
    ]


@dataclass
class PrivateBroker:
    port: int
    folder: Path
    admin_password: str
    services_password: str

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def login(self, user: str, password: str) -> KafkaClientSettings:
        return KafkaClientSettings(
            KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
            KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
            KAFKA_SASL_USERNAME=user,
            KAFKA_SASL_PASSWORD=password,
        )

    @property
    def services(self) -> KafkaClientSettings:
        return self.login(SERVICES_USER, self.services_password)

    def admin_config(self) -> Path:
        path = self.folder / "admin.properties"
        path.write_text(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{self.admin_password}";\n',
            encoding="utf-8",
        )
        return path


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    folder = tmp_path_factory.mktemp("kafka-sasl")
    found = PrivateBroker(free_port(), folder, uuid.uuid4().hex, uuid.uuid4().hex)
    config = folder / "server.properties"
    template = string.Template((REPO / "deploy/kafka/broker-sasl.properties").read_text(encoding="utf-8"))
    config.write_text(
        template.substitute(
            HOST="127.0.0.1",
            PORT=found.port,
            CONTROLLER_PORT=free_port(),
            ADMIN_PASSWORD=found.admin_password,
            CONTROLLER_PASSWORD=uuid.uuid4().hex,
            SERVICES_USER=SERVICES_USER,
            DATA_DIR=folder / "data",
        ),
        encoding="utf-8",
    )
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    # KRaft: the first SCRAM users are written into the metadata when the storage is formatted.
    subprocess.run(
        java(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            config,
            "--add-scram",
            f"SCRAM-SHA-512=[name=admin,password={found.admin_password}]",
            "--add-scram",
            f"SCRAM-SHA-512=[name={SERVICES_USER},password={found.services_password}]",
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = folder / "kafka.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            java("kafka.Kafka", config, memory="384m"), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while "Kafka Server started" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the private broker did not start in 120 s"
            time.sleep(0.3)
        yield found
    finally:
        process.terminate()  # this test's own broker, by its pid
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
async def submission(broker: PrivateBroker) -> SubmissionReceived:
    """The registry's topics, made as the topic-init step makes them (services' principal),
    and one submission published by the outbox relay's producer."""
    await ensure_topics(broker.bootstrap, TOPICS, security=broker.services)
    assert await align_topic_configs(broker.bootstrap, TOPICS, security=broker.services) == []
    event = SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        service_code="IP-ASN",
        perangkat_daerah="Dinas Kesehatan",
        title="Rekap IP-ASN 2025",
        received_at=datetime.now(UTC),
    )
    producer = await idempotent_producer_factory(broker.bootstrap, "deploy-test", security=broker.services)()
    try:
        await producer.send_and_wait(
            SUBMISSIONS.name,
            event.model_dump_json().encode(),
            key=event.submission_id.encode(),
            headers=[
                ("ce_id", str(uuid.uuid4()).encode()),
                ("ce_type", SubmissionReceived.event_type.encode()),
                ("ce_source", b"/bkpsdm/intake"),
                ("ce_specversion", b"1.0"),
                ("content-type", b"application/json"),
            ],
        )
    finally:
        await producer.stop()
    return event


async def test_services_create_publish_consume_and_run_with_their_credentials(
    broker: PrivateBroker,
    submission: SubmissionReceived,
    infra: Infra,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (record,) = await read_topic(broker.bootstrap, SUBMISSIONS.name, security=broker.services)
    assert record.key == submission.submission_id.encode()
    # Without credentials, or with a wrong password, the broker lets nobody in.
    for stranger in (
        KafkaClientSettings(KAFKA_SECURITY_PROTOCOL="PLAINTEXT"),
        broker.login(SERVICES_USER, "salah"),
    ):
        with pytest.raises(KafkaConnectionError):
            await read_topic(broker.bootstrap, SUBMISSIONS.name, timeout_s=5, security=stranger)
    # The operators' dead-letter tool, with the same credentials: a letter goes back to its topic.
    producer = await idempotent_producer_factory(
        broker.bootstrap, "deploy-test-dlq", security=broker.services
    )()
    try:
        await producer.send_and_wait(
            SUBMISSIONS.dlq, b"{}", key=b"letter", headers=[("dlq_origin_topic", SUBMISSIONS.name.encode())]
        )
    finally:
        await producer.stop()
    letters = await read_dead_letters(broker.bootstrap, SUBMISSIONS.dlq, security=broker.services)
    assert await replay_dead_letters(broker.bootstrap, letters, security=broker.services) == 1
    replayed = await read_topic(broker.bootstrap, SUBMISSIONS.name, security=broker.services)
    assert [r.key for r in replayed if r.key == b"letter"] == [b"letter"]
    # A whole service, its clients configured from the environment as in a deployment:
    # topics at start, the outbox relay's producer, its consumer group, readiness.
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", SERVICES_USER)
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", broker.services_password)
    private = Infra(broker.bootstrap, infra.database_url, "private SASL broker")
    settings = settings_for_test(IntakeSettings, private, schema)
    async with running_service(intake_bootstrap, settings) as (runtime, client):
        ready = (await client.get("/health/ready")).json()
        assert ready["checks"] == {"database": True, "kafka": True}
        assert await runtime.broker.ping(timeout=5)


def agency_tool(broker: PrivateBroker, *args: str) -> str:
    result = subprocess.run(
        [str(REPO / "deploy/kafka/agency-credentials.sh"), *args],
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "KAFKA_ADMIN_CONFIG": str(broker.admin_config()),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def refused(coroutine: Awaitable[object]) -> KafkaError:
    try:
        await coroutine
    except KafkaError as exc:
        return exc
    raise AssertionError("Kafka allowed it")


async def test_an_agency_reads_public_topics_with_its_own_group_and_nothing_else(
    broker: PrivateBroker,
    submission: SubmissionReceived,
    run_example: Callable[[dict[str, str], str], Awaitable[str]],
) -> None:
    name = f"demo{uuid.uuid4().hex[:6]}"
    output = agency_tool(broker, "create", name)
    credentials = dict(
        line.split("=", 1) for line in output.splitlines() if line and not line.startswith("#")
    )
    user, password = credentials["KAFKA_SASL_USERNAME"], credentials["KAFKA_SASL_PASSWORD"]
    assert user == f"agency-{name}"
    agency = broker.login(user, password)

    # The guide's example, as the agency runs it, reads the submission with its own group.
    line = await run_example(
        {
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_USERNAME": user,
            "KAFKA_SASL_PASSWORD": password,
            "KAFKA_GROUP_ID": f"{user}.dashboard",
            "BKPSDM_TOPIC": SUBMISSIONS.name,
        },
        submission.submission_id,
    )
    assert line.startswith(SubmissionReceived.event_type)

    async def consume(topic: str, group: str) -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=broker.bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            **client_options(agency),
        )
        await consumer.start()
        try:
            await consumer.getone()
        finally:
            await consumer.stop()

    async def within(seconds: float, coroutine: Awaitable[object]) -> object:
        async with asyncio.timeout(seconds):
            return await coroutine

    # Internal and dead-letter topics, another group, any write, any administration: refused.
    assert isinstance(
        await refused(within(30, consume(UPLOAD_REQUESTS.name, f"{user}.x"))), TopicAuthorizationFailedError
    )
    assert isinstance(
        await refused(within(30, consume(SUBMISSIONS.dlq, f"{user}.x"))), TopicAuthorizationFailedError
    )
    assert isinstance(
        await refused(within(30, consume(SUBMISSIONS.name, "routing.cases"))), GroupAuthorizationFailedError
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, **client_options(agency))
    await producer.start()
    try:
        for topic in (SUBMISSIONS.name, UPLOAD_REQUESTS.name):
            assert isinstance(
                await refused(producer.send_and_wait(topic, b"{}", key=b"k")), TopicAuthorizationFailedError
            )
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **client_options(agency))
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic("public.agency-made.v1", 1, 1)])
        assert [code for _, code, *_ in response.topic_errors] == [TOPIC_AUTHORIZATION_FAILED]
    finally:
        await admin.close()

    # Revoked: its password no longer opens a connection.
    agency_tool(broker, "revoke", name)
    with pytest.raises(KafkaConnectionError):
        await read_topic(broker.bootstrap, SUBMISSIONS.name, timeout_s=5, security=agency)
