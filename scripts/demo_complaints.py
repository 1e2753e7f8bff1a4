"""The complaints part of `make demo`: complaints arrive by the web form, e-mail (SMTP), SMS (the
gateway's signed webhook) and SP4N-LAPOR! (the simulator); officials move them along; one
breaches its SLA; survey answers give an IKM.

Needs, besides the running complaints service:
- the SP4N-LAPOR! simulator: `python -m bkpsdm.simulators.span_lapor --port 8091`, with the
  service's `BKPSDM_COMPLAINTS_LAPOR_BASE_URL=http://127.0.0.1:8091`;
- `BKPSDM_COMPLAINTS_CLOCK_CONTROL_ENABLED=true` on the service (demo only): the demo moves the
  service's clock three working days forward so that an unverified complaint breaches its SLA.
Talks to the service over its documented HTTP API, SMTP and the SMS webhook only.

    python scripts/demo_complaints.py     (or `run(http)` from scripts/demo.py)
"""

from __future__ import annotations

import smtplib
import sys
import uuid
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from bkpsdm.common.auth import Role, issue_token
from bkpsdm.common.settings import load_settings
from bkpsdm.complaints.entrypoints.public import signed_sms_request
from bkpsdm.complaints.settings import IDENTITY, ComplaintsSettings

SETTINGS = load_settings(ComplaintsSettings)  # the same environment as the service: SMS secret, SMTP port
COMPLAINTS = f"http://127.0.0.1:{IDENTITY.port}"
LAPOR = SETTINGS.lapor_base_url or "http://127.0.0.1:8091"
AUTH_KEY = Path(__file__).resolve().parent.parent / "deploy" / "local" / ".state" / "auth" / "private.pem"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELEMENTS = (
    "persyaratan",
    "prosedur",
    "waktu_penyelesaian",
    "biaya_tarif",
    "produk",
    "kompetensi_pelaksana",
    "perilaku_pelaksana",
    "penanganan_pengaduan",
    "sarana_prasarana",
)
# Nine answers (1-4) of four applicants: IKM 81.94, grade B (the hand-computed example of the tests).
ANSWERS = [
    (4, 4, 3, 4, 3, 4, 4, 3, 3),
    (3, 4, 3, 4, 3, 3, 4, 2, 3),
    (4, 3, 2, 4, 3, 4, 4, 3, 3),
    (3, 3, 1, 4, 4, 3, 4, 2, 3),
]


def signed_in(role: Role, unit: str | None = None) -> dict[str, str]:
    token = issue_token(
        AUTH_KEY.read_bytes(),
        subject=f"demo-{role.value}",
        name=role.label,
        roles=[role],
        unit=unit,
        ttl=timedelta(minutes=15),
    )
    return {"Authorization": f"Bearer {token}"}


OFFICER = signed_in(Role.PENGELOLA_PENGADUAN)
SEKRETARIS = signed_in(Role.SEKRETARIS)
BIDANG = signed_in(Role.KEPALA_BIDANG, unit="BIDANG-PKA")


