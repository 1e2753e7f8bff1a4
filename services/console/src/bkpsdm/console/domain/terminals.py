"""The terminal health board as technicians read it: what needs attention first, in Indonesian."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

STATUS_LABELS = {
    "ONLINE": "Terhubung",
    "OFFLINE": "Tidak terhubung",
    "FAULTY": "Bermasalah",
    "UNKNOWN": "Belum diperiksa",
}
_ORDER = {"FAULTY": 0, "OFFLINE": 1, "UNKNOWN": 2, "ONLINE": 3}


@dataclass(frozen=True)
class BoardRow:
    terminal: Mapping[str, Any]
    status: str
    status_label: str
    warnings: tuple[str, ...]

    @property
    def attention(self) -> bool:
        return self.status in ("FAULTY", "OFFLINE") or bool(self.warnings)


def board_rows(health: Iterable[Mapping[str, Any]]) -> list[BoardRow]:
    """Faulty and unreachable terminals first, then those with a warning, then by name."""
    rows = []
    for t in health:
        status = str(t.get("status") or "UNKNOWN")
        warnings = []
        if t.get("clock_drift_alert"):
            warnings.append(f"Jam mesin bergeser {t.get('clock_drift_s') or 0:+.0f} detik")
        if t.get("log_nearly_full"):
            warnings.append("Memori log hampir penuh")
        if (t.get("failure_streak") or 0) > 0:
            warnings.append(f"{t['failure_streak']} kali gagal berturut-turut")
        if not t.get("enabled", True):
            warnings.append("Penarikan data dinonaktifkan")
        rows.append(BoardRow(t, status, STATUS_LABELS.get(status, status), tuple(warnings)))
    return sorted(rows, key=lambda r: (_ORDER.get(r.status, 2), not r.warnings, str(r.terminal.get("name"))))
