"""scripts/demo_attendance.py's `run(http)` against a gateway process, as `make demo` runs it
against the one `make up` starts: every step it shows happens, and it cleans up after itself."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import repo_root
from bkpsdm.testing.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # the whole demo: about 40 s


def demo_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "demo_attendance", repo_root() / "scripts" / "demo_attendance.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_attendance_demo_runs_every_step_against_a_gateway(
    gateway_processes: Callable[..., ServiceProcess],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = gateway_processes(daily_attendance_enabled=True, session_timeout_s=1.0)
    demo = demo_module(monkeypatch)
    monkeypatch.setattr(demo, "OUTPUT", tmp_path)

    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        succeeded = demo.run(http)
        listed = http.get("/api/v1/terminals", headers=bearer(Role.PETUGAS_TEKNIS)).json()

    shown = capsys.readouterr().out
    assert succeeded, shown
    assert "absensi dari 4 mesin" in shown
    assert "OFFLINE" in shown
    assert "menyala lagi: ONLINE" in shown
    assert "selisih kini" in shown
    assert len(list(tmp_path.glob("rekap-*.xlsx"))) == 1
    assert [t["enabled"] for t in listed] == [False] * 4  # the gateway no longer polls the demo's terminals