class DemoFailed(Exception):
    pass


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise DemoFailed(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json()


def act(http: httpx.Client, complaint_id: str, headers: dict[str, str], **body: str) -> dict[str, Any]:
    answer = http.post(f"{COMPLAINTS}/api/v1/complaints/{complaint_id}/actions", json=body, headers=headers)
    result: dict[str, Any] = expect(answer, 200, f"{body['action']}")
    print(f"    {body['action']:<10} -> {result['status']:<16} {result['status_label']}")
    return result


def newest(http: httpx.Client, channel: str) -> dict[str, Any]:
    listed = expect(
        http.get(f"{COMPLAINTS}/api/v1/complaints?channel={channel}&limit=1", headers=OFFICER), 200, "list"
    )
    if not listed:
        raise DemoFailed(f"no {channel} complaint arrived")
    found: dict[str, Any] = expect(
        http.get(f"{COMPLAINTS}/api/v1/complaints/{listed[0]['complaint_id']}", headers=OFFICER), 200, "read"
    )
    return found


def run(http: httpx.Client) -> bool:
    try:
        _run(http)
    except (DemoFailed, httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
        print(f"  complaints demo stopped: {exc}")
        return False
    return True


def _run(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:4].upper()
    print("\n== Pengaduan (complaints): empat saluran ==")

    token = expect(http.get(f"{COMPLAINTS}/api/v1/public/form-token"), 200, "form token")["form_token"]
    fields = {
        "form_token": token,
        "title": f"Nilai SKP belum tampil ({tag})",
        "content": "Nilai SKP saya untuk bulan Oktober belum tampil di E-LAPKIN. <b>Mohon dicek</b>.",
        "reporter_name": "Budi Santoso",
        "reporter_email": "budi.santoso@contoh.id",
    }
    posted = http.post(
        f"{COMPLAINTS}/api/v1/public/complaints",
        files=[
            *((k, (None, v.encode())) for k, v in fields.items()),
            ("attachments", ("bukti.pdf", PDF, "application/pdf")),
        ],
    )
    web = expect(posted, 201, "web form")
    print(f"  website : tiket {web['ticket_code']}, batas verifikasi {web['verify_due_at']}")
    replayed = http.post(
        f"{COMPLAINTS}/api/v1/public/complaints", files=[(k, (None, v.encode())) for k, v in fields.items()]
    )
    print(f"            formulir yang sama dikirim ulang: {replayed.status_code} {replayed.json()['code']}")

    mail = EmailMessage()
    mail["From"] = "Rina Wulandari <rina.w@contoh.id>"
    mail["To"] = SETTINGS.mail_addresses[0]
    mail["Subject"] = f"Tunjangan kinerja belum cair ({tag})"
    mail["Message-ID"] = f"<demo-{uuid.uuid4().hex}@contoh.id>"
    mail.set_content("Tunjangan kinerja bulan Oktober belum cair. Terlampir slip gaji.")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="slip.pdf")
    with smtplib.SMTP("127.0.0.1", SETTINGS.smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)
    emailed = newest(http, "EMAIL")
    print(
        f"  e-mail  : via SMTP port {SETTINGS.smtp_port}, {len(emailed['attachments'])} lampiran, status {emailed['status']}"
    )
    broken = (
        b'From: x@contoh.id\r\nContent-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\n\r\nterpotong\r\n'
    )
    with smtplib.SMTP("127.0.0.1", SETTINGS.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("x@contoh.id")
        smtp.rcpt(SETTINGS.mail_addresses[0])
        code, reply = smtp.data(broken)
    print(f"            surat dengan MIME rusak ditolak: {code} {reply.decode()}")

    reference = uuid.uuid4().hex[:6]
    parts = ["Mesin absensi sidik jari di kantor kecamatan ", "mati sejak Senin pagi, mohon diperbaiki."]
    sms_reply: dict[str, Any] = {}
    for number in (2, 1):  # parts arrive out of order
        body, headers = signed_sms_request(
            SETTINGS.sms_webhook_secret.get_secret_value(),
            {
                "message_id": f"demo-{reference}-{number}",
                "sender": "+62 813-4716-4830",
                "text": parts[number - 1],
                "reference": reference,
                "part": number,
                "total": 2,
            },
        )
        sms_reply = expect(
            http.post(f"{COMPLAINTS}/api/v1/channels/sms", content=body, headers=headers), 200, "SMS"
        )
    print(f"  SMS     : 2 bagian -> {sms_reply['state']}; balasan: {sms_reply['reply']}")
    body, headers = signed_sms_request(
        "bukan-rahasia", {"message_id": "palsu", "sender": "0812", "text": "x"}
    )
    forged = http.post(f"{COMPLAINTS}/api/v1/channels/sms", content=body, headers=headers)
    print(f"            webhook palsu: {forged.status_code} {forged.json()['code']}")

    filed = http.post(
        f"{LAPOR}/api/v1/public/reports",
        json={
            "agency": SETTINGS.lapor_agency,
            "title": f"Kenaikan pangkat tertunda ({tag})",
            "content": "Usulan kenaikan pangkat April belum diproses.",
            "category": "PENGADUAN",
            "reporter": {"name": "Warga Singkawang", "email": "warga@contoh.id", "phone": None},
        },
    )
    lapor_id = expect(filed, 201, "SP4N-LAPOR! report")["report_id"]
    synced = expect(http.post(f"{COMPLAINTS}/api/v1/lapor/sync", headers=OFFICER), 200, "LAPOR sync")
    if not synced["enabled"]:
        raise DemoFailed("SP4N-LAPOR! sync is off: set BKPSDM_COMPLAINTS_LAPOR_BASE_URL")
    print(f"  SP4N-LAPOR!: laporan {lapor_id} ditarik (pulled {synced['pulled']}, pushed {synced['pushed']})")

    print("\n== Alur (lifecycle) dan kerahasiaan ==")
    complaint_id = expect(
        http.get(f"{COMPLAINTS}/api/v1/public/complaints/{web['ticket_code']}"), 200, "track"
    )["complaint_id"]
    print(f"  website {web['ticket_code']}:")
    act(http, complaint_id, OFFICER, action="VERIFY", classification="PENGADUAN")
    act(http, complaint_id, SEKRETARIS, action="ASSIGN", unit="BIDANG-PKA")
    act(http, complaint_id, BIDANG, action="FOLLOW_UP", note="Data SKP diperiksa bersama operator E-LAPKIN.")
    act(
        http,
        complaint_id,
        OFFICER,
        action="ANSWER",
        note="Nilai SKP Anda sudah tampil; silakan dicek kembali.",
    )
    seen_by_officer = expect(
        http.get(f"{COMPLAINTS}/api/v1/complaints/{complaint_id}", headers=OFFICER), 200, "read"
    )
    seen_by_secretary = expect(
        http.get(f"{COMPLAINTS}/api/v1/complaints/{complaint_id}", headers=SEKRETARIS), 200, "read"
    )
    print(f"  pelapor terlihat oleh pengelola pengaduan: {seen_by_officer['reporter']}")
    print(
        f"  pelapor terlihat oleh sekretaris: {seen_by_secretary['reporter']}, tiket: {seen_by_secretary['ticket_code']}"
    )
    tracked = expect(http.get(f"{COMPLAINTS}/api/v1/public/complaints/{web['ticket_code']}"), 200, "track")
    print(
        f"  lacak tiket (publik): {tracked['status_label']}; isi dikembalikan sebagai data: {tracked['content']!r}"
    )
    print(
        "  riwayat:",
        " -> ".join(h["action"] for h in tracked["history"]),
        f"(tutup otomatis {tracked['auto_close_at']})",
    )

    lapor = newest(http, "SP4N_LAPOR")
    sms = newest(http, "SMS")
    print(f"  SP4N-LAPOR! {lapor['lapor_id']} dan SMS diverifikasi dan didisposisikan:")
    for other in (lapor, sms):
        act(http, other["complaint_id"], OFFICER, action="VERIFY")
        act(http, other["complaint_id"], SEKRETARIS, action="ASSIGN", unit="BIDANG-PKA")
    pushed = expect(http.post(f"{COMPLAINTS}/api/v1/lapor/sync", headers=OFFICER), 200, "LAPOR sync")
    report = expect(http.get(f"{LAPOR}/sim/reports/{lapor['lapor_id']}"), 200, "LAPOR report")
    print(
        f"  tindak lanjut dikirim ke SP4N-LAPOR!: {pushed['pushed']}; di sana: "
        + ", ".join(f["status"] for f in report["followups"])
    )

    print("\n== SLA: verifikasi paling lambat 3 hari kerja ==")
    advanced = http.post(f"{COMPLAINTS}/internal/v1/clock/advance", json={"working_days": 3}, headers=OFFICER)
    if advanced.status_code == 404:
        raise DemoFailed("clock control is off: set BKPSDM_COMPLAINTS_CLOCK_CONTROL_ENABLED=true (demo only)")
    clock = expect(advanced, 200, "clock")
    late = expect(
        http.get(f"{COMPLAINTS}/api/v1/complaints/{emailed['complaint_id']}", headers=OFFICER), 200, "read"
    )
    print(
        f"  jam layanan dimajukan 3 hari kerja (demo): sekarang {clock['now']}, {clock['fired']} tenggat diproses"
    )
    print(f"  e-mail yang belum diverifikasi: pelanggaran SLA {late['sla_breaches']}; riwayat internal:")
    for h in late["history"]:
        print(f"    {h['at']} {h['action']:<12} {h['note'] or ''}")
    if "VERIFIKASI" not in late["sla_breaches"]:
        raise DemoFailed("the unverified e-mail complaint did not breach its SLA")

    print("\n== Survei kepuasan (IKM) ==")
    period = ""
    for number, answers in enumerate(ANSWERS, start=1):
        receipt = f"IP-ASN/DEMO-{tag}/{number:03d}"
        expect(
            http.post(
                f"{COMPLAINTS}/api/v1/survey/deliveries",
                json={"receipt_number": receipt, "service_code": "IP-ASN", "perangkat_daerah": "DISDIK"},
                headers=OFFICER,
            ),
            200,
            "delivery",
        )
        answered = expect(
            http.post(
                f"{COMPLAINTS}/api/v1/survey/IP-ASN/responses",
                json={"receipt_number": receipt, "answers": dict(zip(ELEMENTS, answers, strict=True))},
            ),
            201,
            "survey answer",
        )
        period = answered["period"]
    again = http.post(
        f"{COMPLAINTS}/api/v1/survey/IP-ASN/responses",
        json={"receipt_number": f"IP-ASN/DEMO-{tag}/001", "answers": dict.fromkeys(ELEMENTS, 4)},
    )
    print(
        f"  4 produk IP-ASN dinilai; menilai produk yang sama lagi: {again.status_code} {again.json()['code']}"
    )
    (ikm,) = expect(
        http.get(f"{COMPLAINTS}/api/v1/ikm?period={period}&service_code=IP-ASN", headers=OFFICER), 200, "IKM"
    )
    print(
        f"  IKM IP-ASN {period}: {ikm['ikm']} mutu {ikm['grade']} ({ikm['grade_label']}), {ikm['respondents']} responden,"
        f" unsur terendah {', '.join(ikm['weakest'])}"
    )
    xlsx = http.get(f"{COMPLAINTS}/api/v1/ikm/report?period={period}", headers=OFFICER)
    print(
        f"  laporan XLSX: {len(xlsx.content):,} byte; QR survei: {COMPLAINTS}/api/v1/survey/IP-ASN/qr.svg"
        f" -> {SETTINGS.public_base_url}/survei/IP-ASN"
    )


def main() -> int:
    with httpx.Client(timeout=30) as http:
        return 0 if run(http) else 1


if __name__ == "__main__":
    sys.exit(main())
