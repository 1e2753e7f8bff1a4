"""Alert rules and the Grafana dashboard (deploy/prometheus, deploy/grafana): promtool checks
and unit-tests the rules, every dashboard query is valid PromQL, and every metric either names
is one the services export (a live /metrics scrape plus what each service's registry holds)."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY, generate_latest

from bkpsdm.common.kafka_admin import topic_partitions
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import running_service, settings_for_test

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "bkpsdm.json"

# Metrics the alerts and the dashboard use that services still being built do not export yet.
# Their authors export them under these names (and labels); a name leaves this list once a
# scrape shows it.
EXPECTED_METRICS: set[str] = set()
PROMETHEUS_OWN = {"up"}  # made by Prometheus for every target, not by a service
# What the issue asks an alert for, by the metric that carries it.
REQUIRED_ALERTS = {
    "ConsumerLagHigh": "bkpsdm_consumer_lag",
    "OutboxBacklog": "bkpsdm_outbox_oldest_pending_seconds",
    "OutboxRowsParked": "bkpsdm_outbox_parked",
    "DeadLettersGrowing": "bkpsdm_dead_lettered_total",
    "SlaBreached": "bkpsdm_deadlines_fired_total",
    "TerminalsOffline": "bkpsdm_attendance_terminals",
    "UploadFailures": "bkpsdm_uploads_total",
    "BknCircuitOpen": "bkpsdm_bkn_circuit_open",
}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "histogram_quantile",
    "label_values", "or", "and", "unless", "by", "without", "on", "ignoring", "group_left",
    "group_right", "bool", "offset",
}  # fmt: skip


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, cwd=PROMETHEUS
    )


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (labels, ranges, functions left out)."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)
    return {t for t in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text) if t not in PROMQL_WORDS}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [
        v["query"]["query"].removeprefix("label_values(").rsplit(",", 1)[0]
        for v in dashboard["templating"]["list"]
    ]
    return exprs


def test_the_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_asked_for_exists_and_every_alert_has_a_unit_test() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    for alert, metric in REQUIRED_ALERTS.items():
        assert metric in metric_names(rules[alert]["expr"]), alert
    unit_tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text(encoding="utf-8"))["tests"]
    tested = {
        case["alertname"] for test in unit_tests for case in test["alert_rule_test"] if case["exp_alerts"]
    }
    assert tested == set(rules)
    for rule in rules.values():
        assert {"summary", "description"} <= set(rule["annotations"])
        assert rule["labels"]["severity"] in ("warning", "critical")


def test_the_compose_prometheus_config_is_valid_and_loads_the_rules() -> None:
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout
    # Debian's promtool is built without Kubernetes discovery: only the YAML and the job's
    # contract with the alerts (job name, a `service` label) are checked for that one.
    kubernetes = yaml.safe_load((PROMETHEUS / "prometheus-kubernetes.yml").read_text(encoding="utf-8"))
    (job,) = kubernetes["scrape_configs"]
    assert job["job_name"] == "bkpsdm"
    assert "service" in {r.get("target_label") for r in job["relabel_configs"]}


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    rules = [
        {
            "record": f"dashboard:query_{i}",
            "expr": expr.replace("$__rate_interval", "5m").replace("$service", ".*"),
        }
        for i, expr in enumerate(dashboard_exprs())
    ]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "d", "rules": rules}]}), encoding="utf-8"
    )
    checked = promtool("check", "rules", tmp_path / "dashboard.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_reads_the_provisioned_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    provisioned = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )
    uids = {d["uid"] for d in provisioned["datasources"]}
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] in uids
            assert panel["targets"]


def exported_names(text: str) -> set[str]:
    """Sample names a scrape can carry, from its `# TYPE` lines (families without samples too)."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE):
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
        if kind == "counter" and not name.endswith("_total"):
            names.add(f"{name}_total")
    return names


async def start_at_the_end(bootstrap: str, group: str, topics: list[str]) -> None:
    """Commit `group`'s offsets at the end of `topics`: the service under test handles
    nothing that other tests left on the shared broker."""
    partitions = [TopicPartition(t, p) for t in topics for p in await topic_partitions(bootstrap, t)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        if partitions:
            await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


@pytest.mark.integration
async def test_alerts_and_dashboard_name_only_metrics_the_services_export(
    code: Any, infra: Infra, schema: str
) -> None:
    bootstraps = {
        n: importlib.import_module(f"{i.module}.bootstrap").bootstrap for n, i in code.identities.items()
    }
    # What every service's registry holds once wired (its runtime's and the process-wide one).
    exported: set[str] = set()
    for name, bootstrap in bootstraps.items():
        runtime, _ = bootstrap(settings_for_test(code.settings[name], infra, f"{schema}_unused"))
        exported |= exported_names((generate_latest(runtime.metrics) + generate_latest(REGISTRY)).decode())
    # And a live scrape of one running service, on the real broker and database.
    settings = settings_for_test(code.settings["intake"], infra, schema)  # its own groups too
    runtime, _ = bootstraps["intake"](settings)
    for subscriber in runtime.broker.subscribers:
        await start_at_the_end(
            infra.kafka_bootstrap_servers, subscriber.group_id, list(subscriber.topic_names)
        )
    async with running_service(bootstraps["intake"], settings) as (_, client):
        assert (await client.get("/health/ready")).status_code == 200
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    live = exported_names(scrape.text)
    assert {"bkpsdm_consumer_lag", "bkpsdm_outbox_pending", "bkpsdm_http_requests_total"} <= live
    exported |= live

    used = set().union(*(metric_names(rule["expr"]) for rule in alert_rules()))
    used |= set().union(*(metric_names(expr) for expr in dashboard_exprs()))
    unknown = used - exported - EXPECTED_METRICS - PROMETHEUS_OWN
    assert not unknown, f"not exported by any service: {sorted(unknown)}"
