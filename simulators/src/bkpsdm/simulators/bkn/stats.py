"""Counters the tests read back through GET /sim/stats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    requests: int = 0
    token_requests: int = 0
    api_requests: int = 0
    rate_limited: int = 0
    auth_failures: int = 0
    validation_failures: int = 0
    writes: int = 0
    idempotent_replays: int = 0
    idempotency_conflicts: int = 0
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, phase) -> count

    def as_dict(self) -> dict[str, Any]:
        by_kind: dict[str, dict[str, int]] = {}
        for (kind, phase), n in sorted(self.faults.items()):
            by_kind.setdefault(kind, {"before": 0, "after": 0})[phase] = n
        return {
            "requests": self.requests,
            "token_requests": self.token_requests,
            "api_requests": self.api_requests,
            "rate_limited": self.rate_limited,
            "auth_failures": self.auth_failures,
            "validation_failures": self.validation_failures,
            "writes": self.writes,
            "idempotent_replays": self.idempotent_replays,
            "idempotency_conflicts": self.idempotency_conflicts,
            "faults_injected": sum(self.faults.values()),
            "faults": by_kind,
        }

    def reset(self) -> None:
        fresh = Stats()
        self.__dict__.update(fresh.__dict__)
