"""GET /api/v1/submissions over real HTTP (intake under uvicorn on a local port) and the real
PostgreSQL: one unit never sees another's, officials see every unit or the one they ask,
keyset pages have no gaps or repeats while submissions keep arriving, and bad parameters get
stable codes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bkpsdm.common.auth import Role
from bkpsdm.intake import samples
from bkpsdm.intake.bootstrap import bootstrap
from bkpsdm.intake.domain import errors
from bkpsdm.intake.settings import IntakeSettings
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.infra import Infra
from bkpsdm.testing.services import settings_for_test

pytestmark = pytest.mark.integration

DISDIK = bearer(Role.PERANGKAT_DAERAH, unit="DISDIK")
DINKES = bearer(Role.PERANGKAT_DAERAH, unit="DINKES")
ADMIN = bearer(Role.PETUGAS_ADMINISTRASI)
KEPALA_BIDANG = bearer(Role.KEPALA_BIDANG, unit="BIDANG-PKA")
REPAIR = {
    "service_code": "ABSENSI-FINGER",
    "title": "Mesin absensi lobi tidak membaca sidik jari",
    "terminal": "Solution X100C SN 3398-22, lobi utama",
    "problem": "Sensor tidak merespons sejak Senin",
    "contact": "Budi, 0812-3456-7890",
}
ITEM_FIELDS = {
    "id",
    "receipt_number",
    "service_code",
    "unit",
    "title",
    "period",
    "submitted_at",
    "status",
    "current_step",
    "holder_role",
    "due_at",
    "step_due_at",
    "replaces",
    "replaced_by",
}


@pytest.fixture
async def intake(infra: Infra, schema: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """intake with its real lifespan behind uvicorn on a free port, as it runs in production."""
    settings = settings_for_test(IntakeSettings, infra, schema, documents_dir=tmp_path / "documents")
    _, app = bootstrap(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "intake stopped while starting"
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await task


async def repair(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
        "/api/v1/submissions", files=[(k, (None, v.encode())) for k, v in REPAIR.items()], headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["submission_id"])


async def elapkin(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
        "/api/v1/submissions",
        data={"service_code": "E-LAPKIN", "title": "Rekap SKP Oktober", "period": "2026-10"},
        files={
            "surat-pengantar": ("surat.pdf", samples.PDF, "application/pdf"),
            "skp": ("skp.png", samples.PNG, "image/png"),
            "rekap-nilai-laporan-kinerja": ("rekap.csv", samples.elapkin_recap(3, "2026-10"), "text/csv"),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["submission_id"])


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/submissions", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


async def test_units_see_their_own_officials_see_all_and_pages_have_no_gaps_or_repeats(
    intake: httpx.AsyncClient,
) -> None:
    disdik = [await repair(intake, DISDIK) for _ in range(4)] + [await elapkin(intake, DISDIK)]
    dinkes = [await repair(intake, DINKES) for _ in range(2)]

    # DISDIK's own, newest first, two at a time, while DISDIK keeps submitting between pages.
    seen: list[str] = []
    pages: list[int] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await listed(intake, DISDIK, **params)
        seen += ids(page)
        pages.append(len(page["items"]))
        await repair(intake, DISDIK)  # lands before the first page: never in the pages being read
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert pages == [2, 2, 1]
    assert seen == list(reversed(disdik))

    # Another unit's submissions are never listed to DISDIK, even when asked for by name.
    assert set(dinkes).isdisjoint(ids(await listed(intake, DISDIK, limit=100)))
    assert ids(await listed(intake, DISDIK, unit="DINKES")) == []
    assert ids(await listed(intake, DINKES)) == list(reversed(dinkes))

    # Officials (the roles that read a submission) see every unit, or the unit they ask for.
    everyone = ids(await listed(intake, ADMIN, limit=100))
    assert set(disdik) | set(dinkes) <= set(everyone)
    assert len(everyone) == len(set(everyone)) == 7 + len(pages)
    assert ids(await listed(intake, KEPALA_BIDANG, unit="DINKES")) == list(reversed(dinkes))

    # Filters, and what an item carries.
    [report] = (await listed(intake, ADMIN, service_code="E-LAPKIN"))["items"]
    assert set(report) == ITEM_FIELDS
    assert (report["id"], report["unit"], report["service_code"], report["period"]) == (
        disdik[-1],
        "DISDIK",
        "E-LAPKIN",
        "2026-10",
    )
    assert report["status"] == report["current_step"] == "DITERIMA"
    assert report["receipt_number"].startswith("E-LAPKIN/")
    assert report["due_at"] > report["submitted_at"]
    assert ids(await listed(intake, DINKES, status="DIKEMBALIKAN")) == []
    assert ids(await listed(intake, DINKES, status="DITERIMA", service_code="ABSENSI-FINGER")) == list(
        reversed(dinkes)
    )


@pytest.mark.parametrize(
    ("params", "headers", "status", "code"),
    [
        ({"cursor": "bukan-penanda"}, DISDIK, 422, "CURSOR_INVALID"),
        ({"cursor": "1762070400000000_" + "0" * 31}, DISDIK, 422, "CURSOR_INVALID"),
        ({"limit": 0}, DISDIK, 422, "REQUEST_INVALID"),
        ({"limit": 101}, DISDIK, 422, "REQUEST_INVALID"),
        ({"limit": "dua"}, DISDIK, 422, "REQUEST_INVALID"),
        ({"service_code": "TIDAK-ADA"}, ADMIN, 422, "SERVICE_UNKNOWN"),
        ({"status": "HILANG"}, ADMIN, 422, "REQUEST_INVALID"),
        ({"unit": ""}, ADMIN, 422, "REQUEST_INVALID"),
        ({}, {}, 401, "TOKEN_MISSING"),
        ({}, bearer(Role.INTERNAL_SERVICE), 403, "FORBIDDEN_ROLE"),
    ],
)
async def test_bad_parameters_get_stable_codes_in_indonesian(
    intake: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str], status: int, code: str
) -> None:
    response = await intake.get("/api/v1/submissions", params=params, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    if code == "CURSOR_INVALID":
        assert response.json()["message"] == errors.CURSOR_INVALID.message


async def test_the_route_documents_every_answer_with_the_error_body(intake: httpx.AsyncClient) -> None:
    operation = (await intake.get("/openapi.json")).json()["paths"]["/api/v1/submissions"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "422", "500", "503"}
    for status in ("401", "403", "422", "500", "503"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    assert "CURSOR_INVALID" in operation["responses"]["422"]["description"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["service_code"]["enum"] == ["ABSENSI-FINGER", "E-LAPKIN", "IP-ASN", "PORTAL-INFO"]
