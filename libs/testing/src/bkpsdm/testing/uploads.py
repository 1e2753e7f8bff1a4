"""Stand-ins for the uploaders' tests, the benchmark and local runs: intake's internal recap
endpoint serving given bytes, recaps written with intake's column names, and routing's
upload request published to Kafka."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from bkpsdm.common.contracts import UPLOAD_REQUESTS, RecapReference, UploadRequested
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.topics import TopicRegistry, TopicSpec
from bkpsdm.testing import kafka
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.processes import free_port
from bkpsdm.testing.services import SettingsT, running_service, settings_for_test

ELAPKIN_HEADER = ("No", "NIP", "Nama", "Unit Kerja", "Periode", "Hasil Kerja", "Perilaku Kerja", "Predikat")
IPASN_HEADER = (
    "NIP", "Nama", "Unit Kerja", "Periode", "Pendidikan", "Jenis Jabatan", "Nama Jabatan", "Eselon",
    "Diklat Kepemimpinan", "Diklat Fungsional", "JP Pelatihan Teknis", "Seminar/Workshop", "Nilai SKP",
    "Predikat SKP", "Hukuman Disiplin",
)  # fmt: skip
RECAP_PATH = "/internal/v1/submissions/{submission_id}/recap"


def nip(index: int) -> str:
    """A structurally valid PNS NIP, different for each index below 365 * 999."""
    born = date(1980, 1, 1) + timedelta(days=index // 999)
    return f"{born:%Y%m%d}200501{1 + index % 2}{1 + index % 999:03d}"


def recap_csv(header: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def elapkin_row(index: int, period: str, unit: str = "Dinas Pendidikan", **values: Any) -> dict[str, Any]:
    ratings = ((1, 1), (1, 2), (2, 2), (2, 1), (3, 2), (2, 3), (3, 3), (1, 3), (3, 1))[index % 9]
    return {
        "No": index + 1,
        "NIP": nip(index),
        "Nama": f"Pegawai {index + 1}",
        "Unit Kerja": unit,
        "Periode": period,
        "Hasil Kerja": ratings[0],
        "Perilaku Kerja": ratings[1],
        **values,
    }


def ipasn_row(index: int, period: str, unit: str = "Dinas Pendidikan", **values: Any) -> dict[str, Any]:
    jenis = ("Pelaksana", "Fungsional", "Struktural")[index % 3]
    return {
        "NIP": nip(index),
        "Nama": f"Pegawai {index + 1}",
        "Unit Kerja": unit,
        "Periode": period,
        "Pendidikan": ("40", "45", "30", "50", "15")[index % 5],
        "Jenis Jabatan": jenis,
        "Nama Jabatan": {"Pelaksana": "Pengadministrasi Umum", "Fungsional": "Guru Ahli Muda"}.get(
            jenis, "Kepala Bidang"
        ),
        "Eselon": "III.a" if jenis == "Struktural" else "",
        "Diklat Kepemimpinan": "PIM III" if jenis == "Struktural" and index % 2 else "Tidak",
        "Diklat Fungsional": "Tidak",
        "JP Pelatihan Teknis": (24, 8, 40)[index % 3],
        "Seminar/Workshop": "Ya" if index % 4 else "Tidak",
        "Nilai SKP": 60 + index % 41,
        "Predikat SKP": "",
        "Hukuman Disiplin": ("Tidak Ada", "Tidak Ada", "Ringan", "Tidak Ada", "Sedang")[index % 5],
        **values,
    }


class _RecapHandler(BaseHTTPRequestHandler):
    recaps: dict[str, bytes]
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            roles = jwt.decode(token, options={"verify_signature": False}).get("roles", [])
        except jwt.PyJWTError:
            roles = []
        if "internal-service" not in roles:
            self._answer(401, b'{"code": "TOKEN_MISSING"}', "application/json")
        elif self.path in self.recaps:
            self._answer(200, self.recaps[self.path], "text/csv")
        else:
            self._answer(404, b'{"code": "SUBMISSION_NOT_FOUND"}', "application/json")

    def _answer(self, status: int, body: bytes, media_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RecapServer:
    """Intake's `GET /internal/v1/submissions/{id}/recap`, for recaps added with `add`."""

    def __init__(self, base_url: str, recaps: dict[str, bytes], requests: list[str]) -> None:
        self.base_url = base_url
        self._recaps = recaps
        self.requests = requests

    def add(self, submission_id: str, data: bytes, rows: int, file_format: str = "csv") -> RecapReference:
        path = RECAP_PATH.format(submission_id=submission_id)
        self._recaps[path] = data
        return RecapReference(
            url=path,
            sha256=hashlib.sha256(data).hexdigest(),
            rows=rows,
            format=file_format,
            rules_version="test",
        )


@contextmanager
def recap_server() -> Iterator[RecapServer]:
    recaps: dict[str, bytes] = {}
    requests: list[str] = []
    handler = type("Handler", (_RecapHandler,), {"recaps": recaps, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="recap-server", daemon=True)
    thread.start()
    try:
        yield RecapServer(f"http://127.0.0.1:{server.server_address[1]}", recaps, requests)
    finally:
        server.shutdown()
        server.server_close()


def upload_request(
    submission_id: str,
    service_code: str,
    recap: RecapReference,
    *,
    unit: str = "DISDIK",
    period: str | None = None,
    request_id: str | None = None,
    attempt: int = 1,
) -> UploadRequested:
    return UploadRequested(
        request_id=request_id or f"req-{submission_id}-{attempt}",
        submission_id=submission_id,
        case_id=f"case-{submission_id}",
        service_code=service_code,
        perangkat_daerah=unit,
        period=period,
        recap=recap,
        attempt=attempt,
        requested_by="unit-pengolah-1",
        requested_at=datetime.now(UTC),
    )


async def publish(
    bootstrap: str,
    topic: TopicSpec,
    event: Event,
    correlation_id: str | None = None,
    *,
    raw: bytes | None = None,
) -> None:
    """An event as a producer's outbox would put it on `topic` (`raw`: another value, same envelope)."""
    meta = EventMetadata(type=type(event).event_type, source="/tests", correlation_id=correlation_id)
    key = str(getattr(event, topic.key))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic.name,
            raw if raw is not None else event.model_dump_json().encode(),
            key=key.encode(),
            headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
        )
    finally:
        await producer.stop()


