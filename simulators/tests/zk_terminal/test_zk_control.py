"""The control endpoint and the command line that run terminals outside the tests."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from zk import ZK
from zk.exception import ZKNetworkError

from bkpsdm.simulators.zk_terminal import Fleet, RecordLayout, Terminal, TerminalConfig, UserLayout
from bkpsdm.simulators.zk_terminal.__main__ import build_configs, build_parser, parse_fault
from bkpsdm.simulators.zk_terminal.control import create_control_app


@pytest.fixture
async def control() -> AsyncIterator[tuple[httpx.AsyncClient, Fleet]]:
    fleet = Fleet(
        [Terminal(TerminalConfig(serial=f"T{i}", first_day=date(2025, 3, 3), seed=i)) for i in range(2)]
    )
    await fleet.start()
    transport = httpx.ASGITransport(app=create_control_app(fleet))
    async with httpx.AsyncClient(transport=transport, base_url="http://control") as client:
        yield client, fleet
    await fleet.stop()


async def test_lists_terminals_with_ports_serials_and_faults(
    control: tuple[httpx.AsyncClient, Fleet],
) -> None:
    client, fleet = control
    body = (await client.get("/terminals")).json()
    assert [(t["port"], t["serial"]) for t in body] == [
        (s.port, f"T{i}") for i, s in enumerate(fleet.servers)
    ]
    assert body[0]["faults"]["silent"] is False
    assert body[0]["records"] == len(fleet.servers[0].terminal.punches)


async def test_patch_switches_faults_on_one_terminal_only(control: tuple[httpx.AsyncClient, Fleet]) -> None:
    client, fleet = control
    first, second = fleet.servers
    response = await client.patch(
        f"/terminals/{first.port}/faults", json={"silent": True, "reply_delay_s": 1.5}
    )
    assert response.status_code == 200
    assert (response.json()["silent"], response.json()["reply_delay_s"]) == (True, 1.5)
    assert first.terminal.faults.silent
    assert not second.terminal.faults.silent
    reset = await client.delete(f"/terminals/{first.port}/faults")
    assert reset.json()["silent"] is False
    assert first.terminal.faults.reply_delay_s == 0


@pytest.mark.parametrize(
    "changes",
    [{"bogus": True}, {"reply_delay_s": -1}, {"close_mid_chunk": "sometimes"}, {"single_session": 2}],
)
async def test_invalid_fault_is_422_with_a_stable_code(
    control: tuple[httpx.AsyncClient, Fleet], changes: dict[str, object]
) -> None:
    client, fleet = control
    response = await client.patch(f"/terminals/{fleet.servers[0].port}/faults", json=changes)
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "FAULT_INVALID"
    assert fleet.servers[0].terminal.faults.model_dump() == fleet.servers[1].terminal.faults.model_dump()


async def test_unknown_port_is_404_in_indonesian(control: tuple[httpx.AsyncClient, Fleet]) -> None:
    client, _ = control
    response = await client.get("/terminals/1")
    assert response.status_code == 404
    assert response.json()["detail"] == {
        "code": "TERMINAL_NOT_FOUND",
        "message": "Terminal pada port 1 tidak ditemukan",
    }


async def test_post_punch_appends_to_the_log(control: tuple[httpx.AsyncClient, Fleet]) -> None:
    client, fleet = control
    terminal = fleet.servers[1].terminal
    before = len(terminal.punches)
    response = await client.post(
        f"/terminals/{fleet.servers[1].port}/punches", json={"user_id": "1005", "punch": 1}
    )
    assert response.status_code == 201
    assert len(terminal.punches) == before + 1
    assert (terminal.punches[-1].user_id, terminal.punches[-1].punch) == ("1005", 1)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("4371:silent=true", ("4371", "silent", True)),
        ("*:reply_delay_s=2.5", ("*", "reply_delay_s", 2.5)),
        ("4372:close_mid_chunk=rst", ("4372", "close_mid_chunk", "rst")),
        ("4372:reported_record_count=null", ("4372", "reported_record_count", None)),
    ],
)
def test_fault_flag_parses_port_name_and_json_value(text: str, parsed: tuple[str, str, object]) -> None:
    assert parse_fault(text) == parsed


@pytest.mark.parametrize("text", ["silent=true", "4371:silent"])
def test_malformed_fault_flag_is_rejected(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_fault(text)


def test_flags_build_distinct_terminals() -> None:
    args = build_parser().parse_args(
        ["--count", "3", "--user-layout", "28", "--record-layout", "16", "--seed", "9"]
    )
    configs = build_configs(args)
    assert [c.serial for c in configs] == ["ZKSIM0001", "ZKSIM0002", "ZKSIM0003"]
    assert [c.seed for c in configs] == [9, 10, 11]
    assert {(c.user_layout, c.record_layout, c.event_size) for c in configs} == {
        (UserLayout.ZK6, RecordLayout.ZK6, 12)
    }


def test_config_file_gives_each_terminal_its_own_settings(tmp_path: Path) -> None:
    path = tmp_path / "terminals.json"
    path.write_text(
        json.dumps(
            [
                {"serial": "KAB-01", "time_zone": "Asia/Makassar", "comm_key": 77, "clock_offset_s": 30},
                {"serial": "KAB-02", "user_layout": 28, "record_layout": 8, "event_size": 12},
            ]
        )
    )
    configs = build_configs(build_parser().parse_args(["--config", str(path)]))
    assert [(c.serial, c.time_zone, c.comm_key) for c in configs] == [
        ("KAB-01", "Asia/Makassar", 77),
        ("KAB-02", "Asia/Jakarta", 0),
    ]
    assert configs[1].record_layout is RecordLayout.OLD


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 65000:
            continue
        try:
            for port in (base, base + 1):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no two consecutive free ports")


def test_module_runs_terminals_on_consecutive_ports_with_cli_faults() -> None:
    base = _free_port_pair()
    command = [
        sys.executable,
        "-m",
        "bkpsdm.simulators.zk_terminal",
        "--count",
        "2",
        "--base-port",
        str(base),
    ]
    command += ["--fault", f"{base + 1}:silent=true"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                conn = ZK("127.0.0.1", port=base, timeout=0.5, ommit_ping=True).connect()
                break
            except ZKNetworkError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert conn.get_serialnumber() == "ZKSIM0001"
        assert len(conn.get_attendance()) > 0
        with pytest.raises(ZKNetworkError, match="timed out"):
            ZK("127.0.0.1", port=base + 1, timeout=0.3, ommit_ping=True, force_udp=True).connect()
    finally:
        server.terminate()
        server.wait(timeout=10)
