"""Errors a handler can raise, and how the dead-letter middleware classifies them.

Permanent: the message itself is wrong (not JSON, wrong schema, missing envelope, a
business rule says no). Retrying cannot help, so it is dead-lettered at once.
Retryable: something outside was briefly unavailable (database, broker, a remote API).
It is retried a bounded number of times with backoff, then dead-lettered.
Anything unknown is treated as retryable: a bug then still ends in the dead-letter topic
after the bounded retries, with its error, instead of blocking the partition.
"""

from __future__ import annotations

import json
from enum import StrEnum

import asyncpg
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from bkpsdm.common.events import MissingEnvelopeError


class FailureKind(StrEnum):
    PERMANENT = "permanent"
    RETRYABLE = "retryable"


class PermanentError(Exception):
    """Raise from a handler when retrying the same message can never succeed."""


class RetryableError(Exception):
    """Raise from a handler when a later attempt may succeed."""


_PERMANENT: tuple[type[BaseException], ...] = (
    PermanentError,
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
    MissingEnvelopeError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)
_RETRYABLE: tuple[type[BaseException], ...] = (
    RetryableError,
    ConnectionError,
    TimeoutError,
    OSError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


def classify(exc: BaseException) -> FailureKind:
    if isinstance(exc, _PERMANENT):
        return FailureKind.PERMANENT
    if isinstance(exc, _RETRYABLE):
        return FailureKind.RETRYABLE
    return FailureKind.RETRYABLE


def describe(exc: BaseException) -> str:
    """A one-line error text safe for logs and dead-letter headers.

    pydantic's own text quotes the rejected input, which can be personal data (a NIP, a
    name); this keeps the field path and the problem only.
    """
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
    return str(exc) or type(exc).__name__