async def start_group_at_end(bootstrap: str, group: str, topic: TopicSpec = UPLOAD_REQUESTS) -> None:
    """The request topic made if missing, then `group` positioned at its end (a new group
    starts from now instead of reading every request other runs left on a shared broker)."""
    registry = TopicRegistry()
    registry.register(topic)
    await ensure_topics(bootstrap, registry)
    await kafka.start_group_at_end(bootstrap, group, topic.name)


# Fast retries for a simulator answering in a millisecond; each test decides the faults.
FAST_BKN: dict[str, Any] = {
    "bkn_rate_limit_rps": None,
    "bkn_timeout_s": 0.2,
    "bkn_concurrency": 16,
    "bkn_retry_attempts": 12,
    "bkn_retry_initial_s": 0.01,
    "bkn_retry_max_s": 0.2,
    "bkn_retry_jitter_s": 0.02,
    "bkn_breaker_threshold": 25,
    "bkn_breaker_ttl_s": 0.2,
    "upload_poll_interval_s": 0.5,
}


def uploader_settings(
    settings_cls: type[SettingsT],
    infra: Infra,
    schema: str,
    recaps: RecapServer,
    bkn_url: str,
    **overrides: Any,
) -> SettingsT:
    """An uploader's test settings: intake's recap endpoint stand-in, the given BKN, fast retries."""
    return settings_for_test(
        settings_cls,
        infra,
        schema,
        intake_base_url=recaps.base_url,
        intake_token_key_file=ensure_local_auth() / "private.pem",
        bkn_base_url=bkn_url,
        **{**FAST_BKN, **overrides},
    )


@asynccontextmanager
async def running_uploader(
    bootstrap: Callable[[SettingsT], tuple[ServiceRuntime, FastAPI]], service: str, settings: SettingsT
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    """The uploader in-process, its consumer group starting at the request topic's end."""
    group = f"{service}.upload-requests{settings.consumer_group_suffix}"
    await start_group_at_end(settings.kafka_bootstrap_servers, group)
    async with running_service(bootstrap, settings) as running:
        yield running


@contextmanager
def bkn_simulators() -> Iterator[Callable[..., str]]:
    """Starts BKN simulators (`start(faults, *args)` -> base URL), each stopped at the end."""
    with ExitStack() as stack:

        def start(faults: Mapping[str, Any] | None = None, *args: str) -> str:
            return stack.enter_context(bkn_simulator(free_port(), faults, args=args))

        yield start


@contextmanager
def bkn_simulator(
    port: int, faults: Mapping[str, Any] | None = None, *, args: Sequence[str] = (), log: Path | None = None
) -> Iterator[str]:
    """`python -m bkpsdm.simulators.bkn` as its own process (its own interpreter: a simulator in
    the test's thread would share the GIL with the code under test); `faults` is a FaultConfig."""
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "bkpsdm.simulators.bkn", "--port", str(port), "--log-level", "warning", *args],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/sim/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the BKN simulator did not start") from None
                time.sleep(0.1)
        if faults is not None:
            httpx.put(f"{base_url}/sim/faults", json=dict(faults), timeout=5).raise_for_status()
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log is not None and not isinstance(out, int):
            out.close()


class TopicTail:
    """Records on a topic from the moment `start` was called (a shared topic's history skipped)."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self.seen: list[ConsumerRecord[bytes, bytes]] = []

    async def wait_for(
        self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], within_s: float
    ) -> ConsumerRecord[bytes, bytes]:
        """The first record (seen before or arriving within `within_s`) that matches."""
        deadline = time.monotonic() + within_s
        checked = 0
        while True:
            for record in self.seen[checked:]:
                if match(record):
                    return record
            checked = len(self.seen)
            if time.monotonic() >= deadline:
                raise AssertionError(f"no matching record within {within_s}s")
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self.seen.extend(records)

    @staticmethod
    def value(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
        assert record.value is not None
        parsed: dict[str, Any] = json.loads(record.value)
        return parsed

    @staticmethod
    def headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
        return {k: v.decode("utf-8", "replace") for k, v in record.headers}


@asynccontextmanager
async def topic_tail(bootstrap: str, topic: str, partitions: int = 3) -> AsyncIterator[TopicTail]:
    # "earliest": a topic created after this point is read from its start, which is "now".
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()  # metadata: the topic may have been created just now
        found = consumer.partitions_for_topic(topic) or set(range(partitions))
        tps = [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve "end" now, before anything is published
        yield TopicTail(consumer)
    finally:
        await consumer.stop()


async def wait_until(check: Callable[[], Any], within_s: float, what: str) -> Any:
    """Poll `check` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {within_s}s waiting for {what}")


async def simulator_records(base_url: str, kind: str) -> dict[str, Any]:
    """What the BKN simulator stored (`GET /sim/records`)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        answer: dict[str, Any] = (await client.get("/sim/records", params={"kind": kind})).json()
        return answer


async def simulator_stats(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        answer: dict[str, Any] = (await client.get("/sim/stats")).json()
        return answer
