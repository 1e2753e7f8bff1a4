"""What a wider schemathesis campaign found, held at the HTTP level: the OpenAPI schema and the
service agree on what a valid request is (JSON Schema's integers include 4.0; a multipart form
has no null), and what the schema refuses is refused with a stable code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from bkpsdm.common.auth import Role
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra

pytestmark = pytest.mark.integration

OFFICER = bearer(Role.PENGELOLA_PENGADUAN)
CODES = (
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


@pytest.fixture(scope="module")
async def service(infra: Infra, pool: asyncpg.Pool, start_complaints: Any) -> AsyncIterator[Any]:
    async with start_complaints(infra, pool, survey_services={"IP-ASN": "Pelayanan IP-ASN"}) as running:
        yield running


async def _delivered(service: Any, receipt: str) -> None:
    done = await service.client.post(
        "/api/v1/survey/deliveries",
        json={"receipt_number": receipt, "service_code": "IP-ASN", "perangkat_daerah": "DISDIK"},
        headers=OFFICER,
    )
    assert done.status_code == 200, done.text


async def test_a_survey_answer_written_as_a_whole_float_is_the_integer_it_names(service: Any) -> None:
    await _delivered(service, "IP-ASN/2026/00501")
    answers: dict[str, Any] = {code: 4 for code in CODES} | {"prosedur": 4.0, "produk": 3.0}
    answered = await service.client.post(
        "/api/v1/survey/IP-ASN/responses", json={"receipt_number": "IP-ASN/2026/00501", "answers": answers}
    )
    assert answered.status_code == 201, answered.text


@pytest.mark.parametrize("answer", [3.5, "4", True])
async def test_a_survey_answer_that_is_no_whole_number_is_refused(service: Any, answer: Any) -> None:
    await _delivered(service, "IP-ASN/2026/00502")
    answers = {code: 4 for code in CODES} | {"prosedur": answer}
    refused = await service.client.post(
        "/api/v1/survey/IP-ASN/responses", json={"receipt_number": "IP-ASN/2026/00502", "answers": answers}
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "REQUEST_INVALID")
    assert refused.json()["details"][0]["field"] == "answers.prosedur"


async def test_the_public_form_documents_attachments_as_parts_never_null(service: Any) -> None:
    schema = (await service.client.get("/openapi.json")).json()["components"]["schemas"]
    attachments = schema["Body_submit_api_v1_public_complaints_post"]["properties"]["attachments"]
    assert attachments["type"] == "array"
    assert "anyOf" not in attachments


async def test_an_attachment_part_that_is_text_not_a_file_is_refused_and_nothing_stored(service: Any) -> None:
    before = len((await service.client.get("/api/v1/complaints?limit=200", headers=OFFICER)).json())
    refused = await service.form_post({"content": "Isi pengaduan.", "attachments": "null"})
    assert (refused.status_code, refused.json()["code"]) == (422, "REQUEST_INVALID")
    assert refused.json()["details"][0]["field"].startswith("attachments")
    after = len((await service.client.get("/api/v1/complaints?limit=200", headers=OFFICER)).json())
    assert after == before
    plain = await service.form_post({"content": "Isi pengaduan tanpa lampiran."})
    assert plain.status_code == 201, plain.text
