"""One uploader, wired: runtime (pool, broker, relay), the upload-request consumer, the runner,
the BKN client or the export file, and the report routes. Each uploader's `bootstrap` calls it
with its own `UploaderSpec`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from bkpsdm.common.contracts import TOPICS, UPLOAD_REQUESTS, UploadRequested
from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.topics import TopicSpec
from bkpsdm.common.uploads.adapters import ExportFileAdapter, HttpAdapter, UploadAdapter
from bkpsdm.common.uploads.bkn_client import BknClient
from bkpsdm.common.uploads.http import build_router
from bkpsdm.common.uploads.model import Column, Outcome
from bkpsdm.common.uploads.recap_source import IntakeRecapSource, InternalToken
from bkpsdm.common.uploads.repository import MIGRATIONS, UploadsUnitOfWork
from bkpsdm.common.uploads.requests import Planner, accept_upload_request
from bkpsdm.common.uploads.runner import UPLOADS, UploadRunner
from bkpsdm.common.uploads.settings import UploaderSettings


@dataclass(frozen=True)
class UploaderSpec:
    service_code: str  # the UploadRequested.service_code this uploader acts on
    report_title: str  # "Laporan Data E-LAPKIN"
    results_topic: TopicSpec
    columns: tuple[Column, ...]  # the recap columns it reads
    plan: Planner
    detail_columns: tuple[tuple[str, str], ...] = ()  # row detail key -> report column label


@dataclass
class Uploader:
    runtime: ServiceRuntime
    app: FastAPI
    runner: UploadRunner
    adapter: UploadAdapter
    bkn: BknClient | None


def build_uploader(identity: ServiceIdentity, settings: UploaderSettings, spec: UploaderSpec) -> Uploader:
    runtime = ServiceRuntime(identity=identity, settings=settings, migrations=MIGRATIONS, topics=TOPICS)
    for outcome in Outcome:  # every series on /metrics from the start, at 0
        UPLOADS.labels(spec.service_code, outcome.value)

    def unit_of_work() -> UploadsUnitOfWork:
        return UploadsUnitOfWork(runtime.db, identity.source)

    bkn: BknClient | None = None
    adapter: UploadAdapter
    if settings.adapter == "http":
        bkn = BknClient(settings.bkn_base_url, settings.bkn_credentials(), settings.bkn_resilience())
        adapter = HttpAdapter(
            bkn, settings.bkn_targets, unor_path=settings.bkn_unor_path, unor_ids=settings.bkn_unor_ids
        )
    else:
        adapter = ExportFileAdapter()
    token = InternalToken(
        identity.name,
        key_file=settings.intake_token_key_file,
        token=settings.intake_token.get_secret_value() if settings.intake_token else None,
    )
    source = IntakeRecapSource(settings.intake_base_url, token, timeout_s=settings.intake_timeout_s)
    runner = UploadRunner(
        runtime.db,
        unit_of_work,
        adapter,
        spec.results_topic,
        concurrency=settings.bkn_concurrency,
        parallel_uploads=settings.upload_parallel,
        poll_interval_s=settings.upload_poll_interval_s,
        flush_every=settings.upload_flush_rows,
        flush_interval_s=settings.upload_flush_interval_s,
    )
    runtime.consume(
        UPLOAD_REQUESTS,
        "upload-requests",
        unit_of_work,
        {
            UploadRequested: accept_upload_request(
                service_code=spec.service_code,
                columns=spec.columns,
                plan=spec.plan,
                source=source,
                adapter_name=adapter.name,
                schema=runtime.schema,
            )
        },
    )
    router = build_router(
        runtime,
        unit_of_work,
        report_title=spec.report_title,
        detail_columns=spec.detail_columns,
        targets=settings.bkn_targets,
        unor_ids=settings.bkn_unor_ids,
    )
    app = runtime.http_app([router], title=f"BKPSDM {spec.report_title}")
    runtime_lifespan = app.router.lifespan_context

    # The runner starts after the runtime (schema migrated) and stops before it; the clients
    # close last, once the consumers (which fetch recaps) have stopped too.
    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        try:
            async with runtime_lifespan(a):
                if settings.upload_runner_enabled:
                    runner.start()
                try:
                    yield
                finally:
                    await runner.stop()
        finally:
            await source.aclose()
            if bkn is not None:
                await bkn.aclose()

    app.router.lifespan_context = lifespan
    return Uploader(runtime, app, runner, adapter, bkn)
