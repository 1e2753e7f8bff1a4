"""The unmodified pyzk 0.9 client against simulated terminals over real TCP and UDP sockets."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from zk import ZK
from zk.exception import ZKErrorResponse

from bkpsdm.simulators.zk_terminal import (
    Faults,
    FleetThread,
    RecordLayout,
    Terminal,
    TerminalConfig,
    UserLayout,
)

ZK8_40, ZK6_16, ZK6_8, SPARE = 0, 1, 2, 3
COMM_KEY = 4321
CONFIGS = [
    TerminalConfig(serial="BKPSDM-ZK8-01", device_name="MB360/ID", first_day=date(2025, 3, 3), seed=1),
    TerminalConfig(
        serial="BKPSDM-ZK6-02",
        user_layout=UserLayout.ZK6,
        record_layout=RecordLayout.ZK6,
        event_size=12,
        time_zone="Asia/Makassar",
        clock_offset_s=-90,
        comm_key=COMM_KEY,
        first_day=date(2025, 3, 3),
        seed=2,
    ),
    TerminalConfig(
        serial="BKPSDM-OLD-03",
        user_layout=UserLayout.ZK6,
        record_layout=RecordLayout.OLD,
        time_zone="Asia/Jayapura",
        first_day=date(2025, 3, 3),
        seed=3,
    ),
    TerminalConfig(serial="BKPSDM-ZK8-04", first_day=date(2025, 3, 3), seed=4),
]


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([Terminal(c) for c in CONFIGS]) as ft:
        yield ft


def connect(ft: FleetThread, index: int, udp: bool = False, timeout: float = 3.0, **kw: Any) -> Any:
    password = COMM_KEY if ft.terminal(index).config.comm_key else 0
    kw.setdefault("password", password)
    return ZK(
        "127.0.0.1", port=ft.ports[index], timeout=timeout, ommit_ping=True, force_udp=udp, **kw
    ).connect()


def capture(conn: Any, ft: FleetThread, index: int, user_ids: list[str], yields: int) -> list[Any]:
    """Run pyzk's live_capture; punch the users once the terminal sees the registration."""

    def punch_when_registered() -> None:
        deadline = time.monotonic() + 5
        while ft.call(lambda: ft.terminal(index).capturing_sessions) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        for user_id in user_ids:
            ft.record_punch(index, user_id, status=1, punch=1)

    pusher = threading.Thread(target=punch_when_registered)
    pusher.start()
    got = []
    for event in conn.live_capture(new_timeout=1):
        got.append(event)
        if len(got) >= yields:
            conn.end_live_capture = True
    pusher.join()
    return got


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_identity_and_sizes_read_like_a_real_device(fleet: FleetThread, udp: bool) -> None:
    conn = connect(fleet, ZK8_40, udp)
    assert conn.get_firmware_version() == "Ver 6.60 Apr 28 2016"
    assert conn.get_serialnumber() == "BKPSDM-ZK8-01"
    assert conn.get_device_name() == "MB360/ID"
    assert conn.get_platform() == "ZMM210_TFT"
    assert conn.get_mac() == "00:17:61:11:45:08"
    assert conn.get_network_params()["ip"] == "192.168.1.201"
    assert conn.get_pin_width() == 9
    assert conn.get_extend_fmt() == 1
    conn.read_sizes()
    terminal = fleet.terminal(ZK8_40)
    assert (conn.users, conn.records, conn.rec_cap) == (len(terminal.users), len(terminal.punches), 100_000)
    assert conn.disable_device()
    assert conn.enable_device()
    assert conn.disconnect()


def test_each_terminal_has_its_own_serial_users_and_punches(fleet: FleetThread) -> None:
    serials, first_names, first_punches = set(), set(), set()
    for index in range(len(CONFIGS)):
        conn = connect(fleet, index)
        serials.add(conn.get_serialnumber())
        first_names.add(fleet.terminal(index).users[1].name)
        first_punches.add(fleet.terminal(index).punches[0].timestamp)
        conn.disconnect()
    assert len(serials) == len(first_names) == len(first_punches) == len(CONFIGS)


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_get_time_is_the_terminal_wall_clock_in_its_zone_with_its_offset(
    fleet: FleetThread, udp: bool
) -> None:
    conn = connect(fleet, ZK6_16, udp)
    makassar_now = datetime.now(ZoneInfo("Asia/Makassar")).replace(tzinfo=None)
    drift = (conn.get_time() - makassar_now).total_seconds()
    assert -93 <= drift <= -87
    conn.disconnect()


def test_set_time_moves_the_terminal_clock(fleet: FleetThread) -> None:
    conn = connect(fleet, SPARE)
    target = datetime(2025, 8, 17, 9, 45, 0)
    assert conn.set_time(target)
    assert abs((conn.get_time() - target).total_seconds()) <= 2
    conn.set_time(datetime.now(ZoneInfo("Asia/Jakarta")).replace(tzinfo=None, microsecond=0))
    conn.disconnect()


@pytest.mark.parametrize(("index", "name_bytes"), [(ZK8_40, 24), (ZK6_16, 8)], ids=["zk8-72", "zk6-28"])
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_get_users_in_both_user_layouts(fleet: FleetThread, index: int, name_bytes: int, udp: bool) -> None:
    conn = connect(fleet, index, udp)
    users = conn.get_users()
    expected = fleet.terminal(index).users
    assert [(u.uid, u.user_id, u.privilege) for u in users] == [
        (u.uid, u.user_id, u.privilege) for u in expected
    ]
    # ZK6 keeps 8 bytes of a name; pyzk strips the cut
    assert [u.name for u in users] == [
        u.name.encode()[:name_bytes].decode(errors="ignore").strip() for u in expected
    ]
    conn.disconnect()


