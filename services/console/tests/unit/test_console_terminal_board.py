"""The terminal board puts what needs a technician first and says why in Indonesian."""

from __future__ import annotations

from typing import Any

from bkpsdm.console.domain.terminals import board_rows


def terminal(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "enabled": True, "failure_streak": 0, **extra}


def test_faulty_and_offline_terminals_come_first_with_their_warnings() -> None:
    rows = board_rows(
        [
            terminal("Lobi", "ONLINE"),
            terminal("Gudang", "OFFLINE", failure_streak=4),
            terminal("Aula", "ONLINE", clock_drift_alert=True, clock_drift_s=-95.0),
            terminal("Dapur", "FAULTY", log_nearly_full=True),
            terminal("Pos", "UNKNOWN", enabled=False),
        ]
    )
    assert [r.terminal["name"] for r in rows] == ["Dapur", "Gudang", "Pos", "Aula", "Lobi"]
    by_name = {r.terminal["name"]: r for r in rows}
    assert by_name["Dapur"].status_label == "Bermasalah"
    assert by_name["Dapur"].warnings == ("Memori log hampir penuh",)
    assert by_name["Gudang"].warnings == ("4 kali gagal berturut-turut",)
    assert by_name["Aula"].warnings == ("Jam mesin bergeser -95 detik",)
    assert by_name["Pos"].warnings == ("Penarikan data dinonaktifkan",)
    assert [r.attention for r in rows] == [True, True, True, True, False]
