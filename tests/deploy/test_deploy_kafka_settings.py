"""Kafka client security and topic policy from configuration (libs/common kafka_security.py,
kafka_admin.py): what every client is built with, and what the topic-init step sets."""

from __future__ import annotations

import io
import json
import ssl
import uuid
from contextlib import redirect_stdout
from typing import Any

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from faststream.security import SASLScram512

from bkpsdm.common import kafka_admin
from bkpsdm.common.contracts import TOPICS
from bkpsdm.common.kafka_admin import (
    DAY_MS,
    admin_client,
    align_topic_configs,
    create_missing_topics,
    delete_topics,
    ensure_topics,
    public_topics,
    topic_config,
)
from bkpsdm.common.kafka_security import KafkaClientSettings, broker_security, client_options
from bkpsdm.common.settings import ConfigurationError, ServiceSettings, load_settings
from bkpsdm.common.topics import TopicRegistry, TopicSpec
from bkpsdm.testing.infra import Infra

SECURITY_VARIABLES = [
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CAFILE",
]


@pytest.fixture(autouse=True)
def no_kafka_security_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in SECURITY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_without_configuration_clients_connect_in_plaintext_as_the_local_broker_wants() -> None:
    assert client_options() == {"security_protocol": "PLAINTEXT"}
    assert broker_security() is None


def test_scram_over_tls_from_the_environment_reaches_every_kind_of_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "bkpsdm-services")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "rahasia-sekali")
    options = client_options()
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "bkpsdm-services",
        "sasl_plain_password": "rahasia-sekali",
    }
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    security = broker_security()
    assert isinstance(security, SASLScram512)
    assert (security.username, security.password, security.use_ssl) == (
        "bkpsdm-services",
        "rahasia-sekali",
        True,
    )


def test_sasl_plaintext_for_a_private_network_has_no_tls() -> None:
    settings = KafkaClientSettings(
        KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        KAFKA_SASL_MECHANISM="SCRAM-SHA-256",
        KAFKA_SASL_USERNAME="u",
        KAFKA_SASL_PASSWORD="p",
    )
    options = client_options(settings)
    assert options["ssl_context"] is None
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    security = broker_security(settings)
    assert security is not None
    assert security.use_ssl is False


def test_every_service_reads_the_kafka_security_settings(code: Any) -> None:
    for name, settings_cls in code.settings.items():
        assert issubclass(settings_cls, ServiceSettings)
        assert set(SECURITY_VARIABLES) <= code.service_env(name)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u"}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
    ],
)
def test_a_wrong_kafka_security_setting_stops_a_service_with_one_line_naming_it(
    code: Any,
    given: dict[str, str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable, value in given.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError):
        load_settings(code.settings["intake"])
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"configuration error: {named}: ")
    assert len(err.splitlines()) == 1


def test_retention_stays_below_the_inbox_retention_and_events_are_never_compacted() -> None:
    inbox_days = ServiceSettings.model_fields["inbox_retention_days"].default
    for spec in TOPICS:
        for name in (spec.name, spec.dlq):
            config = topic_config(name)
            assert config["cleanup.policy"] == "delete"
            assert 0 < int(config["retention.ms"]) < inbox_days * DAY_MS, name
    assert int(topic_config("public.intake.submissions.v1")["retention.ms"]) == 14 * DAY_MS
    assert int(topic_config("internal.routing.upload-requests.v1")["retention.ms"]) == 7 * DAY_MS
    assert int(topic_config("public.intake.submissions.v1.dlq")["retention.ms"]) == 21 * DAY_MS
    assert "min.insync.replicas" not in topic_config("public.intake.submissions.v1")
    assert topic_config("public.intake.submissions.v1", replication_factor=3)["min.insync.replicas"] == "2"


def test_the_plan_lists_every_topic_and_dead_letter_topic_with_partitions_and_settings() -> None:
    with redirect_stdout(io.StringIO()) as out:
        assert kafka_admin.main(["plan", "--replication-factor", "3"]) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["topic"] for r in rows} == set(TOPICS.all_names())
    for row in rows:
        spec = TOPICS.get(row["topic"].removesuffix(".dlq"))
        assert row["partitions"] == spec.partitions
        assert row["config"] == topic_config(row["topic"], 3)


def test_agencies_may_read_the_public_topics_and_never_internal_or_dead_letter_ones() -> None:
    readable = public_topics(TOPICS)
    assert readable
    assert all(t.startswith("public.") and not t.endswith(".dlq") for t in readable)
    assert set(readable) == {t.name for t in TOPICS if t.name.startswith("public.")}
    with redirect_stdout(io.StringIO()) as out:
        kafka_admin.main(["public-topics"])
    assert out.getvalue().split() == readable


@pytest.mark.integration
async def test_ensure_creates_topics_with_their_policy_and_brings_existing_ones_back_to_it(
    infra: Infra,
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    registry = TopicRegistry()
    spec = registry.register(
        TopicSpec(
            name=f"public.deploytest-{uuid.uuid4().hex[:8]}.v1", key="id", owner="test", description="t"
        )
    )
    names = [spec.name, spec.dlq]

    async def overrides(name: str) -> dict[str, str]:
        async with admin_client(bootstrap) as admin:
            (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
        (resource,) = response.to_object()["resources"]
        return {
            e["config_names"]: e["config_value"]
            for e in resource["config_entries"]
            if e["config_source"] == 1
        }

    try:
        assert sorted(await create_missing_topics(bootstrap, registry)) == sorted(names)
        assert await create_missing_topics(bootstrap, registry) == []
        await ensure_topics(bootstrap, registry)  # what services call at start: nothing left to do
        for name in names:
            assert await overrides(name) == topic_config(name)
        # An operator shortened the retention and raised the message size by hand.
        async with admin_client(bootstrap) as admin:
            await admin.alter_configs(
                [
                    ConfigResource(
                        ConfigResourceType.TOPIC,
                        spec.name,
                        {"retention.ms": "60000", "cleanup.policy": "delete", "max.message.bytes": "2000000"},
                    )
                ]
            )
        assert await align_topic_configs(bootstrap, registry) == [spec.name]
        assert await overrides(spec.name) == {**topic_config(spec.name), "max.message.bytes": "2000000"}
        assert await align_topic_configs(bootstrap, registry) == []
    finally:
        await delete_topics(bootstrap, names)
