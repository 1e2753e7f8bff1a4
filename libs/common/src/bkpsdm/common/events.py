"""The event envelope: pydantic models as JSON values, CloudEvents binary-mode headers.

A Kafka record carries the event's data as its JSON value and the envelope in headers
(`ce_id`, `ce_type`, `ce_source`, `ce_time`, `ce_specversion`, `content-type`), plus
`correlation_id`, which follows one submission through every service.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
CORRELATION_HEADER = "correlation_id"


class Event(BaseModel):
    """Base of every event payload. Subclasses name their CloudEvents type.

    `event_type` is reverse-DNS plus a version: a breaking change is a new type, an
    additive change is a new optional field.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]


class EventMetadata(BaseModel):
    """The envelope of one event, read from or written to Kafka headers."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str
    source: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    specversion: str = SPEC_VERSION
    correlation_id: str | None = None

    def to_headers(self) -> dict[str, str]:
        headers = {
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_time": self.time.isoformat(),
            "ce_specversion": self.specversion,
            "content-type": CONTENT_TYPE,
        }
        if self.correlation_id:
            headers[CORRELATION_HEADER] = self.correlation_id
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str | bytes]) -> EventMetadata:
        """Raises `MissingEnvelopeError` when a required CloudEvents header is absent."""
        text = {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else v for k, v in headers.items()}
        missing = [h for h in ("ce_id", "ce_type", "ce_source") if not text.get(h)]
        if missing:
            raise MissingEnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        try:
            return cls(
                id=text["ce_id"],
                type=text["ce_type"],
                source=text["ce_source"],
                time=datetime.fromisoformat(text["ce_time"]) if text.get("ce_time") else datetime.now(UTC),
                specversion=text.get("ce_specversion", SPEC_VERSION),
                correlation_id=text.get(CORRELATION_HEADER) or None,
            )
        except ValueError as exc:
            raise MissingEnvelopeError(f"invalid CloudEvents header: {type(exc).__name__}") from None


class MissingEnvelopeError(ValueError):
    """A record without valid CloudEvents headers cannot be de-duplicated: it is permanent."""


def metadata_for(event: Event, source: str, correlation_id: str | None) -> EventMetadata:
    return EventMetadata(type=type(event).event_type, source=source, correlation_id=correlation_id)
