"""deploy/k8s: the base and both overlays render with kubectl kustomize, validate against the
Kubernetes schemas, and name only images, variables, ports and secrets the code has."""

from __future__ import annotations

import base64
import io
import subprocess
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from bkpsdm.common import kafka_admin

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = ["local", "production"]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def settings_of(docs: list[dict[str, Any]]) -> dict[str, str]:
    (settings,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("bkpsdm-settings")
    ]
    data: dict[str, str] = settings["data"]
    return data


@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_the_rendered_manifests_are_valid_kubernetes_objects(
    name: str, manifests: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    rendered = tmp_path / f"{name}.yaml"
    rendered.write_text(yaml.safe_dump_all(manifests[name]), encoding="utf-8")
    result = subprocess.run(
        [REPO / ".venv/bin/kubernetes-validate", "--strict", rendered],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" passed ") == len(manifests[name])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_deployment_a_service_and_a_disruption_budget_on_its_port(
    overlay: str, code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    docs = manifests[overlay]
    deployments, services, budgets = (
        of_kind(docs, k) for k in ("Deployment", "Service", "PodDisruptionBudget")
    )
    for name, identity in code.identities.items():
        pod = pod_spec(deployments[name])
        (container,) = pod["containers"]
        assert container["image"].split(":")[0].endswith(f"bkpsdm/{name}")
        assert container["ports"] == [{"name": "http", "containerPort": identity.port}]
        assert services[name]["spec"]["ports"][0]["port"] == identity.port
        assert deployments[name]["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(
            identity.port
        )
        assert (
            budgets[name]["spec"]["selector"]["matchLabels"]
            == deployments[name]["spec"]["selector"]["matchLabels"]
        )
        assert budgets[name]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("overlay", ["base", *OVERLAYS])
def test_every_image_and_service_deployment_is_a_service_of_the_code(
    overlay: str, code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    for doc in manifests[overlay]:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        if doc["kind"] == "Deployment":
            labels = doc["metadata"]["labels"]
            assert labels.get("app.kubernetes.io/component") == "service"
            assert labels["app.kubernetes.io/name"] in code.identities
        for container in [*pod_spec(doc)["containers"], *pod_spec(doc).get("initContainers", [])]:
            image = container["image"].split(":")[0].rsplit("/", 1)[-1]
            assert image in code.identities, f"{doc['metadata']['name']}: {container['image']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_resources_and_a_non_root_pod_for_every_service(
    overlay: str, code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    deployments = of_kind(manifests[overlay], "Deployment")
    for name in code.identities:
        pod = pod_spec(deployments[name])
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"])
        assert "memory" in resources["limits"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert deployments[name]["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_first_from_the_service_image_under_the_lock(
    overlay: str, code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    deployments = of_kind(manifests[overlay], "Deployment")
    for name in code.identities:
        pod = pod_spec(deployments[name])
        (migrate,) = pod["initContainers"]
        assert migrate["command"] == ["python", "/app/migrate.py"]
        assert migrate["image"] == pod["containers"][0]["image"]
        assert migrate["envFrom"] == pod["containers"][0]["envFrom"]  # the same database and schema
    assert (REPO / "deploy/docker/migrate.py").is_file()


@pytest.mark.parametrize(("overlay", "copies"), [("local", "1"), ("production", "3")])
def test_the_topic_job_runs_the_registry_command_with_arguments_it_accepts(
    overlay: str, copies: str, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    job = of_kind(manifests[overlay], "Job")["bkpsdm-topics"]
    (container,) = pod_spec(job)["containers"]
    command = container["command"]
    assert command[:4] == ["python", "-m", "bkpsdm.common.kafka_admin", "ensure"]
    assert command[-2:] == ["--replication-factor", copies]
    with redirect_stdout(io.StringIO()):
        assert kafka_admin.main(["plan", *command[4:]]) == 0
    assert container["image"].split(":")[0].endswith("bkpsdm/intake")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_and_secret_key_is_one_the_code_reads(
    overlay: str, code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    docs = manifests[overlay]
    settings = settings_of(docs)
    known = code.any_service_env
    assert set(settings) <= known, sorted(set(settings) - known)
    for secret in (d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"].startswith("bkpsdm-")):
        assert set(secret["data"]) <= known
    for name, identity in code.identities.items():
        assert settings[f"{identity.env_prefix}HTTP_HOST"] == "0.0.0.0", name
    for deployment in of_kind(docs, "Deployment").values():
        for container in pod_spec(deployment)["containers"]:
            assert {e["name"] for e in container.get("env", [])} <= known


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_files_the_settings_name_are_mounted_in_the_services_that_read_them(
    overlay: str, code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    deployments = of_kind(manifests[overlay], "Deployment")
    for variable, value in settings_of(manifests[overlay]).items():
        if not value.startswith(("/etc/", "/var/")):
            continue
        for reader in code.readers_of(variable):
            mounts = [
                m["mountPath"] for m in pod_spec(deployments[reader])["containers"][0].get("volumeMounts", [])
            ]
            assert any(value.startswith(m.rstrip("/") + "/") for m in mounts), f"{reader}: {variable}={value}"


def test_secrets_production_needs_are_made_locally_or_documented_for_operators(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    operations = (REPO / "docs/OPERATIONS.md").read_text(encoding="utf-8")
    for overlay in OVERLAYS:
        docs = manifests[overlay]
        made = {d["metadata"]["name"] for d in docs if d["kind"] in ("Secret", "ConfigMap")}
        referenced: set[str] = set()
        for doc in docs:
            if doc["kind"] in ("Deployment", "Job", "StatefulSet"):
                spec = pod_spec(doc)
                for c in [*spec["containers"], *spec.get("initContainers", [])]:
                    for source in c.get("envFrom", []):
                        ref = source.get("secretRef") or source.get("configMapRef")
                        referenced.add(ref["name"])
                referenced |= {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
                referenced |= {v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v}
        for name in referenced - made:
            assert f"`{name}`" in operations, (
                f"{overlay} needs {name}: docs/OPERATIONS.md must say how to create it"
            )


def test_production_runs_kafka_over_sasl_ssl_with_replicated_topics(
    code: Any, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    settings = settings_of(manifests["production"])
    assert settings["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    for identity in code.identities.values():
        assert settings[f"{identity.env_prefix}TOPIC_REPLICATION_FACTOR"] == "3"
    autoscalers = of_kind(manifests["production"], "HorizontalPodAutoscaler")
    deployments = of_kind(manifests["production"], "Deployment")
    assert {a["spec"]["scaleTargetRef"]["name"] for a in autoscalers.values()} <= set(deployments)


def test_the_local_overlay_brings_its_own_kafka_and_postgresql_with_matching_settings(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    docs = manifests["local"]
    services = of_kind(docs, "Service")
    host, port = settings_of(docs)["KAFKA_BOOTSTRAP_SERVERS"].split(":")
    assert services[host]["spec"]["ports"][0]["port"] == int(port)
    (secret,) = [
        d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"].startswith("bkpsdm-secrets")
    ]
    database_url = base64.b64decode(secret["data"]["DATABASE_URL"]).decode()
    assert "@postgres:5432/" in database_url
    assert services["postgres"]["spec"]["ports"][0]["port"] == 5432
