"""structlog JSON logs with a correlation id bound for every message and request.

Log events are named `noun.verb` with fields. Personal data stays out: use `mask_nip`.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

CORRELATION_ID_KEY = "correlation_id"


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout; stdlib loggers (uvicorn, aiokafka, faststream) go the same way."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("event"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Chatty libraries: their INFO lines say nothing an operator acts on.
    for noisy in ("aiokafka", "uvicorn.access", "faststream.access.kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get(CORRELATION_ID_KEY)
    return str(value) if value else None


@contextmanager
def correlation_scope(correlation_id: str | None, **fields: Any) -> Iterator[str]:
    """Bind a correlation id (a new one when missing) for everything logged inside."""
    cid = correlation_id or new_correlation_id()
    with structlog.contextvars.bound_contextvars(**{CORRELATION_ID_KEY: cid}, **fields):
        yield cid


def mask_nip(nip: str | None) -> str:
    """Keep only the last 4 digits of a NIP in logs."""
    if not nip:
        return ""
    return "*" * max(len(nip) - 4, 0) + nip[-4:]
