"""deploy/compose.yaml: valid against the compose schema, and every image, variable, port and
secret it names exists in the code."""

from __future__ import annotations

import importlib
import importlib.util
import io
import subprocess
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from bkpsdm.attendance_gateway.adapters.comm_keys import CommKeySealer
from bkpsdm.common import kafka_admin
from bkpsdm.common.auth import write_key_pair

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VENV_BIN = DEPLOY.parent / ".venv" / "bin"
INFRASTRUCTURE = {"kafka", "postgres", "prometheus", "grafana"}
# Simulators still being written (their module does not exist yet): named, not checked.
PENDING_MODULES = {"bkpsdm.simulators.span_lapor"}


def bkpsdm_containers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if str(s.get("image", "")).startswith("bkpsdm/")}


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    result = subprocess.run(
        [VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", DEPLOY / "compose.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_of_the_code_runs_from_its_own_image_on_its_own_port(
    code: Any, compose: dict[str, Any]
) -> None:
    for name, identity in code.identities.items():
        service = compose["services"][name]
        assert service["image"].startswith(f"bkpsdm/{name}:"), name
        args = service["build"]["args"]
        assert args["MODULE"] == identity.module
        assert args["PORT"] == str(identity.port)
        package = code.workspace_packages[args["PACKAGE"]]
        assert (package / "src" / Path(*identity.module.split("."))).is_dir(), (
            f"{args['PACKAGE']} lacks {identity.module}"
        )
        assert service["ports"] == [f"127.0.0.1:{identity.port}:{identity.port}"]
        assert service["healthcheck"]["test"][-1] == f"http://127.0.0.1:{identity.port}/health/ready"


def test_every_bkpsdm_image_and_build_is_a_service_or_the_simulators_of_the_code(
    code: Any, compose: dict[str, Any]
) -> None:
    for name, service in bkpsdm_containers(compose).items():
        image = service["image"].split(":")[0].removeprefix("bkpsdm/")
        assert image in {*code.identities, "simulators"}, f"{name}: no such service"
        if "build" in service:
            assert service["build"]["args"]["PACKAGE"] in code.workspace_packages, name
            assert (DEPLOY.parent / service["build"]["dockerfile"]).is_file()
    assert {n for n, s in compose["services"].items() if "build" in s} == {*code.identities, "bkn-simulator"}


def test_services_start_after_their_dependencies_are_healthy_and_the_topics_exist(
    code: Any, compose: dict[str, Any]
) -> None:
    services = compose["services"]
    for name in code.identities:
        after = services[name]["depends_on"]
        assert after["postgres"]["condition"] == "service_healthy"
        assert after["kafka"]["condition"] == "service_healthy"
        assert after["topic-init"]["condition"] == "service_completed_successfully"
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            target = services[dependency]
            if how["condition"] == "service_healthy":  # waiting on health needs a health check
                assert "test" in target.get("healthcheck", {}), f"{name} waits for {dependency}'s health"
    assert all("healthcheck" in services[n] for n in INFRASTRUCTURE)


def test_every_variable_given_to_a_bkpsdm_container_is_a_setting_the_code_reads(
    code: Any, compose: dict[str, Any], env_file: dict[str, str]
) -> None:
    known = code.any_service_env
    assert set(env_file) <= known, f"unknown in bkpsdm.env: {sorted(set(env_file) - known)}"
    for name, service in bkpsdm_containers(compose).items():
        given = set(service.get("environment", {}))
        assert given <= known, f"{name}: {sorted(given - known)}"
        if name in code.identities:
            assert service["env_file"] == "bkpsdm.env"
    # Each service listens on every interface of its container, or nothing could reach it.
    for name in code.identities:
        assert env_file[f"{code.identities[name].env_prefix}HTTP_HOST"] == "0.0.0.0"


def test_the_env_file_is_accepted_by_every_service_settings_class(
    code: Any, env_file: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in env_file.items():
        monkeypatch.setenv(variable, value)
    for name, settings_cls in code.settings.items():
        settings = settings_cls()
        assert settings.http_host == "0.0.0.0", name
        assert settings.kafka_bootstrap_servers == "kafka:9092"


def test_secrets_are_defined_mounted_where_settings_point_and_made_by_the_code(
    code: Any, compose: dict[str, Any], env_file: dict[str, str], tmp_path: Path
) -> None:
    defined = compose["secrets"]
    write_key_pair(tmp_path)  # what `python -m bkpsdm.common.auth keygen` writes
    # what `deploy/local/services.sh secrets` writes (idempotent: an existing secret is kept)
    subprocess.run([DEPLOY / "local" / "services.sh", "secrets"], check=True, capture_output=True, timeout=60)
    comm_key_secret = DEPLOY / "local" / ".state" / "attendance" / "comm-key-secret"
    sealer = CommKeySealer.from_file(comm_key_secret)  # the gateway accepts it
    assert sealer.open(sealer.seal(7)) == 7
    for secret in defined.values():
        made = tmp_path / Path(secret["file"]).name
        assert made.exists() or (DEPLOY / secret["file"]).resolve() == comm_key_secret, secret["file"]
    for name, service in compose["services"].items():
        assert set(service.get("secrets", [])) <= set(defined), name
    for variable, value in env_file.items():
        if value.startswith("/run/secrets/"):
            secret = value.removeprefix("/run/secrets/")
            assert secret in defined
            for reader in code.readers_of(variable):
                assert secret in compose["services"][reader]["secrets"], f"{reader} reads {variable}"


def test_the_topic_step_runs_the_registry_command_with_arguments_it_accepts(compose: dict[str, Any]) -> None:
    init = compose["services"]["topic-init"]
    assert init["environment"]["APP_MODULE"] == "bkpsdm.common.kafka_admin"
    command = list(init["command"])
    assert command[0] == "ensure"
    with redirect_stdout(io.StringIO()) as out:  # `plan` takes the same arguments, offline
        assert kafka_admin.main(["plan", *command[1:]]) == 0
    assert len(out.getvalue().splitlines()) >= 2


def test_simulators_run_modules_that_exist_with_flags_they_accept(compose: dict[str, Any]) -> None:
    simulators = {
        n: s for n, s in bkpsdm_containers(compose).items() if s["image"].startswith("bkpsdm/simulators:")
    }
    assert {"bkn-simulator", "span-lapor-simulator", "zk-terminal-simulator"} <= set(simulators)
    for name, service in simulators.items():
        module = service["environment"]["APP_MODULE"]
        if module in PENDING_MODULES and importlib.util.find_spec(module) is None:
            continue
        entry = importlib.import_module(f"{module}.__main__")
        with redirect_stdout(io.StringIO()) as out, pytest.raises(SystemExit):
            entry.main(["--help"])  # argparse prints the usage and exits before anything runs
        usage = out.getvalue()
        for flag in (word for word in service["command"] if word.startswith("--")):
            assert flag in usage, f"{name}: {module} has no {flag}"


def test_prometheus_scrapes_every_service_under_its_name(code: Any) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = config["scrape_configs"]
    targets = {static["labels"]["service"]: static["targets"] for static in job["static_configs"]}
    assert targets == {name: [f"{name}:{i.port}"] for name, i in code.identities.items()}


def test_grafana_gets_the_data_source_and_the_dashboard_folder_compose_mounts(
    compose: dict[str, Any],
) -> None:
    mounts = {v.split(":")[0]: v.split(":")[1] for v in compose["services"]["grafana"]["volumes"]}
    provider = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/bkpsdm.yml").read_text(encoding="utf-8")
    )
    assert mounts["./grafana/dashboards"] == provider["providers"][0]["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
