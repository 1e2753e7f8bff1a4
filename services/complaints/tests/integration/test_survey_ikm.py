"""The satisfaction survey over HTTP on the real database: nine answers once per delivered
product, IKM per service and semester equal to a hand-computed example, the XLSX report, the
QR code and survey page per service; a delivery learnt from intake's and routing's events."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import openpyxl  # type: ignore[import-untyped]  # no stubs
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bkpsdm.common.auth import Role
from bkpsdm.common.contracts import CASES, SUBMISSIONS, CaseStepChanged, SubmissionReceived
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.waiting import eventually

pytestmark = pytest.mark.integration

OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
KEPALA_BADAN = bearer(Role.KEPALA_BADAN)
CODES = [
    "persyaratan",
    "prosedur",
    "waktu_penyelesaian",
    "biaya_tarif",
    "produk",
    "kompetensi_pelaksana",
    "perilaku_pelaksana",
    "penanganan_pengaduan",
    "sarana_prasarana",
]
# The hand-computed example of tests/unit/test_ikm.py: element means 3.50 3.50 2.25 4.00 3.25
# 3.50 4.00 2.50 3.00, their mean 3.2777..., x 25 = 81.94 -> B (Baik).
EXAMPLE = [
    (4, 4, 3, 4, 3, 4, 4, 3, 3),
    (3, 4, 3, 4, 3, 3, 4, 2, 3),
    (4, 3, 2, 4, 3, 4, 4, 3, 3),
    (3, 3, 1, 4, 4, 3, 4, 2, 3),
]


@pytest.fixture(scope="module")
async def surveyed(infra: Infra, pool: asyncpg.Pool, start_complaints: Any) -> AsyncIterator[Any]:
    services = {"IP-ASN": "Pelayanan IP-ASN", "E-LAPKIN": 'Pelaporan <b>Kinerja</b> & "SKP"'}
    async with start_complaints(infra, pool, survey_services=services) as running:
        yield running


async def deliver(service: Any, receipt: str, code: str = "IP-ASN") -> None:
    done = await service.client.post(
        "/api/v1/survey/deliveries",
        json={"receipt_number": receipt, "service_code": code, "perangkat_daerah": "DISDIK"},
        headers=OFFICER,
    )
    assert done.status_code == 200, done.text


async def rate(service: Any, receipt: str, answers: tuple[int, ...], code: str = "IP-ASN") -> Any:
    return await service.client.post(
        f"/api/v1/survey/{code}/responses",
        json={"receipt_number": receipt, "answers": dict(zip(CODES, answers, strict=True))},
    )


async def test_ikm_from_survey_answers_equals_the_hand_computed_example(surveyed: Any) -> None:
    for n, answers in enumerate(EXAMPLE, start=1):
        await deliver(surveyed, f"IP-ASN/2026/{n:05d}")
        answered = await rate(surveyed, f"IP-ASN/2026/{n:05d}", answers)
        assert answered.status_code == 201, answered.text
        assert answered.json()["period"] == "2026-S2"

    result = await surveyed.client.get("/api/v1/ikm?period=2026-S2&service_code=IP-ASN", headers=KEPALA_BADAN)
    assert result.status_code == 200, result.text
    (ipasn,) = result.json()
    assert (ipasn["ikm"], ipasn["grade"], ipasn["grade_label"], ipasn["respondents"]) == (
        "81.94",
        "B",
        "Baik",
        4,
    )
    assert [e["mean"] for e in ipasn["elements"]] == [
        "3.50",
        "3.50",
        "2.25",
        "4.00",
        "3.25",
        "3.50",
        "4.00",
        "2.50",
        "3.00",
    ]
    assert ipasn["weakest"] == ["waktu_penyelesaian"]

    report = await surveyed.client.get("/api/v1/ikm/report?period=2026-S2", headers=OFFICER)
    assert report.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == "IP-ASN"]
    assert rows[0][:7] == ("IP-ASN", "Pelayanan IP-ASN", "2026-S2", 4, 81.94, "B", "Baik")
    assert rows[0][9] == 56.25  # waktu penyelesaian: its own index, mean 2.25 x 25


async def test_each_delivered_product_is_rated_once_and_only_once_delivered(surveyed: Any) -> None:
    await deliver(surveyed, "IP-ASN/2026/00101")
    assert (await rate(surveyed, "IP-ASN/2026/00101", (4,) * 9)).status_code == 201
    again = await rate(surveyed, "IP-ASN/2026/00101", (1,) * 9)
    assert (again.status_code, again.json()["code"]) == (409, "SURVEY_ALREADY_ANSWERED")
    unknown = await rate(surveyed, "IP-ASN/2026/99999", (4,) * 9)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "SURVEY_NOT_AVAILABLE")
    other_service = await rate(surveyed, "IP-ASN/2026/00101", (4,) * 9, code="E-LAPKIN")
    assert (other_service.status_code, other_service.json()["code"]) == (404, "SURVEY_NOT_AVAILABLE")
    out_of_scale = await rate(surveyed, "IP-ASN/2026/00101", (4, 4, 4, 4, 4, 4, 4, 4, 5))
    assert (out_of_scale.status_code, out_of_scale.json()["code"]) == (422, "REQUEST_INVALID")
    assert out_of_scale.json()["details"][0]["field"] == "answers.sarana_prasarana"
    nobody = await surveyed.client.get("/api/v1/ikm?period=2027-S1&service_code=IP-ASN", headers=OFFICER)
    assert (nobody.status_code, nobody.json()["code"]) == (404, "IKM_NO_RESPONSES")
    bad_period = await surveyed.client.get("/api/v1/ikm?period=2026-S3", headers=OFFICER)
    assert (bad_period.status_code, bad_period.json()["code"]) == (422, "REQUEST_INVALID")


async def test_each_service_has_a_qr_code_to_its_escaped_survey_page(surveyed: Any) -> None:
    qr = await surveyed.client.get("/api/v1/survey/E-LAPKIN/qr.svg")
    assert (qr.status_code, qr.headers["content-type"]) == (200, "image/svg+xml")
    assert qr.content.lstrip().startswith((b"<?xml", b"<svg"))
    page = await surveyed.client.get("/survei/E-LAPKIN")
    assert page.headers["content-type"].startswith("text/html")
    assert "Pelaporan &lt;b&gt;Kinerja&lt;/b&gt; &amp; &quot;SKP&quot;" in page.text
    assert "<b>Kinerja</b>" not in page.text
    assert page.text.count('type="radio"') == 9 * 4
    missing = await surveyed.client.get("/survei/TIDAK-ADA")
    assert (missing.status_code, missing.json()["code"]) == (404, "SURVEY_SERVICE_UNKNOWN")


async def _publish(infra: Infra, topic: str, key: str, event: Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        meta = EventMetadata(type=event.event_type, source="/tests", correlation_id="cid-survey")
        await producer.send_and_wait(
            topic,
            event.model_dump_json().encode(),
            key=key.encode(),
            headers=[(k, v.encode()) for k, v in meta.to_headers().items()],
        )
    finally:
        await producer.stop()


async def _start_at_the_end(infra: Infra, group: str, topic: str) -> None:
    """The group starts where the topic ends now (the shared topics hold other tests' history)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=infra.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        await consumer.seek_to_end()
        await consumer.commit({tp: await consumer.position(tp) for tp in consumer.assignment()})
    finally:
        await consumer.stop()


async def test_a_product_delivered_at_the_end_of_its_case_opens_its_survey(
    infra: Infra, pool: asyncpg.Pool, start_complaints: Any
) -> None:
    schema = f"t_cmp_{uuid.uuid4().hex[:10]}"
    for purpose, topic in (("submissions", SUBMISSIONS.name), ("deliveries", CASES.name)):
        await _start_at_the_end(infra, f"complaints.{purpose}-{schema}", topic)
    submission_id, receipt = str(uuid.uuid4()), f"E-LAPKIN/2026/{uuid.uuid4().int % 10**8:08d}"
    async with start_complaints(infra, pool, schema=schema) as service:
        now = datetime.now(UTC)
        await _publish(
            infra,
            SUBMISSIONS.name,
            submission_id,
            SubmissionReceived(
                submission_id=submission_id,
                service_code="E-LAPKIN",
                perangkat_daerah="DINKES",
                title="Rekap",
                received_at=now,
                receipt_number=receipt,
            ),
        )

        async def linked() -> bool:
            posted = await service.form_post({"content": "Soal rekap saya.", "receipt_number": receipt})
            return bool(posted.status_code == 201)

        # Known from intake's event: a complaint may refer to it; not delivered yet: no survey.
        await eventually(linked, 20, "intake's receipt to be known")
        early = await rate(service, receipt, (3,) * 9, code="E-LAPKIN")
        assert (early.status_code, early.json()["code"]) == (404, "SURVEY_NOT_AVAILABLE")
        await _publish(
            infra,
            CASES.name,
            submission_id,
            CaseStepChanged(
                submission_id=submission_id, case_id="case-1", step="SELESAI", changed_at=now, completed=True
            ),
        )

        async def rated() -> bool:
            return bool((await rate(service, receipt, (3,) * 9, code="E-LAPKIN")).status_code == 201)

        await eventually(rated, 20, "the survey to open once the case completed")
