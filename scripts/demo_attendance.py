"""`make demo`, attendance part (issue 9): simulated fingerprint terminals polled by the
attendance gateway, their punches counted on Kafka, a terminal's health and clock drift, the
daily TL/PSW records and the monthly recap as XLSX.

`run(http)` expects the gateway running at http://127.0.0.1:8005 (or at `http.base_url` when
the client has one) with the infrastructure, and the local token issuer's keys
(deploy/local/.state/auth). It starts two terminal simulators as its own child processes
(two terminals each, one unit each) and stops them at the end, after disabling its terminals
in the registry so that the gateway does not keep reporting them offline. Each run registers
fresh terminals (new serials, ports, NIPs and unit names), so runs never mix.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl  # type: ignore[import-untyped]  # no stubs
from aiokafka import AIOKafkaConsumer, TopicPartition

from bkpsdm.attendance_gateway.settings import IDENTITY
from bkpsdm.common.auth import Role, issue_token
from bkpsdm.common.contracts import ATTENDANCE_PUNCHES
from bkpsdm.common.settings import LOCAL_KAFKA
from bkpsdm.simulators.zk_terminal.generator import generate_users

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = f"http://127.0.0.1:{IDENTITY.port}"
AUTH_KEY = ROOT / "deploy" / "local" / ".state" / "auth" / "private.pem"
OUTPUT = ROOT / "deploy" / "local" / ".state" / "demo"  # the recap XLSX and the simulators' logs
POLL_INTERVAL_S = 5  # the registry's shortest
SKEW_S = 420  # one terminal's clock runs seven minutes fast
COMM_KEY = 246_810  # one terminal is protected by a comm key
USERS = 6  # per terminal
HARI = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")


def token(*roles: Role) -> dict[str, str]:
    """A signed-in technician or data officer, from the local issuer the services trust."""
    signed = issue_token(
        AUTH_KEY.read_bytes(),
        subject="demo-kehadiran",
        name="Demo Kehadiran",
        roles=list(roles),
        ttl=timedelta(minutes=15),
    )
    return {"Authorization": f"Bearer {signed}"}


def random_nip(rng: random.Random) -> str:
    """A valid PNS NIP: birth date, TMT CPNS at 25, gender, serial."""
    born = date(1970, 1, 1) + timedelta(days=rng.randrange(9000))
    return f"{born:%Y%m%d}{born.year + 25}{rng.randrange(1, 13):02d}{rng.choice('12')}{rng.randrange(1, 1000):03d}"


def terminal_today() -> date:
    """Today where the terminals are (WIB): in the evening UTC it is already tomorrow there."""
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def log_period(today: date) -> tuple[date, int]:
    """The first day and the working days of the generated logs: this month up to yesterday
    (the previous month's too when this one has barely begun), so the recap has data."""
    first = today.replace(day=1)
    if sum(1 for d in range((today - first).days) if (first + timedelta(days=d)).weekday() < 5) < 3:
        first = (first - timedelta(days=1)).replace(day=1)
    return first, sum(1 for d in range((today - first).days) if (first + timedelta(days=d)).weekday() < 5)


def free_port_block(count: int, rng: random.Random) -> int:
    for _ in range(200):
        base = rng.randrange(21_000, 59_000)
        try:
            for port in range(base, base + count):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no block of {count} free ports")


@dataclass
class DemoTerminal:
    name: str
    unit: str
    port: int
    serial: str
    seed: int
    comm_key: int = 0
    clock_offset_s: float = 0.0
    terminal_id: str = ""
    nips: dict[str, str] = field(default_factory=dict)  # user id -> NIP

    def config(self) -> dict[str, Any]:
        first_day, days = log_period(terminal_today())
        return {
            "serial": self.serial,
            "seed": self.seed,
            "users": USERS,
            "first_day": first_day.isoformat(),
            "days": days,
            "comm_key": self.comm_key,
            "clock_offset_s": self.clock_offset_s,
            "device_name": self.name,
        }


@dataclass
class Simulator:
    """`python -m bkpsdm.simulators.zk_terminal` with a fleet config, as a child of this demo."""

    terminals: list[DemoTerminal]
    control: str
    process: subprocess.Popen[bytes]

    def wait_ready(self, http: httpx.Client) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the terminal simulator exited ({OUTPUT}/zk-*.log)")
            with suppress(httpx.HTTPError):
                if http.get(f"{self.control}/terminals", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError("the terminal simulator did not start")

    def records(self, http: httpx.Client) -> dict[int, int]:
        return {t["port"]: t["records"] for t in http.get(f"{self.control}/terminals").json()}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@contextmanager
def simulators(groups: list[list[DemoTerminal]], run_id: str) -> Iterator[list[Simulator]]:
    started: list[Simulator] = []
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        for n, group in enumerate(groups):
            config = OUTPUT / f"zk-{run_id}-{n}.json"
            config.write_text(json.dumps([t.config() for t in group]))
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                control_port = s.getsockname()[1]
            log = (OUTPUT / f"zk-{run_id}-{n}.log").open("ab")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bkpsdm.simulators.zk_terminal",
                    "--config",
                    str(config),
                    "--base-port",
                    str(group[0].port),
                    "--control-port",
                    str(control_port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            started.append(Simulator(group, f"http://127.0.0.1:{control_port}", process))
        yield started
    finally:
        for sim in started:
            sim.stop()


class PunchCounter:
    """Reads public.attendance.punches.v1 from where it ended when the demo began."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.starts: dict[int, int] = asyncio.run(self._ends())

    async def _consumer(self) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        metadata = await consumer._client.fetch_all_metadata()
        partitions = metadata.partitions_for_topic(ATTENDANCE_PUNCHES.name) or set()
        return consumer, [TopicPartition(ATTENDANCE_PUNCHES.name, p) for p in sorted(partitions)]

    async def _ends(self) -> dict[int, int]:
        consumer, tps = await self._consumer()
        try:
            return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
        finally:
            await consumer.stop()

    def read(self, terminal_ids: set[str]) -> list[dict[str, Any]]:
        """Every punch of these terminals published since the demo began."""
        return asyncio.run(self._read(terminal_ids))

    async def _read(self, terminal_ids: set[str]) -> list[dict[str, Any]]:
        consumer, tps = await self._consumer()
        found: list[dict[str, Any]] = []
        try:
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                consumer.seek(tp, self.starts.get(tp.partition, 0))
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    for m in messages:
                        punch = json.loads(m.value or b"{}")
                        if punch.get("terminal_id") in terminal_ids:
                            found.append(punch)
        finally:
            await consumer.stop()
        return found


def wait_for(check: Callable[[], Any], within_s: float, every_s: float = 0.5) -> Any:
    """The first truthy answer of `check` within `within_s`, else None."""
    deadline = time.monotonic() + within_s
    while True:
        if answer := check():
            return answer
        if time.monotonic() > deadline:
            return None
        time.sleep(every_s)


def run(http: httpx.Client) -> bool:
    """The attendance part of the demo; False (after saying why) when something did not happen."""
    gateway = str(http.base_url).rstrip("/") or GATEWAY
    run_id = uuid.uuid4().hex[:4].upper()
    rng = random.Random()
    technician = token(Role.PETUGAS_TEKNIS)
    base = free_port_block(4, rng)
    units = (f"BKPSDM DEMO-{run_id}", f"Dinas Kesehatan DEMO-{run_id}")
    terminals = [
        DemoTerminal("Lobi BKPSDM", units[0], base, f"DM{run_id}01", seed=rng.randrange(10_000)),
        DemoTerminal(
            "Ruang Mutasi", units[0], base + 1, f"DM{run_id}02", seed=rng.randrange(10_000), comm_key=COMM_KEY
        ),
        DemoTerminal(
            "Puskesmas Kota",
            units[1],
            base + 2,
            f"DM{run_id}03",
            seed=rng.randrange(10_000),
            clock_offset_s=SKEW_S,
        ),
        DemoTerminal("Gedung Dinkes", units[1], base + 3, f"DM{run_id}04", seed=rng.randrange(10_000)),
    ]
    print("\n== Kehadiran: mesin absensi sidik jari (attendance gateway) ==")
    counter = PunchCounter(os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA)
    with simulators([terminals[:2], terminals[2:]], run_id) as sims:
        for sim in sims:
            sim.wait_ready(http)
        print(f"  2 simulator mesin (proses anak demo) dengan {len(terminals)} mesin, port {base}-{base + 3}")
        try:
            return _show(http, gateway, technician, terminals, units, sims, counter, rng)
        finally:
            for t in terminals:
                if t.terminal_id:  # polling stops before the simulators do
                    with suppress(httpx.HTTPError):
                        http.put(
                            f"{gateway}/api/v1/terminals/{t.terminal_id}",
                            json={**_registration(t), "enabled": False, "comm_key": None},
                            headers=technician,
                        )
            print("  mesin demo dinonaktifkan di registri; simulator dihentikan")


def _registration(t: DemoTerminal) -> dict[str, Any]:
    return {
        "name": t.name,
        "address": "127.0.0.1",
        "port": t.port,
        "unit": t.unit,
        "poll_interval_s": POLL_INTERVAL_S,
        "time_zone": "Asia/Jakarta",
        "comm_key": t.comm_key or None,
    }


def _show(
    http: httpx.Client,
    gateway: str,
    technician: dict[str, str],
    terminals: list[DemoTerminal],
    units: tuple[str, str],
    sims: list[Simulator],
    counter: PunchCounter,
    rng: random.Random,
) -> bool:
    api = f"{gateway}/api/v1"
    print("\n  -- Registrasi mesin (petugas teknis) --")
    for t in terminals:
        created = http.post(f"{api}/terminals", json=_registration(t), headers=technician)
        if created.status_code != 201:
            print(f"  registrasi ditolak: {created.status_code} {created.text}")
            return False
        body = created.json()
        t.terminal_id = body["terminal_id"]
        users = generate_users(USERS, t.seed)
        t.nips = {u.user_id: random_nip(rng) for u in users}
        mapped = http.put(
            f"{api}/terminals/{t.terminal_id}/users",
            json={"users": [{"user_id": u, "nip": n} for u, n in t.nips.items()]},
            headers=technician,
        )
        if mapped.status_code != 200:
            print(f"  pemetaan pengguna ditolak: {mapped.status_code} {mapped.text}")
            return False
        secret = "comm key tersimpan (tidak pernah ditampilkan)" if body["comm_key_set"] else "tanpa comm key"
        print(f"  {t.name:<15} {t.unit:<28} port {t.port}  {len(t.nips)} pegawai dipetakan, {secret}")
    bad = http.post(
        f"{api}/terminals", json={**_registration(terminals[0]), "address": "999.1.1.1"}, headers=technician
    )
    print(f"  alamat salah ditolak: {bad.status_code} {bad.json()['code']} - {bad.json()['message']}")

    print("\n  -- Absensi tiba di Kafka (public.attendance.punches.v1) --")
    ids = {t.terminal_id for t in terminals}
    expected = sum(sum(sim.records(http).values()) for sim in sims)
    started = time.monotonic()

    def all_arrived() -> list[dict[str, Any]] | None:
        punches = counter.read(ids)
        print(f"  t+{time.monotonic() - started:4.1f} s: {len(punches):>3} / {expected} absensi di topik")
        return punches if len(punches) >= expected else None

    punches = wait_for(all_arrived, 45, every_s=1.0)
    if punches is None:
        print(
            "  tidak semua absensi tiba dalam 45 detik: lihat deploy/local/.state/services/attendance-gateway.log"
        )
        return False
    keys = {p["idempotency_key"] for p in punches}
    print(
        f"  {len(punches)} absensi dari {len(terminals)} mesin, {len(keys)} idempotency key berbeda (tidak ada ganda)"
    )
    sample = punches[0]
    print(
        f"  contoh: NIP {sample['nip']} {sample['punched_at']} mesin {sample['terminal_serial']} (kunci: NIP)"
    )

    lobby = terminals[0]
    user_id = next(iter(lobby.nips))
    punched = http.post(
        f"{sims[0].control}/terminals/{lobby.port}/punches", json={"user_id": user_id, "punch": 0}
    )
    at = punched.json()["timestamp"]
    started = time.monotonic()
    fresh = wait_for(
        lambda: [
            p
            for p in counter.read({lobby.terminal_id})
            if p["user_id"] == user_id and p["punched_at"].startswith(at)
        ],
        20,
    )
    if not fresh:
        print("  absensi baru tidak tiba dalam 20 detik")
        return False
    print(
        f"  absensi baru di {lobby.name} ({at}) tiba di topik setelah {time.monotonic() - started:.1f} s (selang tarik {POLL_INTERVAL_S} s)"
    )

    print("\n  -- Kesehatan mesin dan selisih jam --")

    def board() -> dict[str, dict[str, Any]]:
        rows = http.get(f"{api}/terminal-health", headers=technician).json()
        return {r["terminal_id"]: r for r in rows if r["terminal_id"] in ids}

    def health_is(t: DemoTerminal, status: str) -> dict[str, Any] | None:
        health = board()[t.terminal_id]
        return health if health["status"] == status else None

    for t in terminals:
        h = board()[t.terminal_id]
        drift = "?" if h["clock_drift_s"] is None else f"{round(h['clock_drift_s']):+d} s"
        alert = "  <- melewati ambang, peristiwa drift dikirim" if h["clock_drift_alert"] else ""
        print(
            f"  {t.name:<15} {h['status']:<8} SN {h['serial']}  {h['firmware']}  log {h['records']}/{h['records_capacity']}  jam {drift}{alert}"
        )
    skewed = terminals[2]
    synced = http.post(f"{api}/terminals/{skewed.terminal_id}/time-sync", headers=technician, timeout=30)
    if synced.status_code == 200:
        print(
            f"  sinkronisasi jam {skewed.name}: jam mesin {synced.json()['terminal_time']}, selisih kini {round(synced.json()['drift_s'] or 0):+d} s"
        )
    else:
        print(f"  sinkronisasi jam gagal: {synced.status_code} {synced.text}")
        return False

    gedung = terminals[3]
    faults = f"{sims[1].control}/terminals/{gedung.port}/faults"
    http.patch(faults, json={"silent": True})
    print(f"  {gedung.name} dimatikan (tidak menjawab)...")
    down = wait_for(lambda: health_is(gedung, "OFFLINE"), 40)
    http.delete(faults)
    if not down:
        print("  status OFFLINE tidak terlihat dalam 40 detik")
        return False
    print(
        f"  {gedung.name}: {down['status']} ({down['reason']}), {down['failure_streak']}x gagal berturut-turut"
    )
    up = wait_for(lambda: health_is(gedung, "ONLINE"), 30)
    if not up:
        print("  mesin tidak kembali ONLINE dalam 30 detik")
        return False
    print(f"  {gedung.name} menyala lagi: {up['status']}, tarikan terakhir berhasil {up['last_success_at']}")

    print("\n  -- Rekap harian (TL/PSW) --")
    reader = token(Role.PENGOLAH_DATA)
    nip = lobby.nips[user_id]
    today = terminal_today()
    first = today - timedelta(days=9)

    def daily() -> list[dict[str, Any]] | None:
        answer = http.get(
            f"{api}/attendance/daily",
            params={"nip": nip, "first_day": first.isoformat(), "last_day": today.isoformat()},
            headers=reader,
        )
        records = list(answer.json()) if answer.status_code == 200 else []
        # Every day is listed once the employee is known; wait for today's new punch to be in.
        arrived = any(r["date"] == today.isoformat() and (r["arrival"] or r["leave"]) for r in records)
        return records if arrived else None

    records = wait_for(daily, 60)
    if not records:
        print("  rekap harian belum terbentuk dalam 60 detik (konsumen daily-attendance)")
        return False
    print(f"  NIP {nip} ({lobby.unit}), aturan {records[0]['rule_set_version']}")
    print("  tanggal          hari kerja  datang  pulang  telat  TL    cepat  PSW   potongan  keterangan")
    for r in records:
        day = date.fromisoformat(r["date"])
        clock = {
            k: (datetime.fromisoformat(r[k]).strftime("%H:%M") if r[k] else "-") for k in ("arrival", "leave")
        }
        note = r["closed_reason"] or (
            "berlangsung: jam kerja belum usai, pulang belum dinilai"
            if r["in_progress"]
            else "tanpa keterangan"
            if r["working_day"] and r["arrival_missing"] and r["leave_missing"]
            else ""
        )
        print(
            f"  {HARI[day.weekday()]} {day}  {'ya' if r['working_day'] else 'tidak':<10}  {clock['arrival']:<6}  {clock['leave']:<6}"
            f"  {r['late_minutes'] if r['late_minutes'] is not None else '-':>5}  {r['tl_category'] or '-':<4}"
            f"  {r['early_minutes'] if r['early_minutes'] is not None else '-':>5}  {r['psw_category'] or '-':<4}"
            f"  {r['deduction_percent']:>6} %  {note}"
        )

    print("\n  -- Rekap bulanan unit kerja (XLSX) --")
    recap = http.get(
        f"{api}/attendance/recap.xlsx",
        params={"unit": lobby.unit, "year": today.year, "month": today.month},
        headers=reader,
        timeout=30,
    )
    if recap.status_code != 200:
        print(f"  rekap bulanan gagal: {recap.status_code} {recap.text}")
        return False
    path = OUTPUT / f"rekap-{lobby.unit.replace(' ', '_')}-{today:%Y-%m}.xlsx"
    path.write_bytes(recap.content)
    rows = [
        r for r in openpyxl.load_workbook(io.BytesIO(recap.content)).active.iter_rows(values_only=True) if r
    ]
    header = next(r for r in rows if r[0] == "NIP")
    print(f"  {lobby.unit}, {today:%m/%Y} sampai hari ini ({rows[3][1]}):")
    for row in rows[rows.index(header) + 1 :]:
        cells = dict(zip(header, row, strict=True))
        codes = ", ".join(f"{c} {cells[c]}" for c in header[4:-1] if cells[c]) or "tanpa TL/PSW"
        if cells["NIP"] == "Jumlah":
            print(f"  {'Jumlah unit':<18}  {codes}; potongan {cells['Potongan (%)']} %")
            continue
        print(
            f"  {cells['NIP']:<18}  hari kerja {cells['Hari kerja']:>2}, tepat waktu {cells['Tepat waktu']:>2},"
            f" tanpa keterangan {cells['Tanpa keterangan']:>2}, {codes}; potongan {cells['Potongan (%)']} %"
        )
    print(f"  ditulis ke {path}")
    return True
