from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import (
    LOCAL_DATABASE_URL,
    LOCAL_KAFKA,
    ConfigurationError,
    ServiceSettings,
    load_settings,
)
from bkpsdm.testing.infra import Infra


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_EXAMPLE_", extra="ignore")


def test_local_defaults_work_out_of_the_box(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(ExampleSettings)
    assert settings.kafka_bootstrap_servers == LOCAL_KAFKA
    assert settings.database_url == LOCAL_DATABASE_URL


def test_endpoints_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/bkpsdm")
    monkeypatch.setenv("BKPSDM_EXAMPLE_HTTP_PORT", "9100")
    settings = load_settings(ExampleSettings)
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.http_port == 9100


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BKPSDM_EXAMPLE_HTTP_PORT", "delapan-ribu"),
        ("DATABASE_URL", "mysql://x"),
        ("BKPSDM_EXAMPLE_LOG_LEVEL", "LOUD"),
    ],
)
def test_a_wrong_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError):
        load_settings(ExampleSettings)
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"configuration error: {variable}: ")
    assert len(err.splitlines()) == 1


def test_a_service_with_a_wrong_setting_stops_at_start_with_that_line() -> None:
    env = {**os.environ, "BKPSDM_INTAKE_HTTP_PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "bkpsdm.intake"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "configuration error: BKPSDM_INTAKE_HTTP_PORT: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "DATABASE_URL",
            "postgresql://bkpsdm:rahasia@127.0.0.1:1/bkpsdm",
            "cannot reach PostgreSQL at postgresql://bkpsdm:***@127.0.0.1:1/bkpsdm",
        ),
        ("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1", "cannot reach Kafka at 127.0.0.1:1"),
    ],
)
@pytest.mark.integration
def test_an_unreachable_dependency_stops_the_service_with_one_clear_line(
    infra: Infra, variable: str, value: str, expected: str
) -> None:
    env = {
        **os.environ,
        **infra.env(),
        variable: value,
        "BKPSDM_COMPLAINTS_STARTUP_TIMEOUT_S": "1",
        "BKPSDM_COMPLAINTS_HTTP_PORT": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bkpsdm.complaints"], env=env, capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 3
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"startup error: {expected}: ")
    assert "rahasia" not in result.stdout + result.stderr
