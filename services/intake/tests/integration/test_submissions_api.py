"""Intake's HTTP API and its case-status handler against real PostgreSQL and Kafka: sign-in,
multipart submissions with documents and recaps, the event by reference, status from routing's
facts on the real topic."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import openpyxl  # type: ignore[import-untyped]  # no stubs
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bkpsdm.common.auth import Role, issue_token, write_key_pair
from bkpsdm.common.contracts import (
    CASES,
    SUBMISSIONS,
    CaseStepChanged,
    SubmissionAcknowledged,
    SubmissionReceived,
    SubmissionReturned,
)
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.intake import samples
from bkpsdm.intake.bootstrap import bootstrap
from bkpsdm.intake.settings import IDENTITY, IntakeSettings
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra, ensure_local_auth
from bkpsdm.testing.kafka import start_group_at_end
from bkpsdm.testing.services import running_service, settings_for_test
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

DISDIK = bearer(Role.PERANGKAT_DAERAH, unit="DISDIK")
DINKES = bearer(Role.PERANGKAT_DAERAH, unit="DINKES")
ADMIN = bearer(Role.PETUGAS_ADMINISTRASI)
INTERNAL = bearer(Role.INTERNAL_SERVICE)
Files = dict[str, tuple[str, bytes, str]]


@pytest.fixture
async def intake(infra: Infra, schema: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for_test(IntakeSettings, infra, schema, documents_dir=tmp_path / "documents")
    # Routing's topic on the shared broker holds every earlier run's cases: start after them.
    group = f"{IDENTITY.name}.case-status{settings.consumer_group_suffix}"
    await start_group_at_end(infra.kafka_bootstrap_servers, group, CASES.name)
    async with running_service(bootstrap, settings) as (_, client):
        yield client


def elapkin(
    recap: bytes | None = None, period: str = "2026-10", drop: Collection[str] = ()
) -> tuple[dict[str, str], Files]:
    data = {"service_code": "E-LAPKIN", "title": "Rekap SKP Oktober", "period": period}
    files: Files = {
        "surat-pengantar": ("surat.pdf", samples.PDF, "application/pdf"),
        "skp": ("skp.png", samples.PNG, "image/png"),
        "rekap-nilai-laporan-kinerja": ("rekap.csv", recap or samples.elapkin_recap(3, period), "text/csv"),
    }
    return {k: v for k, v in data.items() if k not in drop}, {k: v for k, v in files.items() if k not in drop}


REPAIR = {
    "service_code": "ABSENSI-FINGER",
    "title": "Mesin absensi lobi tidak membaca sidik jari",
    "terminal": "Solution X100C SN 3398-22, lobi utama",
    "problem": "Sensor tidak merespons sejak Senin",
    "contact": "Budi, 0812-3456-7890",
}


async def submit(
    client: httpx.AsyncClient,
    data: Mapping[str, str],
    files: Files | None = None,
    headers: Mapping[str, str] = DISDIK,
) -> httpx.Response:
    # httpx sends multipart only with files; a text-only form is forced into multipart too.
    parts: Any = files or {"_": (None, b"")}
    form = dict(data)
    if not files:
        parts = [(k, (None, v.encode())) for k, v in form.items()]
        return await client.post("/api/v1/submissions", files=parts, headers=dict(headers))
    return await client.post("/api/v1/submissions", data=form, files=parts, headers=dict(headers))


async def publish(infra: Infra, key: str, *events: Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        for event in events:
            meta = EventMetadata(type=event.event_type, source="/tests/routing", correlation_id="cid-route")
            await producer.send_and_wait(
                CASES.name,
                event.model_dump_json().encode(),
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
            )
    finally:
        await producer.stop()


async def test_a_complete_report_is_accepted_announced_once_and_its_recap_is_fetchable_by_reference(
    intake: httpx.AsyncClient, infra: Infra
) -> None:
    consumer = AIOKafkaConsumer(
        SUBMISSIONS.name,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        # Positions fixed at the topic's end before submitting: what follows is ours to count.
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        for tp in consumer.assignment():
            await consumer.position(tp)

        data, files = elapkin(samples.elapkin_recap(4, "2026-10"))
        response = await submit(intake, data, files, headers={**DISDIK, "X-Correlation-ID": "cid-lapkin-1"})
        assert response.status_code == 201, response.text
        receipt = response.json()
        year = datetime.now().year
        assert receipt["receipt_number"] == f"E-LAPKIN/{year}/00001"
        assert receipt["status"] == "DITERIMA"
        assert receipt["perangkat_daerah"] == "DISDIK"
        assert datetime.fromisoformat(receipt["due_at"]) > datetime.fromisoformat(receipt["received_at"])
        assert receipt["recap"]["rows"] == 4
        assert {d["requirement_id"] for d in receipt["documents"]} == {
            "surat-pengantar",
            "skp",
            "rekap-nilai-laporan-kinerja",
        }
        assert [e["step"] for e in receipt["timeline"]] == ["DITERIMA"]

        seen: list[SubmissionReceived] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.key == receipt["submission_id"].encode() and record.value is not None:
                        seen.append(SubmissionReceived.model_validate_json(record.value))
            if seen:  # keep reading a little: a second copy would show up now
                deadline = min(deadline, loop.time() + 2)
    finally:
        await consumer.stop()
    assert len(seen) == 1, "the event goes out exactly once"
    event = seen[0]
    assert event.receipt_number == receipt["receipt_number"]
    assert event.period == "2026-10"
    assert event.recap is not None
    assert event.recap.rows == 4
    assert event.documents is not None
    assert len(event.documents) == 3

    fetched = await intake.get(event.recap.url, headers=INTERNAL)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == event.recap.sha256
    assert fetched.content == files["rekap-nilai-laporan-kinerja"][1]
    # Only other services fetch it: an applicant or an official is refused.
    assert (await intake.get(event.recap.url, headers=DISDIK)).status_code == 403
    assert (await intake.get(event.recap.url)).status_code == 401


async def test_an_xlsx_recap_is_accepted_and_served_back_as_sent(intake: httpx.AsyncClient) -> None:
    workbook = samples.recap_xlsx(
        samples.ELAPKIN_HEADER, [samples.elapkin_row(i, "2026-10") for i in range(5)]
    )
    data, files = elapkin()
    files["rekap-nilai-laporan-kinerja"] = ("rekap.xlsx", workbook, "application/octet-stream")
    response = await submit(intake, data, files)
    assert response.status_code == 201, response.text
    recap = response.json()["recap"]
    assert (recap["format"], recap["rows"]) == ("xlsx", 5)
    served = await intake.get(
        f"/internal/v1/submissions/{response.json()['submission_id']}/recap", headers=INTERNAL
    )
    assert served.content == workbook
    assert served.headers["content-type"].startswith("application/vnd.openxmlformats")


async def test_files_sent_without_a_filename_are_kept_byte_for_byte(intake: httpx.AsyncClient) -> None:
    # RFC 7578 makes the filename optional; such a part arrives as text. A PDF with binary
    # bytes, a PNG, an XLSX recap and a UTF-8 CSV with accented names all keep their bytes.
    pdf = samples.PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 1)
    workbook = samples.recap_xlsx(
        samples.ELAPKIN_HEADER, [samples.elapkin_row(i, "2026-10") for i in range(3)]
    )
    boundary = "b0undary"

    def part(name: str, content: bytes) -> bytes:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        return head.encode() + content + b"\r\n"

    def body(recap: bytes, period: str) -> bytes:
        parts = [
            part("service_code", b"E-LAPKIN"),
            part("title", b"Rekap SKP Oktober"),
            part("period", period.encode()),
            part("surat-pengantar", pdf),
            part("skp", samples.PNG),
            part("rekap-nilai-laporan-kinerja", recap),
        ]
        return b"".join(parts) + f"--{boundary}--\r\n".encode()

    csv = samples.elapkin_recap(2, "2026-09").replace(b"Pegawai 1", "José Évora".encode())
    for recap, period in ((workbook, "2026-10"), (csv, "2026-09")):
        response = await intake.post(
            "/api/v1/submissions",
            content=body(recap, period),
            headers={**DISDIK, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        served = await intake.get(
            f"/internal/v1/submissions/{created['submission_id']}/recap", headers=INTERNAL
        )
        assert served.content == recap
        by_requirement = {d["requirement_id"]: d for d in created["documents"]}
        for requirement, sent in (("surat-pengantar", pdf), ("skp", samples.PNG)):
            assert by_requirement[requirement]["sha256"] == hashlib.sha256(sent).hexdigest()


async def test_a_repair_request_needs_no_documents_and_keeps_its_fields(intake: httpx.AsyncClient) -> None:
    response = await submit(intake, REPAIR)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["request"] == {k: REPAIR[k] for k in ("terminal", "problem", "contact")}
    assert body["documents"] == []
    assert body["recap"] is None
    assert body["receipt_number"].startswith("ABSENSI-FINGER/")


async def test_a_portal_information_request_takes_a_workbook_and_a_memo(intake: httpx.AsyncClient) -> None:
    workbook_bytes = samples.recap_xlsx(["Judul", "Isi"], [{"Judul": "Data", "Isi": "Rekap pegawai"}])
    files: Files = {
        "materi-data-informasi": ("materi.xlsx", workbook_bytes, "application/octet-stream"),
        "nota-dinas": ("nota.jpg", b"\xff\xd8\xff\xe0JFIF-nota", "image/jpeg"),
    }
    response = await submit(intake, {"service_code": "PORTAL-INFO", "title": "Unggah data pegawai"}, files)
    assert response.status_code == 201, response.text
    media = {d["requirement_id"]: d["media_type"] for d in response.json()["documents"]}
    assert media == {
        "materi-data-informasi": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "nota-dinas": "image/jpeg",
    }


async def test_a_refused_submission_takes_no_receipt_number(intake: httpx.AsyncClient) -> None:
    year = datetime.now().year
    first = await submit(intake, REPAIR)
    refused = await submit(intake, {**REPAIR, "terminal": ""})
    second = await submit(intake, REPAIR)
    assert refused.status_code == 422
    assert [first.json()["receipt_number"], second.json()["receipt_number"]] == [
        f"ABSENSI-FINGER/{year}/00001",
        f"ABSENSI-FINGER/{year}/00002",
    ]


async def test_concurrent_submissions_get_distinct_consecutive_receipt_numbers(
    intake: httpx.AsyncClient,
) -> None:
    answers = await asyncio.gather(*(submit(intake, {**REPAIR, "title": f"Mesin {i}"}) for i in range(12)))
    assert [a.status_code for a in answers] == [201] * 12
    numbers = sorted(int(a.json()["receipt_number"].rsplit("/", 1)[1]) for a in answers)
    assert numbers == list(range(1, 13))


def workbook(sheets: int = 1, hidden: bool = False, merged: bool = False) -> bytes:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(list(samples.ELAPKIN_HEADER))
    first.append(list(samples.elapkin_row(0, "2026-10").values()))
    if merged:
        first.merge_cells("C2:D2")
    for n in range(1, sheets):
        extra = book.create_sheet(f"Lain{n}")
        extra.append(["x"])
        if hidden:
            extra.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (workbook(sheets=2), "XLSX_MULTIPLE_SHEETS"),
        (workbook(sheets=2, hidden=True), "XLSX_MULTIPLE_SHEETS"),
        (workbook(merged=True), "XLSX_MERGED_CELLS"),
        (b"", "FILE_EMPTY"),
    ],
)
async def test_a_recap_workbook_that_could_be_read_wrongly_is_refused_with_every_reason(
    intake: httpx.AsyncClient, content: bytes, code: str
) -> None:
    data, files = elapkin()
    files["rekap-nilai-laporan-kinerja"] = ("rekap.xlsx", content, "application/octet-stream")
    response = await submit(intake, data, files)
    assert response.status_code == 422, response.text
    assert code in [d["code"] for d in response.json()["details"]]


@pytest.mark.parametrize(
    ("drop", "missing"),
    [
        (["surat-pengantar"], ["surat-pengantar"]),
        (["skp"], ["skp"]),
        (["rekap-nilai-laporan-kinerja"], ["rekap-nilai-laporan-kinerja"]),
        (["period"], ["period"]),
        (["title"], ["title"]),
        (["surat-pengantar", "skp", "period"], ["period", "surat-pengantar", "skp"]),
    ],
)
async def test_each_missing_requirement_is_listed(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, schema: str, drop: list[str], missing: list[str]
) -> None:
    data, files = elapkin(drop=drop)
    response = await submit(intake, data, files)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "REQUIREMENTS_MISSING"
    assert sorted(d["requirement"] for d in body["details"]) == sorted(missing)
    assert all(d["text"] for d in body["details"])
    async with pool.acquire() as conn:
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".submissions') == 0


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"NIP": "19860926201505100"}, "NIP", "NIP_LENGTH"),
        ({"NIP": "1986092620150510AB"}, "NIP", "NIP_NOT_NUMERIC"),
        ({"NIP": "198602302015051001"}, "NIP", "NIP_BIRTH_DATE_INVALID"),
        ({"NIP": "198609262015131001"}, "NIP", "NIP_TMT_INVALID"),
        ({"NIP": "198609262015053001"}, "NIP", "NIP_GENDER_INVALID"),
        ({"NIP": "198609262015051000"}, "NIP", "NIP_SERIAL_INVALID"),
        ({"Nama": ""}, "Nama", "RECAP_VALUE_REQUIRED"),
        ({"Unit Kerja": ""}, "Unit Kerja", "RECAP_VALUE_REQUIRED"),
        ({"Periode": "2026-09"}, "Periode", "RECAP_PERIOD_MISMATCH"),
        ({"Periode": "Okt 2026"}, "Periode", "RECAP_PERIOD_INVALID"),
        ({"Hasil Kerja": "7"}, "Hasil Kerja", "RECAP_RATING_INVALID"),
        ({"Perilaku Kerja": "x"}, "Perilaku Kerja", "RECAP_RATING_INVALID"),
        ({"Predikat": "9"}, "Predikat", "RECAP_PREDIKAT_INVALID"),
        ({"Predikat": "1"}, "Predikat", "RECAP_PREDIKAT_MISMATCH"),
    ],
)
async def test_each_kind_of_row_error_is_reported_with_row_column_and_code(
    intake: httpx.AsyncClient, change: dict[str, str], column: str, code: str
) -> None:
    rows = [samples.elapkin_row(i, "2026-10") for i in range(3)]
    rows[1] = rows[1] | change
    data, files = elapkin(samples.recap_csv(samples.ELAPKIN_HEADER, rows))
    response = await submit(intake, data, files)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "RECAP_INVALID"
    assert [(d["row"], d["column"], d["code"]) for d in body["details"]] == [(3, column, code)]
    assert body["details"][0]["message"]
    assert body["details"][0]["requirement"] == "rekap-nilai-laporan-kinerja"


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"Pendidikan": "99"}, "Pendidikan", "RECAP_EDUCATION_INVALID"),
        ({"Jenis Jabatan": "Honorer"}, "Jenis Jabatan", "RECAP_POSITION_TYPE_INVALID"),
        ({"Diklat Kepemimpinan": "PIM V"}, "Diklat Kepemimpinan", "RECAP_LEADERSHIP_TRAINING_INVALID"),
        ({"Seminar/Workshop": "mungkin"}, "Seminar/Workshop", "RECAP_YES_NO_INVALID"),
        ({"JP Pelatihan Teknis": "-3"}, "JP Pelatihan Teknis", "RECAP_TRAINING_HOURS_INVALID"),
        ({"Hukuman Disiplin": "Ringan dan Berat"}, "Hukuman Disiplin", "RECAP_SANCTION_INVALID"),
    ],
)
async def test_ip_asn_row_errors_are_reported(
    intake: httpx.AsyncClient, change: dict[str, str], column: str, code: str
) -> None:
    rows = [samples.ipasn_row(i, "2025") for i in range(2)]
    rows[0] = rows[0] | change
    files: Files = {
        "surat-pengantar": ("surat.pdf", samples.PDF, "application/pdf"),
        "rekap-data-asn": ("rekap.csv", samples.recap_csv(samples.IPASN_HEADER, rows), "text/csv"),
    }
    data = {"service_code": "IP-ASN", "title": "Data IP-ASN 2025", "period": "2025"}
    response = await submit(intake, data, files)
    assert response.status_code == 422, response.text
    assert [(d["row"], d["column"], d["code"]) for d in response.json()["details"]] == [(2, column, code)]


async def test_duplicates_within_a_recap_and_against_the_units_earlier_recap_are_refused(
    intake: httpx.AsyncClient,
) -> None:
    rows = [samples.elapkin_row(i, "2026-10") for i in range(3)]
    rows.append(rows[0] | {"No": "4"})
    data, files = elapkin(samples.recap_csv(samples.ELAPKIN_HEADER, rows))
    inside = await submit(intake, data, files)
    assert [(d["row"], d["code"]) for d in inside.json()["details"]] == [(5, "RECAP_NIP_DUPLICATE")]

    accepted = await submit(intake, *elapkin(samples.elapkin_recap(3, "2026-10")))
    assert accepted.status_code == 201
    again = await submit(intake, *elapkin(samples.elapkin_recap(2, "2026-10", first=2)))
    assert again.status_code == 422
    assert [(d["row"], d["code"]) for d in again.json()["details"]] == [(2, "RECAP_NIP_ALREADY_ACCEPTED")]
    # Another unit, or another period, is not a duplicate.
    other_unit = await submit(intake, *elapkin(samples.elapkin_recap(2, "2026-10", first=2)), headers=DINKES)
    other_period = await submit(
        intake, *elapkin(samples.elapkin_recap(2, "2026-11", first=2), period="2026-11")
    )
    assert (other_unit.status_code, other_period.status_code) == (201, 201)


async def test_several_large_documents_fit_in_one_submission(intake: httpx.AsyncClient) -> None:
    data, files = elapkin()
    files["surat-pengantar"] = ("surat.pdf", samples.PDF + b"1" * (3 * 1024 * 1024), "application/pdf")
    files["skp"] = ("skp.pdf", samples.PDF + b"2" * (3 * 1024 * 1024), "application/pdf")
    response = await submit(intake, data, files)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("surat.pdf", b"", 422, "DOCUMENT_EMPTY"),
        ("surat.pdf", b"MZ\x90\x00 not a pdf", 415, "DOCUMENT_TYPE_NOT_ALLOWED"),
        ("surat.pdf", samples.elapkin_recap(1, "2026-10"), 415, "DOCUMENT_TYPE_NOT_ALLOWED"),
        ("surat.pdf", samples.PDF + b"0" * (4 * 1024 * 1024), 413, "DOCUMENT_TOO_LARGE"),
    ],
)
async def test_a_document_is_judged_by_its_content_and_size(
    intake: httpx.AsyncClient, tmp_path: Path, name: str, content: bytes, status: int, code: str
) -> None:
    data, files = elapkin()
    files["surat-pengantar"] = (name, content, "application/pdf")
    response = await submit(intake, data, files)
    assert (response.status_code, response.json()["code"]) == (status, code)
    stored = [p for p in (tmp_path / "documents").rglob("*") if p.is_file()]
    assert stored == [], "a refused submission leaves no files"


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("rekap.xlsx", samples.elapkin_recap(1, "2026-10"), 415, "FILE_TYPE_MISMATCH"),
        ("rekap.csv", "NIP;Nama\n".encode("utf-16"), 422, "CSV_ENCODING_UNSUPPORTED"),
        ("rekap.csv", b"NIP,Nama,Unit Kerja,Periode,Hasil Kerja,Perilaku Kerja\n", 422, "RECAP_INVALID"),
        ("rekap.doc", b"hello", 415, "FILE_TYPE_UNSUPPORTED"),
        (
            "rekap.xlsx",
            samples.recap_xlsx(samples.ELAPKIN_HEADER, [samples.elapkin_row(0, "2026-10")], formula=True),
            422,
            "XLSX_FORMULA",
        ),
    ],
)
async def test_a_recap_file_that_cannot_be_read_faithfully_is_refused(
    intake: httpx.AsyncClient, name: str, content: bytes, status: int, code: str
) -> None:
    data, files = elapkin()
    files["rekap-nilai-laporan-kinerja"] = (name, content, "text/csv")
    response = await submit(intake, data, files)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.json()["details"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "TOKEN_MISSING"),
        ({"Authorization": "Bearer not.a.token"}, 401, "TOKEN_INVALID"),
        (ADMIN, 403, "FORBIDDEN_ROLE"),
        (INTERNAL, 403, "FORBIDDEN_ROLE"),
    ],
)
async def test_only_a_signed_in_applicant_unit_submits(
    intake: httpx.AsyncClient, headers: dict[str, str], status: int, code: str
) -> None:
    response = await submit(intake, REPAIR, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_an_expired_or_forged_token_is_refused(intake: httpx.AsyncClient, tmp_path: Path) -> None:
    local_key = (ensure_local_auth() / "private.pem").read_bytes()
    expired = issue_token(
        local_key,
        subject="pd",
        name="PD",
        roles=[Role.PERANGKAT_DAERAH],
        unit="DISDIK",
        ttl=timedelta(minutes=5),
        issued_at=datetime.now(UTC) - timedelta(hours=1),
    )
    write_key_pair(tmp_path / "other-issuer")
    forged = issue_token(
        (tmp_path / "other-issuer" / "private.pem").read_bytes(),
        subject="pd",
        name="PD",
        roles=[Role.PERANGKAT_DAERAH],
        unit="DISDIK",
    )
    for token, code in ((expired, "TOKEN_EXPIRED"), (forged, "TOKEN_INVALID")):
        response = await submit(intake, REPAIR, headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.json()["code"]) == (401, code)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"abc"),
        ("multipart/form-data; boundary=", b"abc"),
        ("multipart/form-data; boundary=zz", b"garbage without a boundary"),
        (
            "multipart/form-data; boundary=zz",
            b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n",
        ),
    ],
)
async def test_a_broken_multipart_body_is_malformed(
    intake: httpx.AsyncClient, content_type: str, body: bytes
) -> None:
    response = await intake.post(
        "/api/v1/submissions", content=body, headers={**DISDIK, "content-type": content_type}
    )
    assert (response.status_code, response.json()["code"]) == (400, "MULTIPART_INVALID")


async def test_bad_bodies_get_stable_codes(intake: httpx.AsyncClient) -> None:
    as_json = await intake.post("/api/v1/submissions", json=REPAIR, headers=DISDIK)
    assert (as_json.status_code, as_json.json()["code"]) == (415, "CONTENT_TYPE_UNSUPPORTED")
    broken = await intake.post(
        "/api/v1/submissions",
        content=b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nabc',
        headers={**DISDIK, "content-type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code in (400, 422)
    assert broken.json()["code"] in ("MULTIPART_INVALID", "REQUIREMENTS_MISSING")
    unknown = await submit(intake, {**REPAIR, "service_code": "CUTI"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "SERVICE_UNKNOWN")
    extra = await submit(intake, {**REPAIR, "gaji": "banyak"})
    assert (extra.status_code, extra.json()["code"]) == (422, "FIELDS_UNEXPECTED")
    oversized = await intake.post(
        "/api/v1/submissions",
        content=b"x" * (21 * 1024 * 1024),
        headers={**DISDIK, "content-type": "multipart/form-data; boundary=x"},
    )
    assert (oversized.status_code, oversized.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


async def test_one_unit_cannot_read_download_or_act_on_anothers_submission(intake: httpx.AsyncClient) -> None:
    created = (await submit(intake, *elapkin())).json()
    data, files = elapkin(period="2026-11")
    submission_id = created["submission_id"]
    document = created["documents"][0]["download_url"]
    own = await intake.get(f"/api/v1/submissions/{submission_id}", headers=DISDIK)
    assert own.status_code == 200
    download = await intake.get(document, headers=DISDIK)
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == created["documents"][0]["sha256"]
    assert (await intake.get(document, headers=ADMIN)).status_code == 200, "officials see every unit's"

    for response in (
        await intake.get(f"/api/v1/submissions/{submission_id}", headers=DINKES),
        await intake.get(document, headers=DINKES),
        await intake.get("/api/v1/receipts", params={"number": created["receipt_number"]}, headers=DINKES),
        await submit(intake, {**data, "replaces": submission_id}, files, headers=DINKES),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "SUBMISSION_NOT_FOUND"
    by_receipt = await intake.get(
        "/api/v1/receipts", params={"number": created["receipt_number"]}, headers=DISDIK
    )
    assert by_receipt.json()["submission_id"] == submission_id


@pytest.mark.parametrize("submission_id", [str(uuid.uuid4()), "bukan-uuid"])
async def test_an_unknown_submission_is_not_found(intake: httpx.AsyncClient, submission_id: str) -> None:
    for headers in (DISDIK, ADMIN):
        response = await intake.get(f"/api/v1/submissions/{submission_id}", headers=headers)
        assert response.status_code == 404
        assert response.json() == {"code": "SUBMISSION_NOT_FOUND", "message": "Pengajuan tidak ditemukan."}


async def test_status_and_timeline_follow_routings_events_and_a_resubmission_links_back(
    intake: httpx.AsyncClient, infra: Infra
) -> None:
    created = (await submit(intake, *elapkin())).json()
    submission_id = created["submission_id"]
    now = datetime.now(UTC)
    due = now + timedelta(hours=3)
    await publish(
        infra,
        submission_id,
        SubmissionAcknowledged(submission_id=submission_id, case_id="case-9", acknowledged_at=now),
        CaseStepChanged(
            submission_id=submission_id,
            case_id="case-9",
            step="DISPOSISI-KEPALA-BADAN",
            step_label="Disposisi Kepala Badan",
            holder_role="kepala-badan",
            due_at=due,
            changed_at=now + timedelta(seconds=1),
        ),
        SubmissionReturned(
            submission_id=submission_id,
            case_id="case-9",
            reasons=["Surat pengantar belum ditandatangani"],
            returned_by_role="unit-pengolah",
            returned_at=now + timedelta(seconds=2),
        ),
    )

    async def returned() -> bool:
        body = (await intake.get(f"/api/v1/submissions/{submission_id}", headers=DISDIK)).json()
        return bool(body["status"] == "DIKEMBALIKAN")

    await eventually(returned, 30, "the return to reach the submission")
    body = (await intake.get(f"/api/v1/submissions/{submission_id}", headers=DISDIK)).json()
    assert body["return_reasons"] == ["Surat pengantar belum ditandatangani"]
    assert body["case_id"] == "case-9"
    assert [e["step"] for e in body["timeline"]] == [
        "DITERIMA",
        "TERCATAT",
        "DISPOSISI-KEPALA-BADAN",
        "DIKEMBALIKAN",
    ]
    assert body["timeline"][2]["holder_role"] == "kepala-badan"
    assert datetime.fromisoformat(body["timeline"][2]["due_at"]) == due

    # The same recap again, as a resubmission: not a duplicate of the one it replaces.
    data, files = elapkin()
    again = await submit(intake, {**data, "replaces": submission_id}, files)
    assert again.status_code == 201, again.text
    assert again.json()["replaces"] == submission_id
    old = (await intake.get(f"/api/v1/submissions/{submission_id}", headers=DISDIK)).json()
    assert old["replaced_by"] == again.json()["submission_id"]
    assert len(old["timeline"]) == 4, "the replaced submission keeps its history"
    twice = await submit(intake, {**data, "replaces": submission_id}, files)
    assert (twice.status_code, twice.json()["code"]) == (409, "REPLACES_ALREADY_REPLACED")


async def test_a_retry_with_the_same_idempotency_key_does_not_make_a_second_submission(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, schema: str
) -> None:
    key = {"Idempotency-Key": f"pd-dikbud-{uuid.uuid4().hex[:8]}"}
    first = await submit(intake, REPAIR, headers={**DISDIK, **key})
    again = await submit(intake, REPAIR, headers={**DISDIK, **key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["submission_id"] == first.json()["submission_id"]
    other = await submit(intake, {**REPAIR, "title": "Lain"}, headers={**DISDIK, **key})
    assert (other.status_code, other.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    async with pool.acquire() as conn:
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".submissions') == 1
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".outbox') == 1


async def test_the_catalogue_is_public(intake: httpx.AsyncClient) -> None:
    listing = await intake.get("/api/v1/catalogue")
    assert {s["code"] for s in listing.json()} == {"E-LAPKIN", "IP-ASN", "ABSENSI-FINGER", "PORTAL-INFO"}
    one = await intake.get("/api/v1/catalogue/E-LAPKIN")
    assert one.json()["code"] == "E-LAPKIN"
    assert (await intake.get("/api/v1/catalogue/CUTI")).json()["code"] == "SERVICE_STANDARD_NOT_FOUND"
    page = await intake.get("/layanan/ABSENSI-FINGER")
    assert page.headers["content-type"].startswith("text/html")
    assert "Standar Pelayanan" in page.text
    assert "Persyaratan" in page.text
