"""Lists of submissions, newest first, a page at a time. Pure: no I/O.

Pages are keyset pages: a cursor holds the (received_at, submission_id) of the last item
shown, and the next page starts strictly after it. A submission received meanwhile lands
before the first page and never shifts the pages being read (no gaps, no repeats), which
offset paging cannot promise.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.intake.domain import errors
from bkpsdm.intake.domain.submission import SubmissionStatus

# Microseconds since the epoch (PostgreSQL keeps timestamps to the microsecond, so the key
# goes round unchanged), then the submission id. Every string the pattern admits decodes:
# the pattern is published in OpenAPI and enforced as it stands.
CURSOR_PATTERN = r"^[0-9]{1,17}_[0-9a-f]{32}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True, order=True)
class PageKey:
    received_at: datetime
    submission_id: str


@dataclass(frozen=True)
class ListedSubmission:
    """What a list shows of a submission: its receipt, whose it is, where it stands."""

    submission_id: str
    receipt_number: str | None
    service_code: str
    perangkat_daerah: str
    title: str
    period: str | None
    received_at: datetime
    status: SubmissionStatus
    current_step: str | None
    holder_role: str | None
    due_at: datetime | None
    step_due_at: datetime | None
    replaces: str | None
    replaced_by: str | None

    @property
    def key(self) -> PageKey:
        return PageKey(self.received_at, self.submission_id)


@dataclass(frozen=True)
class SubmissionFilter:
    """`unit` None: every unit. The caller's scope is applied before this is built."""

    unit: str | None = None
    service_code: str | None = None
    status: SubmissionStatus | None = None
    after: PageKey | None = None  # the last item of the previous page
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class Page:
    items: tuple[ListedSubmission, ...]
    next_cursor: str | None


def encode_cursor(key: PageKey) -> str:
    delta = key.received_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}_{uuid.UUID(key.submission_id).hex}"


def decode_cursor(cursor: str) -> PageKey:
    """The key a cursor holds; CURSOR_INVALID for anything this service did not hand out."""
    if not _CURSOR.fullmatch(cursor):  # `$` alone would let a trailing newline through
        raise DomainError(errors.CURSOR_INVALID)
    micros, _, hex_id = cursor.partition("_")
    return PageKey(_EPOCH + timedelta(microseconds=int(micros)), str(uuid.UUID(hex_id)))


def scoped_unit(scope: str | None, requested: str | None) -> tuple[bool, str | None]:
    """(anything visible, the unit to filter on). An applicant (`scope`) sees its own unit
    whatever it asks; asking for another unit shows nothing, as if that unit had no
    submissions (other units' data is never confirmed)."""
    if scope is None:
        return True, requested
    return requested is None or requested == scope, scope


def page_of(rows: list[ListedSubmission], limit: int) -> Page:
    """`rows`: up to limit + 1 matches, newest first; one more than `limit` means more follow."""
    items = tuple(rows[:limit])
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].key) if more and items else None)
