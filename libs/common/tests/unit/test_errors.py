from __future__ import annotations

import json

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError
from pydantic import BaseModel, ValidationError

from bkpsdm.common.errors import FailureKind, PermanentError, RetryableError, classify, describe
from bkpsdm.common.events import MissingEnvelopeError


class Nip(BaseModel):
    nip: int


def validation_error() -> ValidationError:
    try:
        Nip.model_validate({"nip": "19800101 200501 1 001x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (PermanentError("rule"), FailureKind.PERMANENT),
        (validation_error(), FailureKind.PERMANENT),
        (json.JSONDecodeError("x", "doc", 0), FailureKind.PERMANENT),
        (MissingEnvelopeError("no ce_id"), FailureKind.PERMANENT),
        (asyncpg.exceptions.UniqueViolationError("dup"), FailureKind.PERMANENT),
        (RetryableError("later"), FailureKind.RETRYABLE),
        (TimeoutError(), FailureKind.UNAVAILABLE),
        (OSError(113, "No route to host"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.QueryCanceledError("statement timeout"), FailureKind.RETRYABLE),
        (FileNotFoundError(2, "missing"), FailureKind.RETRYABLE),
        (ConnectionRefusedError(), FailureKind.UNAVAILABLE),
        (KafkaConnectionError(), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.CannotConnectNowError("starting up"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.TooManyConnectionsError("full"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.DeadlockDetectedError("dl"), FailureKind.RETRYABLE),
        (RuntimeError("a bug"), FailureKind.RETRYABLE),  # bounded retries, then dead-lettered
    ],
)
def test_errors_are_classified(error: Exception, kind: FailureKind) -> None:
    assert classify(error) is kind


def test_described_validation_errors_do_not_quote_the_input() -> None:
    text = describe(validation_error())
    assert "19800101" not in text
    assert text.startswith("nip: ")


def test_described_database_errors_do_not_quote_the_value() -> None:
    error = asyncpg.exceptions.InvalidTextRepresentationError('invalid input syntax for type uuid: "1980"')
    assert describe(error) == "InvalidTextRepresentationError (SQLSTATE 22P02)"


def test_described_errors_are_never_empty() -> None:
    assert describe(TimeoutError()) == "TimeoutError"
