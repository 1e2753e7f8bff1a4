"""`make demo`: with the infrastructure and every service running (`make up`), show each
service ready and send one submission from intake through routing and back.

Talks to the services only over their documented HTTP APIs, as an applicant would.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import datetime

import httpx

from bkpsdm.common.identity import discover

SERVICES = {identity.name: identity.port for identity in discover()}
INTAKE = f"http://127.0.0.1:{SERVICES['intake']}"
ROUTING = f"http://127.0.0.1:{SERVICES['routing']}"


def main() -> int:
    with httpx.Client(timeout=10) as http:
        print("\n== Layanan (services) ==")
        for name, port in SERVICES.items():
            ready = http.get(f"http://127.0.0.1:{port}/health/ready").json()
            checks = ", ".join(f"{k}={'ok' if v else 'GAGAL'}" for k, v in ready["checks"].items())
            lag = sum(sum(parts.values()) for parts in ready.get("consumer_lag", {}).values())
            print(f"  {name:<20} {ready['status']:<12} {checks}, lag={lag}   http://127.0.0.1:{port}")

        correlation_id = f"demo-{uuid.uuid4().hex[:8]}"
        submission = {
            "service_code": "E-LAPKIN",
            "perangkat_daerah": "Dinas Pendidikan dan Kebudayaan",
            "title": "Rekap Nilai Laporan Kinerja Pegawai bulan November 2026",
        }
        print(f"\n== Pengajuan (submission), correlation id {correlation_id} ==")
        response = http.post(
            f"{INTAKE}/api/v1/submissions", json=submission, headers={"X-Correlation-ID": correlation_id}
        )
        if response.status_code != 201:
            print(f"  intake refused it: {response.status_code} {response.text}")
            return 1
        receipt = response.json()
        submission_id = receipt["submission_id"]
        print(f"  diterima intake:   {submission_id} status={receipt['status']}")

        started = time.monotonic()
        status = receipt
        while status["status"] != "TERCATAT" and time.monotonic() - started < 30:
            time.sleep(0.02)
            status = http.get(f"{INTAKE}/api/v1/submissions/{submission_id}").json()
        elapsed_ms = (time.monotonic() - started) * 1000
        if status["status"] != "TERCATAT":
            print("  routing did not acknowledge it within 30 s: see deploy/local/.state/services/*.log")
            return 1
        case = http.get(f"{ROUTING}/api/v1/cases/by-submission/{submission_id}").json()
        print(f"  dicatat routing:   case {case['case_id']} (workflow {case['workflow_version']})")
        round_trip = datetime.fromisoformat(status["acknowledged_at"]) - datetime.fromisoformat(
            status["received_at"]
        )
        print(
            f"  status di intake:  {status['status']} (seen after {elapsed_ms:.0f} ms; "
            f"received -> acknowledged {round_trip.total_seconds() * 1000:.0f} ms through Kafka and both outboxes)"
        )

        bad = http.post(
            f"{INTAKE}/api/v1/submissions",
            content=b"{bukan json",
            headers={"content-type": "application/json"},
        )
        print(f"\n== Masukan salah (bad input) ==\n  {bad.status_code} {bad.json()}")

    print(
        "\nEverything keeps running. Logs: deploy/local/.state/services/*.log "
        f"(grep {correlation_id}). Stop with: make down\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
