"""Each fault switch, and what the unmodified pyzk 0.9 client does when it meets it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from zk import ZK
from zk.exception import ZKErrorResponse, ZKNetworkError

from bkpsdm.simulators.zk_terminal import (
    FleetThread,
    Punch,
    RecordLayout,
    Terminal,
    TerminalConfig,
    User,
    UserLayout,
)

ZK8, ZK6 = 0, 1


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    """A fresh ZK8 (72-byte users, 40-byte records) and ZK6 (28-byte users, 16-byte records) terminal."""
    configs = [
        TerminalConfig(serial="ZK8", first_day=date(2025, 3, 3), seed=11),
        TerminalConfig(
            serial="ZK6",
            user_layout=UserLayout.ZK6,
            record_layout=RecordLayout.ZK6,
            event_size=12,
            first_day=date(2025, 3, 3),
            seed=12,
        ),
    ]
    with FleetThread([Terminal(c) for c in configs]) as ft:
        yield ft


def connect(ft: FleetThread, index: int = ZK8, udp: bool = False, timeout: float = 2.0, **kw: Any) -> Any:
    return ZK(
        "127.0.0.1", port=ft.ports[index], timeout=timeout, ommit_ping=True, force_udp=udp, **kw
    ).connect()


def as_tuples(records: list[Any]) -> list[tuple[str, datetime]]:
    return [(r.user_id, r.timestamp) for r in records]


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_silent_terminal_makes_connect_time_out(fleet: FleetThread, udp: bool) -> None:
    fleet.set_faults(ZK8, silent=True)
    started = time.monotonic()
    with pytest.raises(ZKNetworkError, match="timed out"):
        connect(fleet, udp=udp, timeout=0.3)
    assert time.monotonic() - started >= 0.3


def test_silence_mid_session_times_out_the_next_command(fleet: FleetThread) -> None:
    conn = connect(fleet, timeout=0.3)
    fleet.set_faults(ZK8, silent=True)
    with pytest.raises(ZKNetworkError, match="timed out"):
        conn.get_serialnumber()


def test_delay_below_the_timeout_only_slows_the_client(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, reply_delay_s=0.05)
    started = time.monotonic()
    conn = connect(fleet, timeout=1.0)
    assert conn.get_serialnumber() == "ZK8"
    assert len(conn.get_attendance()) == len(fleet.terminal(ZK8).punches)
    assert time.monotonic() - started >= 0.05 * 8  # connect, serial, 2 sizes, 2 buffered reads, chunks...


def test_delay_beyond_the_timeout_is_a_network_error(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, reply_delay_s=0.5)
    with pytest.raises(ZKNetworkError, match="timed out"):
        connect(fleet, timeout=0.2)


def test_reset_mid_chunk_escapes_as_a_bare_connection_reset(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, close_mid_chunk="rst")
    conn = connect(fleet)
    with pytest.raises(ConnectionResetError) as caught:
        conn.get_attendance()
    assert not isinstance(caught.value, ZKNetworkError)  # pyzk does not wrap it


def test_udp_stopping_mid_chunk_escapes_as_a_bare_socket_timeout(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, close_mid_chunk="fin")
    conn = connect(fleet, udp=True, timeout=0.3)
    with pytest.raises(TimeoutError) as caught:
        conn.get_attendance()
    assert not isinstance(caught.value, ZKNetworkError)


def test_graceful_close_mid_chunk_spins_pyzk_forever(fleet: FleetThread) -> None:
    """pyzk's raw-data loop keeps calling recv() on the closed socket: it never returns and burns a core."""
    fleet.set_faults(ZK8, close_mid_chunk="fin")
    code = (
        "from zk import ZK; "
        f"ZK('127.0.0.1', port={fleet.ports[ZK8]}, timeout=2, ommit_ping=True).connect().get_attendance()"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=2.5)  # longer than the client's own 2 s timeout
        spent = cpu_seconds(child.pid)
        time.sleep(0.5)
        assert cpu_seconds(child.pid) - spent > 0.1  # busy in a loop, not blocked in recv
    finally:
        child.kill()
        child.wait()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_ack_error_on_buffered_read_fails_users_and_attendance(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, ack_error_on_buffered_read=True)
    conn = connect(fleet)
    with pytest.raises(ZKErrorResponse, match="RWB Not supported"):
        conn.get_users()
    with pytest.raises(ZKErrorResponse, match="RWB Not supported"):
        conn.get_attendance()
    assert conn.get_serialnumber() == "ZK8"  # the session survives


def test_record_count_zero_makes_pyzk_return_nothing_silently(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, reported_record_count=0)
    assert connect(fleet).get_attendance() == []
    assert len(fleet.terminal(ZK8).punches) > 0


@pytest.mark.parametrize("delta", [1, -1])
def test_wrong_record_count_breaks_16_byte_records(fleet: FleetThread, delta: int) -> None:
    # total/records is no longer 16, so pyzk walks the log as 40-byte records
    fleet.set_faults(ZK6, reported_record_count=len(fleet.terminal(ZK6).punches) + delta)
    with pytest.raises(ValueError, match="day is out of range"):
        connect(fleet, ZK6).get_attendance()


def test_wrong_record_count_is_harmless_for_40_byte_records(fleet: FleetThread) -> None:
    punches = fleet.terminal(ZK8).punches
    fleet.set_faults(ZK8, reported_record_count=len(punches) + 1)
    assert as_tuples(connect(fleet).get_attendance()) == [(p.user_id, p.timestamp) for p in punches]


