"""Routing's part of `make demo`: scripted officials move fresh submissions through every step
of their workflows over routing's HTTP API, as the officials would.

- an E-LAPKIN report: registered (agenda number), sorted, paraf, disposisi, processed, uploaded
  by the lapkin-uploader, reported to the Kepala Badan, with the Sekretaris away (a Plh paraf);
- an IP-ASN report: returned to its unit with reasons, resubmitted through intake, and late at
  the Kepala Bidang: the Kepala Badan's disposisi sets a deadline a few seconds ahead, so the
  demo sees routing warn, breach and escalate on the real clock (no demo-only setting);
- a terminal repair request: the attendance gateway's diagnosis, the technician, the unit's
  confirmation;
- the portal informasi cycle, started inside the agency, with one loop back.

`token` issues a signed token: it is `bkpsdm.common.auth.issue_token` with the local private
key bound, called as `token(subject=..., name=..., roles=[...], unit=...)`.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bkpsdm.common.auth import Role, issue_token
from bkpsdm.intake import samples

WIB = ZoneInfo("Asia/Jakarta")
PKA = "BIDANG-PKA-PKK"
INFO = "BIDANG-INFORMASI"
# who: (role, unit, name as the history shows it)
OFFICIALS: dict[str, tuple[Role, str | None, str]] = {
    "admin": (Role.PETUGAS_ADMINISTRASI, None, "Rina (Petugas Administrasi)"),
    "kasubbag": (Role.KASUBBAG_UMUM, None, "Agus (Kasubbag Umum, Kepegawaian dan Aset)"),
    "sekretaris": (Role.SEKRETARIS, None, "Sri (Sekretaris)"),
    "kaban": (Role.KEPALA_BADAN, None, "Hendra (Kepala Badan)"),
    "kabid": (Role.KEPALA_BIDANG, PKA, "Yuliana (Kabid PKA-PKK)"),
    "pengolah": (Role.UNIT_PENGOLAH, PKA, "Dedi (Analis Kepegawaian)"),
    "teknis": (Role.PETUGAS_TEKNIS, None, "Fajar (Petugas Teknis)"),
    "data": (Role.PENGOLAH_DATA, None, "Lina (Pengolah Data)"),
    "kabid-info": (Role.KEPALA_BIDANG, INFO, "Bambang (Kabid Informasi)"),
    "plh": (Role.KEPALA_BIDANG, INFO, "Budi (Plh. Sekretaris)"),
}
DISPOSISI = {
    "instructions": ["PROSES-LANJUT", "KOORDINASIKAN"],
    "note": "Mohon segera diproses sesuai standar pelayanan",
    "recipients": [{"role": "kepala-bidang", "unit": PKA}],
    "tembusan": [{"role": "sekretaris"}],
}


class DemoFailed(Exception):
    pass


class Demo:
    def __init__(self, http: httpx.Client, intake: str, routing: str, token: Callable[..., str]) -> None:
        self.http, self.intake, self.routing, self.token = (
            http,
            intake.rstrip("/"),
            routing.rstrip("/"),
            token,
        )
        self.tokens: dict[str, str] = {}
        self.unit = f"DEMO-{uuid.uuid4().hex[:4].upper()}"  # a fresh unit: its recaps are not duplicates

    def headers(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            role, unit, name = OFFICIALS.get(who, (Role.PERANGKAT_DAERAH, self.unit, f"Operator {self.unit}"))
            self.tokens[who] = self.token(subject=f"demo-{who}", name=name, roles=[role], unit=unit)
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def act(self, who: str, case_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        key = f"demo-{uuid.uuid4().hex}"  # a client key: a retried click would be one action
        response = self.http.post(
            f"{self.routing}/api/v1/cases/{case_id}/{action}",
            json=body,
            headers={**self.headers(who), "Idempotency-Key": key},
        )
        if response.status_code != 200:
            raise DemoFailed(f"{who} {action}: {response.status_code} {response.text[:300]}")
        result: dict[str, Any] = response.json()
        extra = f", agenda {result['agenda_number']}" if action == "register" else ""
        name = OFFICIALS[who][2] if who in OFFICIALS else f"Operator {self.unit}"
        print(f"  {name:<45} {action:<13} -> {result['step_label']}{extra}")
        return result

    def case(self, case_id: str, who: str = "admin") -> dict[str, Any]:
        response = self.http.get(f"{self.routing}/api/v1/cases/{case_id}", headers=self.headers(who))
        if response.status_code != 200:
            raise DemoFailed(f"case {case_id}: {response.status_code} {response.text[:300]}")
        found: dict[str, Any] = response.json()
        return found

    def wait(self, what: str, check: Callable[[], Any], within: float) -> Any:
        started = time.monotonic()
        while time.monotonic() - started < within:
            found = check()
            if found:
                return found
            time.sleep(0.2)
        raise DemoFailed(f"timed out after {within:.0f} s waiting for {what}")

    def case_of(self, submission_id: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            response = self.http.get(
                f"{self.routing}/api/v1/cases/by-submission/{submission_id}", headers=self.headers("admin")
            )
            return response.json() if response.status_code == 200 else None

        case: dict[str, Any] = self.wait(
            "routing to open the case (is its consumer lag high? see /health/ready)", found, 120
        )
        return case

    def at_step(self, case_id: str, steps: set[str], within: float) -> dict[str, Any]:
        def there() -> dict[str, Any] | None:
            case = self.case(case_id)
            return case if case["step"] in steps else None

        case: dict[str, Any] = self.wait(f"the case to reach {', '.join(sorted(steps))}", there, within)
        return case

    def submit(self, data: dict[str, str], files: dict[str, Any] | None = None) -> dict[str, Any]:
        # Always multipart/form-data, as a browser's form with file inputs sends it.
        parts = [(k, (None, v.encode())) for k, v in data.items()] + list((files or {}).items())
        response = self.http.post(
            f"{self.intake}/api/v1/submissions", files=parts, headers=self.headers("unit")
        )
        if response.status_code != 201:
            raise DemoFailed(
                f"intake refused {data.get('service_code')}: {response.status_code} {response.text[:300]}"
            )
        receipt: dict[str, Any] = response.json()
        return receipt

    def intake_status(self, submission_id: str) -> dict[str, Any]:
        status: dict[str, Any] = self.http.get(
            f"{self.intake}/api/v1/submissions/{submission_id}", headers=self.headers("unit")
        ).json()
        return status

    def to_processing_unit(
        self, case_id: str, *, disposisi: dict[str, Any], paraf_by: str = "sekretaris"
    ) -> None:
        self.act("admin", case_id, "register")
        self.act("admin", case_id, "forward")
        self.act("kasubbag", case_id, "forward")
        self.act(paraf_by, case_id, "paraf", {"note": "Paraf"})
        self.act("kaban", case_id, "disposisi", disposisi)

    def upload_and_report(self, case_id: str, what: str) -> None:
        self.act("pengolah", case_id, "accept")
        for attempt in range(1, 4):
            case = self.at_step(case_id, {"LAPORAN", "UNGGAH-GAGAL"}, 90)
            last = case["history"][-1]
            print(f"  {what}-uploader (attempt {attempt}): {last['action']} - {last['note']}")
            if case["step"] == "LAPORAN":
                break
            self.act("pengolah", case_id, "retry-upload", {"note": "Ulangi unggahan"})
        else:
            raise DemoFailed(f"the {what} upload failed three times")
        details = last["details"]
        summary = (
            f"{details.get('rows_stored', 0)} dari {details.get('rows_total', 0)} baris tersimpan di BKN"
        )
        self.act("pengolah", case_id, "report", {"summary": summary})
        self.act("kabid", case_id, "forward")
        self.act("kaban", case_id, "complete")


def _history(case: dict[str, Any], last: int = 0) -> None:
    for h in case["history"][-last:]:
        who = h["actor_name"] or "routing"
        acting = (
            f" ({h['acting_for']['title']} untuk {h['acting_for']['for_name']})" if h["acting_for"] else ""
        )
        details = h["details"]
        if h["action"] == "escalated":
            what = f"ke {details['to_role']} (tingkat {details['level']})"
        elif h["action"].startswith("sla-"):
            what = f"{details['scope']}, batas waktu {details['due_at'][11:19]}"
        else:
            what = h["note"] or ""
        print(f"    #{h['seq']:<3} {h['at'][11:19]} {h['action']:<20} {who}{acting} {what}".rstrip())


def e_lapkin(demo: Demo, period: str) -> None:
    print(f"\n== Routing: E-LAPKIN dari {demo.unit}, Sekretaris cuti (Plh) ==")
    receipt = demo.submit(
        {"service_code": "E-LAPKIN", "title": f"Rekap Nilai Laporan Kinerja {period}", "period": period},
        {
            "surat-pengantar": ("surat-pengantar.pdf", samples.PDF, "application/pdf"),
            "skp": ("skp.pdf", samples.PDF, "application/pdf"),
            "rekap-nilai-laporan-kinerja": ("rekap.csv", samples.elapkin_recap(20, period), "text/csv"),
        },
    )
    case = demo.case_of(receipt["submission_id"])
    print(
        f"  intake {receipt['receipt_number']} -> case {case['case_id']} ({case['workflow_version']}), due {case['due_at']}"
    )
    now = datetime.now(UTC)
    grant = demo.http.post(
        f"{demo.routing}/api/v1/delegations",
        json={
            "role": "sekretaris",
            "delegate_subject": "demo-plh",
            "delegate_name": OFFICIALS["plh"][2],
            "kind": "PLH",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=8)).isoformat(),
            "for_name": "Sri (Sekretaris, cuti)",
        },
        headers=demo.headers("kaban"),
    )
    if grant.status_code != 201:
        raise DemoFailed(f"delegation: {grant.status_code} {grant.text[:300]}")
    print(
        f"  Kepala Badan menunjuk {grant.json()['title']}: {OFFICIALS['plh'][2]} sampai {grant.json()['ends_at'][:16]}"
    )
    demo.to_processing_unit(case["case_id"], disposisi=DISPOSISI, paraf_by="plh")
    demo.act("kabid", case["case_id"], "forward")
    demo.upload_and_report(case["case_id"], "lapkin")
    done = demo.case(case["case_id"])
    print(f"  selesai: {done['status']}; riwayat ({len(done['history'])} entri, append-only):")
    _history(done)
    demo.http.post(
        f"{demo.routing}/api/v1/delegations/{grant.json()['delegation_id']}/revoke",
        headers=demo.headers("kaban"),
    )
    timeline = demo.intake_status(receipt["submission_id"])
    print(
        f"  di intake: {timeline['status']}; linimasa: "
        + " -> ".join(e["step"] for e in timeline["timeline"])
    )


def ip_asn(demo: Demo, period: str) -> None:
    year = period[:4]
    print(f"\n== Routing: IP-ASN dari {demo.unit}: terlambat di Kabid, dikembalikan, diperbaiki ==")
    files = {
        "surat-pengantar": ("surat-pengantar.pdf", samples.PDF, "application/pdf"),
        "rekap-data-asn": ("rekap.csv", samples.ipasn_recap(15, year), "text/csv"),
    }
    receipt = demo.submit({"service_code": "IP-ASN", "title": f"Data IP-ASN {year}", "period": year}, files)
    case_id = demo.case_of(receipt["submission_id"])["case_id"]
    # The Kepala Badan's disposisi sets its own deadline, a few seconds ahead: the Kepala
    # Bidang sits on it, and routing warns, breaches and escalates on the real clock.
    deadline = datetime.now(UTC) + timedelta(seconds=6)
    disposisi = {**DISPOSISI, "note": "Segera (demo: batas waktu 6 detik)", "due_at": deadline.isoformat()}
    demo.to_processing_unit(case_id, disposisi=disposisi)
    print(f"  batas waktu disposisi {deadline.astimezone(WIB):%H:%M:%S} WIB; Kabid belum bertindak ...")

    def escalated() -> dict[str, Any] | None:
        case = demo.case(case_id)
        return case if any(h["action"] == "escalated" for h in case["history"]) else None

    late: dict[str, Any] = demo.wait("routing to breach and escalate the late step", escalated, 30)
    _history(late, 3)
    demo.act("kabid", case_id, "forward")
    reasons = ["Surat pengantar belum ditandatangani Kepala Perangkat Daerah"]
    demo.act("pengolah", case_id, "return", {"reasons": reasons})

    def returned() -> dict[str, Any] | None:
        status = demo.intake_status(receipt["submission_id"])
        return status if status["status"] == "DIKEMBALIKAN" else None

    status = demo.wait("intake to show the return", returned, 30)
    print(f"  di intake: {status['status']}, alasan: {status['return_reasons']}")
    fixed = demo.submit(
        {
            "service_code": "IP-ASN",
            "title": f"Data IP-ASN {year} (perbaikan)",
            "period": year,
            "replaces": receipt["submission_id"],
        },
        files,
    )
    print(
        f"  {demo.unit} mengirim perbaikan {fixed['receipt_number']} (menggantikan {receipt['receipt_number']})"
    )
    resumed = demo.at_step(case_id, {"PEMERIKSAAN"}, 30)
    print(f"  routing melanjutkan berkas yang sama: {resumed['step_label']}")
    demo.upload_and_report(case_id, "ipasn")


def repair(demo: Demo) -> None:
    print("\n== Routing: perbaikan mesin absensi, diagnosis otomatis ==")
    terminal = f"TRM-{uuid.uuid4().hex[:6].upper()}"
    receipt = demo.submit(
        {
            "service_code": "ABSENSI-FINGER",
            "title": "Mesin absensi ruang guru tidak membaca sidik jari",
            "terminal": terminal,
            "problem": "Sensor tidak merespons sejak pagi",
            "contact": "Budi, 0812-3456-7890",
        }
    )
    case_id = demo.case_of(receipt["submission_id"])["case_id"]
    print(f"  case {case_id}: routing meminta diagnosis mesin {terminal} dari gateway absensi")
    case = demo.at_step(case_id, {"PEMERIKSAAN-TEKNIS"}, 60)
    diagnosis = case["diagnosis"] or {}
    print(
        f"  diagnosis: terjangkau={diagnosis.get('reachable')} alasan={diagnosis.get('reason')}"
        f" firmware={diagnosis.get('firmware')} ({case['history'][-1]['action']})"
    )
    demo.act("teknis", case_id, "forward", {"note": "Aplikasi attendance di laptop operator bermasalah"})
    demo.act("teknis", case_id, "forward", {"note": "Dipasang ulang dan diatur sesuai Perwako 62/2019"})
    demo.act("unit", case_id, "complete", {"note": "Mesin sudah dapat dipakai"})


def portal(demo: Demo) -> None:
    print("\n== Routing: siklus portal informasi (dimulai Pengolah Data), satu putaran balik ==")
    started = demo.http.post(
        f"{demo.routing}/api/v1/cases",
        json={"service_code": "PORTAL-INFO", "title": "Portal Informasi Kepegawaian Triwulan IV"},
        headers=demo.headers("data"),
    )
    if started.status_code != 201:
        raise DemoFailed(f"portal: {started.status_code} {started.text[:300]}")
    case_id = started.json()["case_id"]
    disposisi: dict[str, Any] = {"instructions": ["PROSES-LANJUT"], "recipients": [{"role": "pengolah-data"}]}
    first: list[tuple[str, str, dict[str, Any] | None]] = [
        ("data", "forward", None),
        ("kabid-info", "forward", None),
        ("kabid-info", "forward", None),
        ("data", "forward", None),
        ("kabid-info", "disposisi", disposisi),
        ("data", "forward", None),
    ]
    for who, action, body in first:
        demo.act(who, case_id, action, body)
    demo.act("data", case_id, "forward", {"to": "P08-KEKURANGAN-DATA"})
    demo.act(
        "data", case_id, "send-back", {"to": "P01-DRAFT-NOTA-DINAS", "note": "Data Bidang Mutasi belum masuk"}
    )
    for who, action, body in first:
        demo.act(who, case_id, action, body)
    rest: list[tuple[str, str, dict[str, Any] | None]] = [
        ("data", "forward", {"to": "P09-DESAIN-PORTAL"}),
        ("data", "forward", None),
        ("data", "forward", None),
        ("kabid-info", "forward", None),
        ("data", "forward", {"to": "P14-DRAFT-LAPORAN"}),
        ("data", "forward", None),
        ("kabid-info", "forward", None),
        ("kabid-info", "report", {"summary": "Portal terbit; laporan perkembangan disampaikan"}),
    ]
    for who, action, body in rest:
        demo.act(who, case_id, action, body)


def run(http: httpx.Client, *, intake: str, routing: str, token: Callable[..., str]) -> bool:
    demo = Demo(http, intake, routing, token)
    period = datetime.now().strftime("%Y-%m")
    try:
        e_lapkin(demo, period)
        ip_asn(demo, period)
        repair(demo)
        portal(demo)
        inbox = http.get(
            f"{demo.routing}/api/v1/inbox", params={"limit": 3}, headers=demo.headers("admin")
        ).json()
        print("\n== Kotak masuk Petugas Administrasi (batas waktu terdekat dulu) ==")
        if not inbox:
            print("  (kosong: semua berkas demo sudah diteruskan)")
        for item in inbox:
            late = " TERLAMBAT" if item["overdue"] else ""
            print(f"  {item['due_at'] or '-':<27} {item['title'][:45]:<45} {item['step']}{late}")
    except (DemoFailed, httpx.HTTPError) as exc:
        print(f"  routing demo GAGAL: {exc}")
        return False
    return True


def main() -> int:
    from bkpsdm.common.identity import discover

    ports = {identity.name: identity.port for identity in discover()}
    key = (
        Path(__file__).resolve().parent.parent / "deploy" / "local" / ".state" / "auth" / "private.pem"
    ).read_bytes()
    with httpx.Client(timeout=15) as http:
        ok = run(
            http,
            intake=f"http://127.0.0.1:{ports['intake']}",
            routing=f"http://127.0.0.1:{ports['routing']}",
            token=partial(issue_token, key, ttl=timedelta(minutes=30)),
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
