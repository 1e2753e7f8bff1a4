"""The demo's uploads to BKN: once routing has accepted the demo's E-LAPKIN and IP-ASN submissions
(its own demo step), wait for both uploaders to finish them against the BKN simulator (faults
on), print each outcome, and write each upload report (JSON, XLSX, PDF) to
deploy/local/.state/reports/.

`make up` starts the simulator without faults (deploy/local/simulators.conf); the demo runner
switches `DEMO_FAULTS` on (`faults_injected(http)`) before routing accepts the demo's cases and
back off after `run(http)`; `python scripts/demo_uploads.py` runs it alone, faults on.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bkpsdm.common.auth import Role, issue_token
from bkpsdm.common.identity import discover
from bkpsdm.simulators.bkn.__main__ import build_config, parse_args

ROOT = Path(__file__).resolve().parent.parent
AUTH_KEY = ROOT / "deploy" / "local" / ".state" / "auth" / "private.pem"
REPORTS = ROOT / "deploy" / "local" / ".state" / "reports"
BKN = "http://127.0.0.1:8090"
# What BKN's gateway does on a bad day: 5xx, throttling, dropped and non-JSON answers after the
# save, timeouts (the simulator's --fault syntax: KIND:RATE[:PHASE[:SCOPE]]).
DEMO_FAULTS = (
    "error_5xx:0.05",
    "throttle:0.03",
    "drop:0.03:after:save",
    "non_json:0.02:after:save",
    "timeout:0.02:after:save",
)
PORTS = {identity.name: identity.port for identity in discover()}
UPLOADERS = {"lapkin-uploader": "E-LAPKIN", "ipasn-uploader": "IP-ASN"}
ARRIVAL_S = 60.0  # routing's upload requests arrive within this
WAIT_S = 180.0  # and the uploads finish within this (timeout faults cost the uploader's 10 s)
RECENT = timedelta(minutes=15)  # uploads of this demo run, not of an earlier one
OUTCOMES = {"COMPLETED": "selesai", "PARTIALLY_COMPLETED": "selesai sebagian", "FAILED": "gagal"}


def _headers() -> dict[str, str]:
    token = issue_token(
        AUTH_KEY.read_bytes(),
        subject="demo-kepala-badan",
        name="Kepala BKPSDM (demo)",
        roles=[Role.KEPALA_BADAN],
        ttl=timedelta(minutes=15),
    )
    return {"Authorization": f"Bearer {token}"}


def _recent(http: httpx.Client, base: str, headers: dict[str, str], since: datetime) -> list[dict[str, Any]]:
    answer = http.get(f"{base}/api/v1/uploads", params={"limit": 50}, headers=headers)
    answer.raise_for_status()
    return [u for u in answer.json() if datetime.fromisoformat(u["received_at"]) >= since]


def _wait(http: httpx.Client, headers: dict[str, str], since: datetime) -> dict[str, list[dict[str, Any]]]:
    """Each uploader's recent uploads, once every one has finished (or the wait is over)."""
    deadline = time.monotonic() + WAIT_S
    found: dict[str, list[dict[str, Any]]] = {}
    while True:
        found = {name: _recent(http, f"http://127.0.0.1:{PORTS[name]}", headers, since) for name in UPLOADERS}
        done = all(uploads and all(u["status"] == "FINISHED" for u in uploads) for uploads in found.values())
        if done or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def _save_reports(
    http: httpx.Client, base: str, headers: dict[str, str], upload: dict[str, Any]
) -> list[Path]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    stem = f"{upload['service_code'].lower()}-{upload['submission_id']}-{upload['attempt']}"
    written = []
    for suffix in ("", ".xlsx", ".pdf"):
        answer = http.get(f"{base}{upload['report_url']}{suffix}", headers=headers)
        answer.raise_for_status()
        path = REPORTS / f"{stem}{suffix or '.json'}"
        if suffix:
            path.write_bytes(answer.content)
        else:
            path.write_text(json.dumps(answer.json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


@contextmanager
def faults_injected(http: httpx.Client) -> Iterator[None]:
    """The BKN simulator misbehaves (DEMO_FAULTS) inside the block; its faults are as before after it."""
    args = [
        "--seed",
        "7",
        "--latency-ms",
        "20",
        "--latency-jitter-ms",
        "30",
        "--rate-limit-rps",
        "20",
        *(f for spec in DEMO_FAULTS for f in ("--fault", spec)),
    ]
    demo = build_config(parse_args(args)).faults.model_dump(mode="json")
    before = http.get(f"{BKN}/sim/faults").raise_for_status().json()
    http.put(f"{BKN}/sim/faults", json=demo).raise_for_status()
    try:
        yield
    finally:
        http.put(f"{BKN}/sim/faults", json=before)


def run(http: httpx.Client) -> bool:
    print("\n== Unggah ke BKN (uploads to the BKN simulator, faults on) ==")
    headers = _headers()
    since = datetime.now(UTC) - RECENT
    try:
        found = _wait(http, headers, since)
    except httpx.HTTPError as exc:
        print(f"  the uploaders do not answer ({exc!r}): see deploy/local/.state/services/*.log")
        return False
    ok = True
    for name, uploads in found.items():
        base = f"http://127.0.0.1:{PORTS[name]}"
        if not uploads:
            print(
                f"  {UPLOADERS[name]:<9} no upload request arrived within {ARRIVAL_S:.0f} s (routing's step)"
            )
            ok = False
            continue
        for upload in uploads:
            if upload["status"] != "FINISHED":
                print(
                    f"  {UPLOADERS[name]:<9} {upload['submission_id']}: still uploading after {WAIT_S:.0f} s"
                )
                ok = False
                continue
            print(
                f"  {UPLOADERS[name]:<9} {upload['submission_id']} ({upload['perangkat_daerah']}): "
                f"{OUTCOMES.get(upload['outcome'], upload['outcome'])}, {upload['rows_stored']}/{upload['rows_total']}"
                f" baris tersimpan, {upload['rows_rejected']} ditolak, {upload['rows_failed']} gagal"
                f" (adapter {upload['adapter']}, aturan {upload['rules_version']})"
            )
            for reason in upload["reasons"]:
                print(f"      - {reason}")
            for path in _save_reports(http, base, headers, upload):
                print(f"      laporan: {path.relative_to(ROOT)}")
    try:
        stats = http.get(f"{BKN}/sim/stats").json()
        stored = {
            kind: http.get(f"{BKN}/sim/records", params={"kind": kind}).json() for kind in ("skp", "ipasn")
        }
        print(
            f"  simulator BKN: {stats['api_requests']} panggilan API, {stats['faults_injected']} gangguan disuntikkan,"
            f" {stats['rate_limited']} kali 429, {stats['idempotent_replays']} ulangan idempoten;"
            f" tersimpan {stored['skp']['count']} SKP ({stored['skp']['total_writes']} tulis),"
            f" {stored['ipasn']['count']} IP-ASN ({stored['ipasn']['total_writes']} tulis)"
        )
    except httpx.HTTPError:
        print(f"  (the BKN simulator at {BKN} does not answer)")
    return ok


if __name__ == "__main__":
    with httpx.Client(timeout=30) as client, faults_injected(client):
        sys.exit(0 if run(client) else 1)
