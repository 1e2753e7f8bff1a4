"""The simulator's state: reports in arrival order (a sequence number per report is the sync
cursor), their follow-ups keyed by the caller's idempotency key, tokens, and counters."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

CATEGORIES = ("PENGADUAN", "ASPIRASI", "PERMINTAAN_INFORMASI")
FOLLOW_UP_STATUSES = ("PROSES", "TINDAK_LANJUT", "BUKAN_WEWENANG", "ARSIP", "SELESAI")


@dataclass
class FollowUp:
    followup_id: str
    idempotency_key: str
    status: str
    text: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "followup_id": self.followup_id,
            "status": self.status,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class Report:
    report_id: str
    seq: int
    agency: str
    title: str
    content: str
    category: str
    anonim: bool
    rahasia: bool
    reporter: dict[str, str | None] | None
    created_at: datetime
    status: str = "BARU"
    followups: list[FollowUp] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "seq": self.seq,
            "agency": self.agency,
            "title": self.title,
            "content": self.content,
            "category": self.category,
            "anonim": self.anonim,
            "rahasia": self.rahasia,
            # An anonymous report reaches the agency without its reporter (SP4N-LAPOR! keeps it).
            "reporter": None if self.anonim else self.reporter,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "followups": [f.as_dict() for f in self.followups],
        }


@dataclass
class Stats:
    requests: int = 0
    refused_in_outage: int = 0
    reports_listed: int = 0
    followups_stored: int = 0
    followups_replayed: int = 0
    responses_lost: int = 0
    tokens_issued: int = 0


class Store:
    def __init__(self, token_ttl_s: float) -> None:
        self._lock = threading.Lock()
        self.token_ttl = timedelta(seconds=token_ttl_s)
        self.reports: dict[str, Report] = {}
        self.by_seq: list[Report] = []
        self.tokens: dict[str, tuple[str, datetime]] = {}  # token -> (client id, expiry)
        self.stats = Stats()

    def reset(self) -> None:
        with self._lock:
            self.reports.clear()
            self.by_seq.clear()
            self.tokens.clear()
            self.stats = Stats()

    def issue_token(self, client_id: str) -> tuple[str, float]:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = (client_id, datetime.now(UTC) + self.token_ttl)
            self.stats.tokens_issued += 1
        return token, self.token_ttl.total_seconds()

    def client_of(self, token: str) -> str | None:
        with self._lock:
            found = self.tokens.get(token)
        if found is None or found[1] < datetime.now(UTC):
            return None
        return found[0]

    def add_report(self, agency: str, body: dict[str, Any]) -> Report:
        with self._lock:
            seq = len(self.by_seq) + 1
            report = Report(
                report_id=f"LPR-{seq:07d}",
                seq=seq,
                agency=agency,
                title=str(body.get("title") or ""),
                content=str(body.get("content") or ""),
                category=str(body.get("category") or "PENGADUAN"),
                anonim=bool(body.get("anonim", False)),
                rahasia=bool(body.get("rahasia", False)),
                reporter=body.get("reporter"),
                created_at=datetime.now(UTC),
            )
            self.reports[report.report_id] = report
            self.by_seq.append(report)
            return report

    def reports_after(self, agency: str, after: int, limit: int) -> tuple[list[Report], bool]:
        with self._lock:
            found = [r for r in self.by_seq[max(after, 0) :] if r.agency == agency]
        self.stats.reports_listed += min(len(found), limit)
        return found[:limit], len(found) > limit

    def add_followup(self, report: Report, key: str, status: str, text: str) -> tuple[FollowUp, bool] | None:
        """(follow-up, created now); None when the key was used for another follow-up."""
        with self._lock:
            for earlier in report.followups:
                if earlier.idempotency_key == key:
                    if (earlier.status, earlier.text) != (status, text):
                        return None
                    self.stats.followups_replayed += 1
                    return earlier, False
            followup = FollowUp(f"TL-{secrets.token_hex(6)}", key, status, text, datetime.now(UTC))
            report.followups.append(followup)
            report.status = status
            self.stats.followups_stored += 1
            return followup, True
