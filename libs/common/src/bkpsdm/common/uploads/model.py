"""The upload's vocabulary: row states, outcomes, reasons, a service's plan for a recap.

Pure: no I/O. Services' domains build `Plan`s from recap rows; the pipeline stores and sends them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

# A cell as a recap file gives it (CSV: text; XLSX: numbers, dates, booleans too).
Cell = str | int | float | bool | date | datetime | time | timedelta | None
ReportCell = str | int | float | None


class RowState(StrEnum):
    PENDING = "PENDING"  # not sent yet, or sent without an answer we kept
    STORED = "STORED"  # BKN holds it (or already held it: an idempotent replay)
    EXPORTED = "EXPORTED"  # written to the import file an operator uploads by hand
    REJECTED = "REJECTED"  # refused as invalid (by BKN, or before sending): retrying will not help
    FAILED = "FAILED"  # not stored for a transient reason: a new attempt may help


FINAL_STATES = frozenset({RowState.STORED, RowState.EXPORTED, RowState.REJECTED, RowState.FAILED})


class Outcome(StrEnum):
    COMPLETED = "COMPLETED"
    PARTIALLY_COMPLETED = "PARTIALLY_COMPLETED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Reason:
    """Why a row is not stored: a stable code and a message in Bahasa Indonesia."""

    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data.get("code", "")), str(data.get("message", "")), data.get("field") or None)


@dataclass(frozen=True)
class Column:
    """A recap column as intake's recap contract names it: canonical name first, then aliases."""

    key: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class RecapRow:
    row_no: int  # as the applicant sees it in the file (header = 1)
    values: Mapping[str, Cell]  # by column key; absent columns are missing


@dataclass(frozen=True)
class RuleSetInfo:
    """The rule set a plan was made under; recorded with the upload and shown in its report."""

    id: str
    version: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.id} {self.version}"

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "source": self.source}


@dataclass(frozen=True)
class ReportTable:
    """A service's own section of the report (e.g. IP-ASN per unit and category)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[ReportCell, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> ReportTable:
        return cls(str(data["title"]), tuple(data["columns"]), tuple(tuple(r) for r in data.get("rows", ())))


@dataclass(frozen=True)
class RowPlan:
    """One recap row: the canonical record to send to `target`, or why it cannot be sent."""

    row_no: int
    nip: str | None
    nama: str | None
    unit_kerja: str | None
    target: str | None = None  # the BKN save it goes to (a key of the adapter's targets)
    natural_key: str | None = None  # BKN's key for the record, e.g. "<nip>/<tahun>"
    payload: Mapping[str, Any] | None = None  # canonical field names; the adapter maps them
    detail: Mapping[str, ReportCell] = field(default_factory=dict)  # shown in the report
    rejection: tuple[Reason, ...] = ()  # non-empty: refused before sending


@dataclass(frozen=True)
class Plan:
    rows: Sequence[RowPlan]
    rules: RuleSetInfo
    sections: Sequence[ReportTable] = ()
    notes: Sequence[str] = ()  # said with the outcome, in Indonesian (e.g. results to review)


@dataclass(frozen=True)
class RowResult:
    """What sending one row came to."""

    state: RowState
    bkn_id: str | None = None
    replayed: bool = False
    reasons: tuple[Reason, ...] = ()
    attempts: int = 0
