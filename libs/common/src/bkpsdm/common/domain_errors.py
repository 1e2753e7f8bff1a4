"""Business-rule errors: one seam for every service, free of any transport.

A service's domain keeps a catalogue of `ErrorSpec`s (stable code, message in Bahasa
Indonesia, the kind of problem) and raises `DomainError(spec)`. Nothing here knows HTTP or
Kafka: the runtime maps the kind of problem to an HTTP status once (`bkpsdm.common.http`),
and the dead-letter middleware treats a `DomainError` raised in a consumer as permanent
(a business rule will not change its mind on a retry).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError


class Problem(StrEnum):
    """What kind of "no" a rule says; the transport decides how to say it."""

    INVALID = "invalid"  # the request breaks a rule about its content
    MALFORMED = "malformed"  # the request cannot be read at all
    NOT_FOUND = "not_found"  # nothing there, or nothing the caller may see
    CONFLICT = "conflict"  # it contradicts the current state
    FORBIDDEN = "forbidden"  # the caller may not do this
    UNAUTHENTICATED = "unauthenticated"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNAVAILABLE = "unavailable"  # something the rule needs is not there now


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    message: str
    problem: Problem = Problem.INVALID


class ErrorCatalogue:
    """A service's error codes; a code appears once."""

    def __init__(self, *specs: ErrorSpec) -> None:
        self._specs: dict[str, ErrorSpec] = {}
        for spec in specs:
            if spec.code in self._specs:
                raise ValueError(f"error code {spec.code} declared twice")
            self._specs[spec.code] = spec

    def __getitem__(self, code: str) -> ErrorSpec:
        return self._specs[code]

    def __iter__(self) -> Iterator[ErrorSpec]:
        return iter(self._specs.values())

    def __contains__(self, code: object) -> bool:
        return code in self._specs


class DomainError(Exception):
    """A business rule said no. `details` (JSON-able) can list what exactly, e.g. every row
    error of a recap."""

    def __init__(self, error: ErrorSpec, details: Any = None) -> None:
        super().__init__(error.code)
        self.error = error
        self.details = details


def validation_problems(exc: ValidationError) -> list[str]:
    """One line per problem: the field path and what is wrong. pydantic's own text quotes the
    rejected input, which can be personal data (a NIP, a name) or a whole rules file."""
    return [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)
    ]
