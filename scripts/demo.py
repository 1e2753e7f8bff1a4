"""`make demo`: with the infrastructure and every service running (`make up`), show each
service ready and send one submission from intake through routing and back.

Talks to the services only over their documented HTTP APIs, as an applicant would.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bkpsdm.common.auth import Role, issue_token
from bkpsdm.common.identity import discover
from bkpsdm.intake import samples

SERVICES = {identity.name: identity.port for identity in discover()}
INTAKE = f"http://127.0.0.1:{SERVICES['intake']}"
ROUTING = f"http://127.0.0.1:{SERVICES['routing']}"


AUTH_KEY = Path(__file__).resolve().parent.parent / "deploy" / "local" / ".state" / "auth" / "private.pem"
REPAIR = {
    "service_code": "ABSENSI-FINGER",
    "title": "Mesin absensi lobi tidak membaca sidik jari",
    "terminal": "Solution X100C, lobi utama",
    "problem": "Sensor sidik jari tidak merespons sejak Senin pagi",
    "contact": "Budi (Subbag Umum), 0812-3456-7890",
}


def token(unit: str) -> str:
    """A unit signs in: a token from the local issuer the services trust (`make up` made its keys)."""
    return issue_token(
        AUTH_KEY.read_bytes(),
        subject=f"operator-{unit.lower()}",
        name=f"Operator {unit}",
        roles=[Role.PERANGKAT_DAERAH],
        unit=unit,
        ttl=timedelta(minutes=15),
    )


def official_token(**claims: Any) -> str:
    """Any official or unit signs in through the local issuer (claims as `issue_token` takes them)."""
    return issue_token(AUTH_KEY.read_bytes(), ttl=timedelta(minutes=30), **claims)


def main() -> int:
    with httpx.Client(timeout=10) as http:
        print("\n== Layanan (services) ==")
        for name, port in SERVICES.items():
            ready = http.get(f"http://127.0.0.1:{port}/health/ready").json()
            checks = ", ".join(f"{k}={'ok' if v else 'GAGAL'}" for k, v in ready["checks"].items())
            lag = sum(sum(parts.values()) for parts in ready.get("consumer_lag", {}).values())
            print(f"  {name:<20} {ready['status']:<12} {checks}, lag={lag}   http://127.0.0.1:{port}")

        correlation_id = f"demo-{uuid.uuid4().hex[:8]}"
        disdik = {"Authorization": f"Bearer {token('DISDIK')}"}
        print(f"\n== Pengajuan (submission), correlation id {correlation_id} ==")
        print("  Perangkat Daerah DISDIK masuk (token JWT dari penerbit lokal)")
        response = http.post(
            f"{INTAKE}/api/v1/submissions",
            files=[(k, (None, v.encode())) for k, v in REPAIR.items()],
            headers={**disdik, "X-Correlation-ID": correlation_id},
        )
        if response.status_code != 201:
            print(f"  intake refused it: {response.status_code} {response.text}")
            return 1
        receipt = response.json()
        submission_id = receipt["submission_id"]
        print(
            f"  permohonan perbaikan mesin absensi: {receipt['receipt_number']} status={receipt['status']}"
            f" batas waktu {receipt['due_at']}"
        )

        started = time.monotonic()
        status = receipt
        while status["status"] != "TERCATAT" and time.monotonic() - started < 30:
            time.sleep(0.02)
            status = http.get(f"{INTAKE}/api/v1/submissions/{submission_id}", headers=disdik).json()
        elapsed_ms = (time.monotonic() - started) * 1000
        if status["status"] != "TERCATAT":
            print("  routing did not acknowledge it within 30 s: see deploy/local/.state/services/*.log")
            return 1
        case = http.get(f"{ROUTING}/api/v1/cases/by-submission/{submission_id}", headers=disdik).json()
        print(f"  dicatat routing:   case {case['case_id']} (workflow {case['workflow_version']})")
        round_trip = datetime.fromisoformat(status["acknowledged_at"]) - datetime.fromisoformat(
            status["received_at"]
        )
        print(
            f"  status di intake:  {status['status']} (seen after {elapsed_ms:.0f} ms; "
            f"received -> acknowledged {round_trip.total_seconds() * 1000:.0f} ms through Kafka and both outboxes)"
        )
        print("  riwayat:", " -> ".join(e["step"] for e in status["timeline"]))

        period = datetime.now().strftime("%Y-%m")
        reports = {
            "E-LAPKIN": (
                {
                    "service_code": "E-LAPKIN",
                    "title": f"Rekap Nilai Laporan Kinerja {period}",
                    "period": period,
                },
                {
                    "surat-pengantar": ("surat-pengantar.pdf", samples.PDF, "application/pdf"),
                    "skp": ("skp.pdf", samples.PDF, "application/pdf"),
                    "rekap-nilai-laporan-kinerja": (
                        "rekap.xlsx",
                        samples.recap_xlsx(
                            samples.ELAPKIN_HEADER, [samples.elapkin_row(i, period) for i in range(50)]
                        ),
                        "application/octet-stream",
                    ),
                },
            ),
            "IP-ASN": (
                {"service_code": "IP-ASN", "title": f"Data IP-ASN {period[:4]}", "period": period[:4]},
                {
                    "surat-pengantar": ("surat-pengantar.pdf", samples.PDF, "application/pdf"),
                    "rekap-data-asn": ("rekap.csv", samples.ipasn_recap(30, period[:4]), "text/csv"),
                },
            ),
        }
        unit = f"DEMO-{uuid.uuid4().hex[:4].upper()}"  # a fresh unit: its recaps are not duplicates
        signed_in = {"Authorization": f"Bearer {token(unit)}"}
        print(f"\n== Laporan (reports) dari Perangkat Daerah {unit} ==")
        for kind, (data, files) in reports.items():
            answer = http.post(f"{INTAKE}/api/v1/submissions", data=data, files=files, headers=signed_in)
            body = answer.json()
            if answer.status_code == 201:
                print(
                    f"  {kind:<9} diterima: {body['receipt_number']}, rekap {body['recap']['rows']} baris,"
                    f" sha256 {body['recap']['sha256'][:12]}..., batas waktu {body['due_at']}"
                )
            else:
                print(f"  {kind:<9} ditolak: {answer.status_code} {body}")

        rows = [samples.elapkin_row(i, period) for i in range(100, 104)]
        rows[1]["NIP"] = "19860926201505100"
        rows[2]["Hasil Kerja"] = "5"
        rows[3]["NIP"] = rows[0]["NIP"]
        data, files = reports["E-LAPKIN"]
        files = {
            **files,
            "rekap-nilai-laporan-kinerja": (
                "rekap-salah.csv",
                samples.recap_csv(samples.ELAPKIN_HEADER, rows),
                "text/csv",
            ),
        }
        answer = http.post(f"{INTAKE}/api/v1/submissions", data=data, files=files, headers=signed_in)
        body = answer.json()
        print(f"\n== Rekap dengan kesalahan (recap with row errors): {answer.status_code} {body['code']} ==")
        print(f"  {body['message']}")
        for d in body.get("details") or []:
            print(f"  baris {d['row']}, kolom {d['column']}: {d['code']} - {d['message']}")

        bad = http.post(
            f"{INTAKE}/api/v1/submissions",
            content=b"{bukan json",
            headers={**disdik, "content-type": "application/json"},
        )
        print(f"\n== Masukan salah (bad input) ==\n  {bad.status_code} {bad.json()}")

    ok = run_sections()
    print(
        "\nEverything keeps running. Logs: deploy/local/.state/services/*.log "
        f"(grep {correlation_id}). Stop with: make down\n"
    )
    return 0 if ok else 1


def run_sections() -> bool:
    """Each service's part of the demo, in the order a case travels; a failed part is reported
    and the others still run."""
    # Imported here: each part is its own script beside this one (scripts/demo_<part>.py).
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import demo_attendance
    import demo_complaints
    import demo_console
    import demo_routing
    import demo_uploads

    parts: list[tuple[str, Callable[[], bool]]] = []
    with httpx.Client(timeout=30) as http:
        parts += [
            ("routing", lambda: demo_routing.run(http, intake=INTAKE, routing=ROUTING, token=official_token)),
            ("uploads", lambda: demo_uploads.run(http)),
            ("attendance", lambda: demo_attendance.run(http)),
            ("complaints", lambda: demo_complaints.run(http)),
            ("console", demo_console.run),
        ]
        failed = []
        # BKN misbehaves from routing's acceptance (the upload requests) until the uploads are shown;
        # `make up` leaves the simulator well-behaved otherwise.
        with ExitStack() as faults:
            for name, part in parts:
                if name == "routing":
                    try:
                        faults.enter_context(demo_uploads.faults_injected(http))
                    except httpx.HTTPError as error:
                        print(f"\n  the BKN simulator's faults could not be switched on: {error!r}")
                try:
                    if not part():
                        failed.append(name)
                except Exception as error:  # one broken part must not hide the others
                    print(f"\n  demo part {name} failed: {error!r}")
                    failed.append(name)
                if name == "uploads":
                    faults.close()
    if failed:
        print(f"\nDemo parts that failed: {', '.join(failed)}")
    return not failed


if __name__ == "__main__":
    sys.exit(main())