@pytest.mark.parametrize("index", [ZK6_8, ZK6_16, ZK8_40], ids=["8-byte", "16-byte", "40-byte"])
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_get_attendance_in_every_record_layout(fleet: FleetThread, index: int, udp: bool) -> None:
    conn = connect(fleet, index, udp)
    records = conn.get_attendance()
    expected = fleet.terminal(index).punches
    assert len(records) == len(expected) > 300
    assert [(r.user_id, r.timestamp, r.status, r.punch) for r in records] == [
        (p.user_id, p.timestamp, p.status, p.punch) for p in expected
    ]
    conn.disconnect()


def test_a_100k_record_log_over_tcp(capsys: pytest.CaptureFixture[str]) -> None:
    config = TerminalConfig(serial="BULK", users=100, first_day=date(2020, 1, 6))
    with FleetThread([Terminal(config, Faults(bulk_log_records=100_000))]) as ft:
        conn = connect(ft, 0, timeout=10)
        started = time.perf_counter()
        records = conn.get_attendance()
        took = time.perf_counter() - started
        assert len(records) == 100_000
        assert records[-1].user_id == ft.terminal(0).punches[-1].user_id
        assert records[-1].timestamp == ft.terminal(0).punches[-1].timestamp
        conn.disconnect()
    with capsys.disabled():
        print(f"\n[zk] pyzk get_attendance of 100,000 40-byte records over TCP: {took:.1f} s")
    assert took < 40


def test_a_few_thousand_records_over_udp(capsys: pytest.CaptureFixture[str]) -> None:
    with FleetThread(
        [Terminal(TerminalConfig(first_day=date(2024, 1, 1)), Faults(bulk_log_records=5000))]
    ) as ft:
        conn = connect(ft, 0, udp=True)
        started = time.perf_counter()
        records = conn.get_attendance()
        took = time.perf_counter() - started
        assert [(r.user_id, r.timestamp) for r in records] == [
            (p.user_id, p.timestamp) for p in ft.terminal(0).punches
        ]
        assert len(records) == 5000
    with capsys.disabled():
        print(f"\n[zk] pyzk get_attendance of 5,000 40-byte records over UDP: {took:.2f} s")


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_clear_attendance_empties_the_log(udp: bool) -> None:
    with FleetThread([Terminal(TerminalConfig(first_day=date(2025, 3, 3)))]) as ft:
        conn = connect(ft, 0, udp)
        assert len(conn.get_attendance()) > 0
        assert conn.clear_attendance()
        assert conn.get_attendance() == []
        conn.read_sizes()
        assert conn.records == 0
        assert ft.terminal(0).punches == []


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_comm_key_is_accepted(fleet: FleetThread, udp: bool) -> None:
    conn = connect(fleet, ZK6_16, udp, password=COMM_KEY)
    assert conn.get_serialnumber() == "BKPSDM-ZK6-02"
    conn.disconnect()


@pytest.mark.parametrize("password", [0, 1234, COMM_KEY + 1])
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_wrong_or_missing_comm_key_is_refused(fleet: FleetThread, udp: bool, password: int) -> None:
    with pytest.raises(ZKErrorResponse, match="Unauthenticated"):
        connect(fleet, ZK6_16, udp, password=password)


@pytest.mark.parametrize(
    ("event_size", "udp"), [(12, False), (32, False), (36, False), (52, False), (52, True), (12, True)]
)
def test_live_capture_yields_each_punch_as_an_event(event_size: int, udp: bool) -> None:
    zk6 = event_size == 12
    config = TerminalConfig(
        event_size=event_size,
        user_layout=UserLayout.ZK6 if zk6 else UserLayout.ZK8,
        record_layout=RecordLayout.ZK6 if zk6 else RecordLayout.ZK8,
        first_day=date(2025, 3, 3),
    )
    with FleetThread([Terminal(config)]) as ft:
        conn = connect(ft, 0, udp)
        events = capture(conn, ft, 0, ["1001", "1002", "1003"], yields=3)
        punches = ft.terminal(0).punches[-3:]
        assert [(e.user_id, e.timestamp, e.status, e.punch) for e in events] == [
            (p.user_id, p.timestamp, 1, 1) for p in punches
        ]
        assert [e.uid for e in events] == [1, 2, 3]
        assert ft.call(lambda: ft.terminal(0).capturing_sessions) == 0  # REG_EVENT 0 on the way out
        assert conn.get_serialnumber() == "ZKSIM0001"  # the session is still in step
        conn.disconnect()


def test_live_capture_time_is_the_terminal_clock_with_skew() -> None:
    with FleetThread([Terminal(TerminalConfig(first_day=date(2025, 3, 3)), Faults(clock_skew_s=7200))]) as ft:
        conn = connect(ft, 0)
        [event] = capture(conn, ft, 0, ["1004"], yields=1)
        jakarta_now = datetime.now(ZoneInfo("Asia/Jakarta")).replace(tzinfo=None)
        assert abs(event.timestamp - jakarta_now - timedelta(hours=2)) < timedelta(seconds=5)
        conn.disconnect()
