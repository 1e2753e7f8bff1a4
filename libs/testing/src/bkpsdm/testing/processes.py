"""Real processes for tests: services started as `python -m`, a separate Kafka broker.

Fault tests kill these with SIGKILL, as a crash or an operator's `kill -9` would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import httpx

from bkpsdm.testing.infra import repo_root

# Starts `python -m bkpsdm.testing.worker ARGS...` (see the worker fixture).
WorkerFactory = Callable[..., "ManagedProcess"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ManagedProcess:
    """A child process whose stdout+stderr go to a log file the test can read."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no offset commits, nothing flushed."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def json_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_text().splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                lines.append(value)
        return lines


class ServiceProcess(ManagedProcess):
    """`python -m bkpsdm.<module>` on its own port, with its own schema and consumer groups."""

    def __init__(self, module: str, env_prefix: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [sys.executable, "-m", module],
            {**env, f"{env_prefix}HTTP_PORT": str(self.port)},
            log_dir / f"{module}-{self.port}.log",
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"{self.args} exited early:\n{self.log_text()[-3000:]}")
            try:
                response = httpx.get(f"{self.base_url}/health/ready", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise TimeoutError(f"{self.args} not ready: {last}\n{self.log_text()[-3000:]}")


class ScriptedInfrastructure:
    """A private instance of a deploy/local script's service (own ports, own data), driven
    through the same script operators use: start, stop, reset."""

    script_name = ""

    def _env(self) -> dict[str, str]:
        raise NotImplementedError

    def _run(self, action: str) -> None:
        script = repo_root() / "deploy" / "local" / self.script_name
        env = {**os.environ, **self._env()}
        subprocess.run([str(script), action], env=env, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")

    def reset(self) -> None:
        self._run("reset")


class KafkaBrokerProcess(ScriptedInfrastructure):
    """A second, private Kafka broker (own ports and data) started by the project's script,
    so a test can stop and restart it without disturbing the shared one."""

    script_name = "kafka.sh"

    def __init__(self, state_dir: Path) -> None:
        self.port = free_port()
        self.controller_port = free_port()
        self.state_dir = state_dir

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_STATE_DIR": str(self.state_dir),
            "KAFKA_HEAP": "384m",
        }

    def kill(self) -> None:
        """SIGKILL the broker process: no controlled shutdown, as in a crash."""
        pid = int((self.state_dir / "kafka.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                break  # a zombie: dead, waiting for its parent to reap it
            time.sleep(0.1)


class PostgresProcess(ScriptedInfrastructure):
    """A private PostgreSQL cluster (own port and data, deploy/local/postgres.sh), so a test
    can take the database away under a running consumer. Its data goes where postgres.sh
    puts it (a place the `postgres` user can reach, also when the checkout is private)."""

    script_name = "postgres.sh"

    def __init__(self, name: str) -> None:
        self.port = free_port()
        self.state_name = f"test-postgres-{name}"

    @property
    def dsn(self) -> str:
        return f"postgresql://bkpsdm:bkpsdm@127.0.0.1:{self.port}/bkpsdm"

    def _env(self) -> dict[str, str]:
        return {"PG_PORT": str(self.port), "PG_STATE_NAME": self.state_name}
