"""The console and the services behind it as real processes (their own schemas, a Kafka broker of
their own), the demo accounts seeded, and a headless Chromium driven by Selenium."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

import argon2
import asyncpg
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService

from bkpsdm.common.db import Database, quote_schema
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.settings import IDENTITY as CONSOLE
from bkpsdm.console.settings import ConsoleSettings
from bkpsdm.console.users import open_store, seed_demo
from bkpsdm.simulators.oidc_provider.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from bkpsdm.simulators.oidc_provider.server import serve_in_thread
from bkpsdm.simulators.oidc_provider.users import BUILTIN_ROLE_MAP
from bkpsdm.testing.infra import Infra, ensure_local_auth, repo_root
from bkpsdm.testing.processes import KafkaBrokerProcess, ServiceProcess
from bkpsdm.testing.services import SERVICES

ARTIFACTS = repo_root() / ".artifacts" / "console"
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
BACKENDS = ("intake", "routing", "lapkin-uploader", "attendance-gateway", "complaints")


def _schema(run_id: str, name: str) -> str:
    return f"e2e_console_{run_id}_{name.replace('-', '_')}"


@pytest.fixture(scope="module")
def stack(infra: Infra) -> Iterator[dict[str, ServiceProcess]]:
    """intake, routing, lapkin-uploader, attendance-gateway, complaints and the console (seeded
    with the demo accounts, and signing in through the OpenID provider simulator too), by name."""
    run_id = uuid.uuid4().hex[:8]
    # Kept with the screenshots (pytest's own temporary folders are pruned by other runs).
    log_dir = ARTIFACTS / "logs" / run_id
    log_dir.mkdir(parents=True, exist_ok=True)
    key = ensure_local_auth() / "private.pem"  # the issuer whose JWKS every service trusts
    documents = Path(tempfile.mkdtemp(prefix="console-e2e-documents-"))
    # A broker of their own: the shared one carries every other engineer's submissions, which
    # routing would work through before this test's (the database is shared, schemas apart).
    broker = KafkaBrokerProcess(Path(tempfile.mkdtemp(prefix="console-e2e-kafka-")))

    def process(module: str, prefix: str, schema: str, extra: dict[str, str]) -> ServiceProcess:
        env = {
            **infra.env(),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            f"{prefix}DB_SCHEMA": schema,
            f"{prefix}CONSUMER_GROUP_SUFFIX": f"-{run_id}",
            f"{prefix}OUTBOX_POLL_INTERVAL_S": "0.2",
            f"{prefix}DB_POOL_MAX": "4",
            f"{prefix}STARTUP_TIMEOUT_S": "240",  # the broker starts beside them
            **extra,
        }
        return ServiceProcess(module, prefix, env, log_dir)

    extras = {
        "intake": {"BKPSDM_INTAKE_DOCUMENTS_DIR": str(documents)},
        "complaints": {"BKPSDM_COMPLAINTS_SMTP_ENABLED": "false"},
        "attendance-gateway": {
            "BKPSDM_ATTENDANCE_GATEWAY_POLL_WORKERS": "1",
            "BKPSDM_ATTENDANCE_GATEWAY_DAILY_ATTENDANCE_ENABLED": "false",
        },
    }
    services = {
        name: process(
            SERVICES[name].module, SERVICES[name].env_prefix, _schema(run_id, name), extras.get(name, {})
        )
        for name in BACKENDS
    }
    prefix = CONSOLE.env_prefix
    sso = contextlib.ExitStack()
    issuer, provider = sso.enter_context(serve_in_thread())
    console = process(
        CONSOLE.module,
        prefix,
        _schema(run_id, "console"),
        {
            f"{prefix}SIGNING_KEY_FILE": str(key),
            f"{prefix}OIDC_ISSUER": issuer,
            f"{prefix}OIDC_CLIENT_ID": DEFAULT_CLIENT_ID,
            f"{prefix}OIDC_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            f"{prefix}OIDC_ROLE_MAP": json.dumps(BUILTIN_ROLE_MAP),
        },
    )
    services["lapkin-uploader"].env.update(
        {
            # No BKN here: the export file (what an operator imports by hand) is the upload.
            "BKPSDM_LAPKIN_UPLOADER_ADAPTER": "export-file",
            "BKPSDM_LAPKIN_UPLOADER_INTAKE_TOKEN_KEY_FILE": str(key),
            "BKPSDM_LAPKIN_UPLOADER_INTAKE_BASE_URL": services["intake"].base_url,
            "BKPSDM_LAPKIN_UPLOADER_UPLOAD_POLL_INTERVAL_S": "0.2",
        }
    )
    services["routing"].env["BKPSDM_ROUTING_INTAKE_URL"] = services["intake"].base_url
    every = [*services.values(), console]
    schemas = [_schema(run_id, n) for n in (*BACKENDS, "console")]
    try:
        # The broker and the services start together: a service waits for the broker.
        starting = threading.Thread(target=broker.start)
        starting.start()
        # Intake's address is given to the uploader (the recap) and routing (document links).
        _start_all(services.values(), keep_port=[services["intake"]])
        starting.join()
        # The console learns where the services listen, then starts.
        console.env.update(
            {
                f"{prefix}INTAKE_URL": services["intake"].base_url,
                f"{prefix}ROUTING_URL": services["routing"].base_url,
                f"{prefix}ATTENDANCE_GATEWAY_URL": services["attendance-gateway"].base_url,
                f"{prefix}LAPKIN_UPLOADER_URL": services["lapkin-uploader"].base_url,
                f"{prefix}COMPLAINTS_URL": services["complaints"].base_url,
            }
        )
        _start_all([console])
        # The console's address is known now: the provider learns where to send people back.
        provider.state.config.clients[DEFAULT_CLIENT_ID].redirect_uris.append(
            f"{console.base_url}/masuk/sso/kembali"
        )
        asyncio.run(_seed(infra, schemas[-1]))
        yield {**services, "console": console}
    finally:
        for p in every:
            p.stop()
        broker.stop()
        sso.close()
        asyncio.run(_drop(infra.database_url, schemas))
        shutil.rmtree(documents, ignore_errors=True)
        shutil.rmtree(broker.state_dir, ignore_errors=True)


_BOUND = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def _start_all(processes: Iterable[ServiceProcess], keep_port: Collection[ServiceProcess] = ()) -> None:
    """Start each on a port the system gives it (HTTP_PORT 0) and learn the port from its log:
    a port chosen beforehand can be taken by another test's process while these import, and
    that process would answer the readiness check in their place. Those in `keep_port` (others
    must know their address before they start) must be seen binding the port they were given."""
    started = list(processes)
    for p in started:
        if p not in keep_port:
            p.env[next(k for k in p.env if k.endswith("_HTTP_PORT"))] = "0"
        p.start()
    deadline = time.monotonic() + 240  # five Python services on a shared, busy machine
    waiting = set(range(len(started)))
    while waiting:
        for index in sorted(waiting):
            p = started[index]
            bound = _BOUND.search(p.log_text())
            if bound:
                if p in keep_port and int(bound.group(1)) != p.port:
                    raise RuntimeError(f"{p.args} bound {bound.group(1)}, not {p.port}")
                p.port = int(bound.group(1))
                p.base_url = f"http://127.0.0.1:{p.port}"
                waiting.discard(index)
            elif not p.alive or time.monotonic() > deadline:
                raise RuntimeError(f"{p.args} did not start:\n{p.log_text()[-3000:]}")
        time.sleep(0.2)
    for p in started:
        p.wait_ready(timeout=60)


async def _seed(infra: Infra, schema: str) -> None:
    # Cheap hashes: the first sign-in of each account rehashes with the console's parameters.
    settings = ConsoleSettings(DATABASE_URL=infra.database_url, db_schema=schema)
    database: Database = await open_store(settings)
    try:
        await seed_demo(
            database, hasher=Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        )
    finally:
        await database.close()


async def _drop(database_url: str, schemas: list[str]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for schema in schemas:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--lang=id-ID",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=ChromeService(CHROMEDRIVER), options=options)
    chrome.implicitly_wait(0)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
