"""In-memory records with write counts per natural key and per idempotency key, for duplicate detection."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["skp", "skp-pp46", "ipasn"]


def fingerprint(path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{path}\n{canonical}".encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class StoredRecord:
    id: str
    kind: Kind
    natural_key: str
    body: dict[str, Any]
    first_written_at: str
    last_written_at: str
    writes: int = 1
    idempotency_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "natural_key": self.natural_key,
            "writes": self.writes,
            "idempotency_keys": self.idempotency_keys,
            "first_written_at": self.first_written_at,
            "last_written_at": self.last_written_at,
            "record": self.body,
        }


@dataclass
class IdempotencyEntry:
    kind: Kind
    natural_key: str
    fingerprint: str
    status: int
    response: dict[str, Any]
    writes: int = 1
    replays: int = 0
    conflicts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "natural_key": self.natural_key,
            "writes": self.writes,
            "replays": self.replays,
            "conflicts": self.conflicts,
            "status": self.status,
        }


class RecordStore:
    def __init__(self) -> None:
        self._records: dict[tuple[Kind, str], StoredRecord] = {}
        self._keys: dict[str, IdempotencyEntry] = {}

    def idempotency(self, key: str) -> IdempotencyEntry | None:
        return self._keys.get(key)

    def upsert(
        self, kind: Kind, natural_key: str, body: dict[str, Any], idempotency_key: str | None
    ) -> StoredRecord:
        # BKN's save is an upsert: a re-save replaces the record but keeps its id; writes counts every save
        now = _now()
        record = self._records.get((kind, natural_key))
        if record is None:
            record = StoredRecord(uuid.uuid4().hex, kind, natural_key, body, now, now)
            self._records[(kind, natural_key)] = record
        else:
            record.body = body
            record.writes += 1
            record.last_written_at = now
        if idempotency_key is not None:
            record.idempotency_keys.append(idempotency_key)
        return record

    def remember(self, key: str, entry: IdempotencyEntry) -> None:
        self._keys[key] = entry

    def records(self, kind: Kind) -> list[StoredRecord]:
        return [r for (k, _), r in self._records.items() if k == kind]

    def by_nip(self, kind: Kind, nip: str) -> list[StoredRecord]:
        return [r for r in self.records(kind) if r.body.get("nip") == nip]

    def keys(self, kind: Kind) -> dict[str, IdempotencyEntry]:
        return {key: e for key, e in self._keys.items() if e.kind == kind}

    def reset(self) -> None:
        self._records.clear()
        self._keys.clear()
