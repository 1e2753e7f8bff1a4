"""Errors a handler can raise, and how the dead-letter middleware classifies them.

Permanent: the message itself is wrong (not JSON, wrong schema, missing envelope, a
business rule says no). Retrying cannot help, so it is dead-lettered at once.
Unavailable: the service's own infrastructure is down (PostgreSQL refuses connections,
the broker is unreachable). No message can be handled until it is back, so the consumer
waits and tries the same message again, without limit: dead-lettering everything that
arrives during a database restart would only make work for operators and break per-key
order.
Retryable: anything else that may pass on a later try (a remote API, a deadlock, a bug that
depends on timing). It is retried a bounded number of times with backoff, then
dead-lettered. Anything unknown is treated as retryable: a bug still ends in the
dead-letter topic after the bounded retries, with its error, instead of blocking the
partition.
"""

from __future__ import annotations

import errno
import json
import socket
from enum import StrEnum

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError

from bkpsdm.common.domain_errors import DomainError, validation_problems
from bkpsdm.common.events import MissingEnvelopeError


class FailureKind(StrEnum):
    PERMANENT = "permanent"
    UNAVAILABLE = "unavailable"
    RETRYABLE = "retryable"


class PermanentError(Exception):
    """Raise from a handler when retrying the same message can never succeed."""


class RetryableError(Exception):
    """Raise from a handler when a later attempt may succeed."""


_PERMANENT: tuple[type[BaseException], ...] = (
    PermanentError,
    DomainError,  # a business rule said no: it will say no again
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
    MissingEnvelopeError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset: PostgreSQL or Kafka is not there
    TimeoutError,  # no connection within the pool's or the connect timeout
    socket.gaierror,  # the database's host name does not resolve (DNS down)
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down or starting
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    KafkaConnectionError,
)
# Subclasses of the "unavailable" families above that are about the message's own work
# (its statement ran too long, it needed too much memory): bounded, then dead-lettered.
_MESSAGE_SPECIFIC: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.OutOfMemoryError,
)
_NETWORK_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED, errno.ETIMEDOUT}
_RETRYABLE: tuple[type[BaseException], ...] = (
    RetryableError,
    OSError,
    KafkaError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


def classify(exc: BaseException) -> FailureKind:
    if isinstance(exc, _PERMANENT):
        return FailureKind.PERMANENT
    if isinstance(exc, _MESSAGE_SPECIFIC):
        return FailureKind.RETRYABLE
    if isinstance(exc, _UNAVAILABLE) or (isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS):
        return FailureKind.UNAVAILABLE
    if isinstance(exc, _RETRYABLE):
        return FailureKind.RETRYABLE
    return FailureKind.RETRYABLE


def describe(exc: BaseException) -> str:
    """A one-line error text safe for logs and dead-letter headers.

    pydantic's own text quotes the rejected input, which can be personal data (a NIP, a
    name); this keeps the field path and the problem only.
    """
    if isinstance(exc, asyncpg.PostgresError):
        # PostgreSQL's messages quote the offending value; keep the class and SQLSTATE.
        return f"{type(exc).__name__} (SQLSTATE {exc.sqlstate})"
    if isinstance(exc, ValidationError):
        return "; ".join(validation_problems(exc))
    return str(exc) or type(exc).__name__