@pytest.mark.parametrize("index", [ZK8, ZK6], ids=["40-byte", "16-byte"])
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_one_corrupt_timestamp_fails_the_whole_read(fleet: FleetThread, index: int, udp: bool) -> None:
    fleet.set_faults(index, corrupt_timestamp_every=100)
    with pytest.raises(ValueError, match="day is out of range for month"):
        connect(fleet, index, udp).get_attendance()


def test_49_byte_records_fail_a_real_log(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, newer_firmware_records=True)
    with pytest.raises(ValueError, match="day is out of range"):
        connect(fleet).get_attendance()


def test_49_byte_records_are_silently_misparsed_in_a_short_log() -> None:
    users = [User(1, "1001", "Siti"), User(2, "1002", "Budi")]
    punches = [Punch("1001", datetime(2025, 3, 3, 7, 30)), Punch("1002", datetime(2025, 3, 3, 7, 45))]
    with FleetThread([Terminal(users=users, punches=punches)]) as ft:
        ft.set_faults(0, newer_firmware_records=True)
        records = connect(ft).get_attendance()
    assert as_tuples(records) == [("1001", datetime(2025, 3, 3, 7, 30)), ("", datetime(2000, 1, 1))]


def test_clock_skew_shows_in_get_time_until_set_time_corrects_it(fleet: FleetThread) -> None:
    conn = connect(fleet)
    before = conn.get_time()
    fleet.set_faults(ZK8, clock_skew_s=-600)
    skewed = conn.get_time()
    assert -602 <= (skewed - before).total_seconds() <= -598
    conn.set_time(before)
    assert abs((conn.get_time() - before).total_seconds()) <= 2


def test_udp_only_refuses_tcp_and_serves_force_udp(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, udp_only=True)
    with pytest.raises(ZKNetworkError):
        connect(fleet)
    conn = connect(fleet, udp=True)
    assert conn.get_serialnumber() == "ZK8"
    conn.disconnect()
    fleet.set_faults(ZK8, udp_only=False)
    assert connect(fleet).get_serialnumber() == "ZK8"


@pytest.mark.parametrize(
    ("mode", "error", "message"),
    [("silent", ZKNetworkError, "timed out"), ("refuse", ZKErrorResponse, "Can't connect")],
)
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_single_session_blocks_a_second_client_until_the_first_leaves(
    fleet: FleetThread, mode: str, error: type[Exception], message: str, udp: bool
) -> None:
    fleet.set_faults(ZK8, single_session=mode)
    first = connect(fleet)
    with pytest.raises(error, match=message):
        connect(fleet, udp=udp, timeout=0.3)
    assert first.get_serialnumber() == "ZK8"  # the first session is unaffected
    first.disconnect()
    second = connect(fleet, udp=udp)
    assert second.get_serialnumber() == "ZK8"
    second.disconnect()


def test_non_utf8_names_lose_their_accents_in_pyzk_unless_told_the_encoding() -> None:
    users = [User(1, "1001", "José da Costa"), User(2, "1002", "Inês Fernandes"), User(3, "1003", "Budi")]
    with FleetThread([Terminal(users=users, punches=[])]) as ft:
        assert [u.name for u in connect(ft).get_users()] == ["José da Costa", "Inês Fernandes", "Budi"]
        ft.set_faults(0, non_utf8_names=True)
        assert [u.name for u in connect(ft).get_users()] == ["Jos da Costa", "Ins Fernandes", "Budi"]
        assert [u.name for u in connect(ft, encoding="cp1252").get_users()] == [u.name for u in users]


def test_bulk_log_switch_replaces_the_log(fleet: FleetThread) -> None:
    fleet.set_faults(ZK8, bulk_log_records=2500)
    conn = connect(fleet)
    conn.read_sizes()
    assert conn.records == 2500
    assert len(conn.get_attendance()) == 2500


def test_live_capture_goes_silent_after_a_restart_but_the_log_keeps_the_punches(fleet: FleetThread) -> None:
    conn = connect(fleet)

    def punch_then_restart() -> None:
        punch_when_capturing(fleet, ZK8, "1001")
        time.sleep(0.1)
        fleet.set_faults(ZK8, capture_silent=True)
        fleet.record_punch(ZK8, "1002")

    pusher = threading.Thread(target=punch_then_restart)
    pusher.start()
    events = []
    for event in conn.live_capture(new_timeout=0.3):
        events.append(event)
        if len(events) >= 3:
            conn.end_live_capture = True
    pusher.join()
    assert [e.user_id if e else None for e in events] == ["1001", None, None]  # None: pyzk's timeout tick
    assert [r.user_id for r in connect(fleet).get_attendance()[-2:]] == ["1001", "1002"]

    fleet.set_faults(ZK8, capture_silent=False)
    again = connect(fleet)
    pusher = threading.Thread(target=punch_when_capturing, args=(fleet, ZK8, "1003"))
    pusher.start()
    fresh = []
    for event in again.live_capture(new_timeout=1):
        fresh.append(event)
        again.end_live_capture = True
    pusher.join()
    assert [e.user_id for e in fresh] == ["1003"]  # a new registration hears punches again


def punch_when_capturing(ft: FleetThread, index: int, user_id: str) -> None:
    deadline = time.monotonic() + 5
    while ft.call(lambda: ft.terminal(index).capturing_sessions) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    ft.record_punch(index, user_id)
