"""One process per service: its FastStream handlers and its HTTP surface, started together.

`ServiceRuntime` owns the pieces every service has (pool, migrations, broker, outbox
relay, health, metrics) and starts and stops them in order inside the HTTP app's
lifespan. A service's `bootstrap.py` builds one, adds its subscribers and routes, and
`run_service` serves it with uvicorn.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import uvicorn
import uvloop
from aiokafka.errors import KafkaError
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from bkpsdm.common.auth import AUTH_UNAVAILABLE, AuthError, Principal, Role, TokenVerifier
from bkpsdm.common.auth.fastapi import principal_dependency, require_roles
from bkpsdm.common.broker import build_broker
from bkpsdm.common.commits import OffsetCommitter
from bkpsdm.common.db import Database, MigrationError, migrate_service
from bkpsdm.common.errors import describe
from bkpsdm.common.events import Event
from bkpsdm.common.http import (
    CorrelationAndLimitsMiddleware,
    HealthChecks,
    HttpMetrics,
    install_allow_header,
    install_error_handlers,
    install_health_and_metrics,
)
from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.inbox import prune_inbox
from bkpsdm.common.kafka_admin import ensure_topics
from bkpsdm.common.logs import configure_logging, get_logger
from bkpsdm.common.outbox import OutboxRelay, idempotent_producer_factory, topic_tail_reader
from bkpsdm.common.retry import RetryPolicy
from bkpsdm.common.settings import ConfigurationError, ServiceSettings
from bkpsdm.common.subscriptions import UseCase, consume
from bkpsdm.common.topics import TopicRegistry, TopicSpec
from bkpsdm.common.uow import UnitOfWork

log = get_logger(__name__)


class StartupError(RuntimeError):
    """A dependency stayed unreachable for the whole start-up window."""


class _NoKeys:
    """The key source of a service with no sign-in configured: every token is refused with
    503 (and the service does not start if any of its routes needs sign-in)."""

    def signing_key(self, key_id: str | None) -> Any:
        raise AuthError(AUTH_UNAVAILABLE)


def redact_dsn(dsn: str) -> str:
    """The DSN without its password (in the authority or as a query parameter)."""
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = urlencode(
        [
            (k, "***" if k.lower() == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class ServiceRuntime:
    def __init__(
        self,
        *,
        identity: ServiceIdentity,
        settings: ServiceSettings,
        migrations: Path,
        topics: TopicRegistry,
    ) -> None:
        self.identity = identity
        self.service = service = identity.name
        self.settings = settings
        self.schema = settings.db_schema or identity.schema
        self.http_port = identity.port if settings.http_port is None else settings.http_port
        self.topics = topics
        self.migrations = migrations
        self.metrics = CollectorRegistry(auto_describe=True)
        self.db = Database(
            settings.database_url,
            self.schema,
            settings.db_pool_min,
            settings.db_pool_max,
            settings.db_acquire_timeout_s,
        )
        self.committer = OffsetCommitter(
            settings.commit_every_messages, settings.commit_interval_s, registry=self.metrics
        )
        self.broker: KafkaBroker = build_broker(
            service=service,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            registry=self.metrics,
            retry_policy=RetryPolicy(
                settings.retry_attempts, settings.retry_base_delay_s, settings.retry_max_delay_s
            ),
            committer=self.committer,
        )
        self.relay: OutboxRelay | None = None
        self._maintenance: asyncio.Task[None] | None = None
        auth = settings.auth_config()
        try:
            self.verifier = auth.build_verifier() if auth.configured else TokenVerifier(_NoKeys())
        except (OSError, ValueError) as exc:
            message = f"configuration error: AUTH_*: {describe(exc)}"
            print(message, file=sys.stderr)
            raise ConfigurationError(message) from exc
        self._auth_configured = auth.configured
        self._auth_used = False
        self.health = HealthChecks(
            {"database": self.db.ping, "kafka": lambda: self.broker.ping(timeout=2.0)},
            details={"consumer_lag": lambda: self.committer.lags},
        )

    def consumer_group(self, purpose: str) -> str:
        """The Kafka consumer group (`intake.case-status`, plus the deployment's suffix)."""
        return f"{self.service}.{purpose}{self.settings.consumer_group_suffix}"

    def inbox_name(self, purpose: str) -> str:
        """The name the inbox records handled events under: stable across deployments, so a
        new deployment (a new group suffix, reading from the start) skips what was done."""
        return f"{self.service}.{purpose}"

    def principal(self) -> Callable[..., Principal]:
        """A route dependency: the signed-in caller (401 without a valid token)."""
        self._auth_used = True
        return principal_dependency(self.verifier)

    def require(self, *roles: Role) -> Callable[..., Principal]:
        """A route dependency: the signed-in caller holding one of `roles` (403 otherwise)."""
        self._auth_used = True
        return require_roles(self.verifier, *roles)

    def consume(
        self,
        topic: TopicSpec,
        purpose: str,
        unit_of_work: Callable[[], UnitOfWork],
        handlers: Mapping[type[Event], UseCase],
    ) -> None:
        """Subscribe to `topic` for `purpose` (the consumer group and the inbox name); each
        use case runs inside a unit of work that has recorded the delivery (see
        `bkpsdm.common.subscriptions.consume`)."""
        consume(
            self.broker,
            topic,
            group=self.consumer_group(purpose),
            inbox_name=self.inbox_name(purpose),
            unit_of_work=unit_of_work,
            handlers=handlers,
        )

    async def start(self) -> None:
        if self._auth_used and not self._auth_configured:
            raise StartupError(
                "sign-in is not configured: set AUTH_JWKS_URL, AUTH_JWKS_FILE or AUTH_PUBLIC_KEY_FILE"
            )
        kafka = self.settings.kafka_bootstrap_servers
        database = redact_dsn(self.settings.database_url)
        await self._when_reachable("PostgreSQL", database, self.db.connect)
        applied = await migrate_service(self.db.pool, self.schema, self.service, self.migrations)
        await self._when_reachable(
            "Kafka",
            kafka,
            lambda: ensure_topics(
                kafka, self.topics, replication_factor=self.settings.topic_replication_factor
            ),
        )
        self.relay = OutboxRelay(
            self.db.pool,
            self.schema,
            idempotent_producer_factory(
                self.settings.kafka_bootstrap_servers, f"bkpsdm-{self.service}-relay"
            ),
            batch_size=self.settings.outbox_batch_size,
            poll_interval_s=self.settings.outbox_poll_interval_s,
            dsn=self.settings.database_url,
            claimers=self.settings.outbox_claimers,
            park_after=self.settings.outbox_park_after,
            tail_reader=topic_tail_reader(self.settings.kafka_bootstrap_servers),
        )
        await self.relay.start()
        self._maintenance = asyncio.create_task(self._maintain(), name=f"maintenance-{self.service}")
        await self.broker.start()
        self.committer.start()
        log.info("service.started", schema=self.schema, migrations_applied=applied)

    async def _when_reachable(self, what: str, target: str, connect: Callable[[], Awaitable[None]]) -> None:
        """Wait for a dependency that is still starting (a restart of the whole host brings
        everything up at once), up to `startup_timeout_s`; then stop with one clear line."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.startup_timeout_s
        attempt = 0
        while True:
            attempt += 1
            try:
                await connect()
                return
            except (OSError, TimeoutError, KafkaError, asyncpg.PostgresError) as exc:
                if loop.time() >= deadline:
                    raise StartupError(f"cannot reach {what} at {target}: {describe(exc)}") from exc
                log.warning(
                    "service.waiting_for_dependency", dependency=what, target=target, error=describe(exc)
                )
                await asyncio.sleep(min(0.5 * attempt, 5.0, max(deadline - loop.time(), 0.1)))

    async def _maintain(self) -> None:
        """Every 15 s the outbox gauges; every `maintenance_interval_s` prune what is past
        its retention (sent outbox rows, old inbox records)."""
        assert self.relay is not None
        loop = asyncio.get_running_loop()
        last_prune = loop.time()
        while True:
            await asyncio.sleep(15)
            try:
                await self.relay.observe()
                if loop.time() - last_prune >= self.settings.maintenance_interval_s:
                    last_prune = loop.time()
                    outbox = await self.relay.prune(timedelta(hours=self.settings.outbox_retention_hours))
                    async with self.db.pool.acquire() as conn:
                        inbox = await prune_inbox(
                            conn, self.schema, timedelta(days=self.settings.inbox_retention_days)
                        )
                    log.info("maintenance.pruned", outbox_rows=outbox, inbox_rows=inbox)
            except Exception as exc:
                log.warning("maintenance.failed", error=describe(exc))

    async def stop(self) -> None:
        # Consumers first (finish in-flight messages), then the relay, then the pool.
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
            self._maintenance = None
        # The broker commits what was handled, lets the consumers finish the message in
        # progress (its offset is committed as it finishes) and leaves the groups.
        await self.broker.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self.db.close()
        log.info("service.stopped")

    def http_app(
        self, routers: Sequence[APIRouter] = (), title: str | None = None, openapi: bool = True
    ) -> FastAPI:
        """`openapi=False` for a service of pages only (no API to describe)."""

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            try:
                await self.start()
            except (StartupError, MigrationError) as exc:
                log.error("service.start_failed", reason=str(exc))
                print(f"startup error: {exc}", file=sys.stderr)
                await self.stop()
                raise
            except BaseException:
                await self.stop()  # whatever did start (pool, relay) is closed again
                raise
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(
            title=title or f"BKPSDM {self.service}",
            lifespan=lifespan,
            openapi_url="/openapi.json" if openapi else None,
        )
        install_error_handlers(app)
        install_health_and_metrics(app, self.health, self.metrics)
        for router in routers:
            app.include_router(router)
        app.add_middleware(CorrelationAndLimitsMiddleware, metrics=HttpMetrics(self.metrics))
        install_allow_header(app)  # a 405 names every method of its path (routes added later too)
        return app


def run_service(runtime: ServiceRuntime, app: FastAPI) -> None:
    """Serve until SIGTERM/SIGINT; uvicorn runs the lifespan that starts everything."""
    configure_logging(runtime.service, runtime.settings.log_level)
    config = uvicorn.Config(
        app,
        host=runtime.settings.http_host,
        port=runtime.http_port,
        log_config=None,  # our JSON logging is already configured
        access_log=False,
        timeout_graceful_shutdown=20,
    )
    server = uvicorn.Server(config)
    # uvloop and httptools roughly halve the per-request overhead on the agency's small machines
    uvloop.run(server.serve())
    if not server.started:
        raise SystemExit(3)  # start-up failed; the reason was logged and printed
