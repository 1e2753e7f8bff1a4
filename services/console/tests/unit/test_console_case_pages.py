"""The case page and its action forms against a fake routing (httpx's mock transport): a form per
action routing offers and none otherwise, routing's refusal beside the field with the typing kept,
and the body, client key and token routing receives."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import argon2
import httpx
import pytest
from fastapi import FastAPI

from bkpsdm.common.auth import Role, write_key_pair
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.console import service
from bkpsdm.console.adapters.memory import InMemoryConsoleUnitOfWork
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.services import IntakeApi, RoutingApi
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.domain.actions import upload_request
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.entrypoints import case_pages, session_pages
from bkpsdm.console.entrypoints.errors import install_page_errors
from bkpsdm.console.entrypoints.web import Web

HASHER = Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "kata-sandi-kepala"
CASE_ID = "0b3f6c1e-8a60-4d0e-9a57-2f1d8c3b9e11"
SUBMISSION_ID = "5e1d0867-d881-44c7-a0ee-6ea5e2413244"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')

DISPOSISI = {
    "action": "disposisi",
    "label": "Disposisi ke Kepala Bidang",
    "to": "KEPALA-BIDANG",
    "to_label": "Diterima Kepala Bidang",
    "path": f"/api/v1/cases/{CASE_ID}/disposisi",
}


def case_view(allowed: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "case_id": CASE_ID,
        "submission_id": SUBMISSION_ID,
        "current_submission_id": SUBMISSION_ID,
        "service_code": "E-LAPKIN",
        "perangkat_daerah": "DISDIK",
        "title": "Rekap SKP Oktober",
        "status": "AKTIF",
        "step": "DISPOSISI-KEPALA-BADAN",
        "step_label": "Menunggu disposisi Kepala Badan",
        "holder_role": "kepala-badan",
        "holder_unit": None,
        "due_at": "2026-11-24T03:00:00Z",
        "case_due_at": "2026-11-24T08:30:00Z",
        "agenda_number": "001/BKPSDM/XI/2026",
        "documents": [],
        "recap": {"rows": 3, "format": "csv", "rules_version": "recap-rules/2026.1"},
        "submissions": [SUBMISSION_ID],
        "history": [
            {
                "seq": 1,
                "at": "2026-11-23T02:00:00Z",
                "action": "register",
                "from_step": "PENERIMAAN",
                "to_step": "PEMILAHAN",
                "actor_name": "Rina",
                "actor_role": "petugas-administrasi",
                "acting_for": None,
                "note": None,
                "details": {"agenda_number": "001/BKPSDM/XI/2026"},
            },
        ],
        "disposisi": [],
        "allowed_actions": allowed,
        "step_actions": [
            {"action": "disposisi", "label": DISPOSISI["label"], "to": "KEPALA-BIDANG", "by": "kepala-badan"}
        ],
        "upload_request_id": None,
    }


WORKFLOW = {
    "steps": [
        {
            "code": "KEPALA-BIDANG",
            "label": "Diterima Kepala Bidang",
            "holder": {"role": "kepala-bidang", "unit": "BIDANG-PKA-PKK"},
        }
    ]
}
INSTRUCTIONS = [
    {"code": "PROSES-LANJUT", "label": "Proses lebih lanjut"},
    {"code": "ARSIPKAN", "label": "Arsipkan"},
]


class FakeRouting:
    def __init__(self) -> None:
        self.allowed: list[dict[str, Any]] = [DISPOSISI]
        self.posted: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            self.posted.append(request)
            body = json.loads(request.content)
            if not body.get("instructions"):
                return httpx.Response(
                    422,
                    json={
                        "code": "REQUEST_INVALID",
                        "message": "Data permintaan tidak sesuai format.",
                        "details": [{"field": "instructions", "problem": "too_short"}],
                    },
                )
            return httpx.Response(200, json={"case_id": CASE_ID, "action": "disposisi", "status": "AKTIF"})
        if path == f"/api/v1/cases/{CASE_ID}":
            return httpx.Response(200, json=case_view(self.allowed))
        if path == "/api/v1/workflows/E-LAPKIN":
            return httpx.Response(200, json=WORKFLOW)
        if path == "/api/v1/disposisi-instructions":
            return httpx.Response(200, json=INSTRUCTIONS)
        return httpx.Response(404, json={"code": "NOT_FOUND", "message": "Tidak ditemukan."})


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeRouting]]:
    keys = write_key_pair(tmp_path)
    uow = InMemoryConsoleUnitOfWork()
    await service.save_user(
        uow, HASHER, username="kaban", name="Kepala", password=PASSWORD, roles=[Role.KEPALA_BADAN], unit=None
    )
    web = Web(
        unit_of_work=lambda: uow,
        issuer=TokenIssuer.from_file(
            keys.private_key, issuer="bkpsdm-local", audience="bkpsdm", ttl=timedelta(minutes=5)
        ),
        secret=b"rahasia-sesi-untuk-pengujian-000",
        cookie_secure=True,
        session_ttl=timedelta(hours=9),
        time_zone=ZoneInfo("Asia/Jakarta"),
    )
    routing = FakeRouting()
    unreachable = httpx.MockTransport(lambda _: httpx.Response(503))
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(routing)) as routing_http,
        httpx.AsyncClient(transport=unreachable) as intake_http,
    ):
        app = FastAPI()
        app.include_router(session_pages.build_router(web, HASHER, LockoutPolicy(5, timedelta(minutes=15))))
        app.include_router(
            case_pages.build_router(
                web,
                RoutingApi(routing_http, "http://routing.test"),
                IntakeApi(intake_http, "http://intake.test"),
                {},
                load_calendar(),
            )
        )
        install_page_errors(app, web)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://console.test"
        ) as client:
            page = await client.get("/masuk")
            token = _CSRF.search(page.text)
            assert token is not None
            signed_in = await client.post(
                "/masuk", data={"csrf_token": token.group(1), "username": "kaban", "password": PASSWORD}
            )
            assert signed_in.status_code == 303
            yield client, routing


def hidden(pattern: re.Pattern[str], html: str) -> str:
    found = pattern.search(html)
    assert found is not None
    return found.group(1)


async def test_the_holder_gets_the_disposisi_form_with_the_next_holder_chosen(
    console: tuple[httpx.AsyncClient, FakeRouting],
) -> None:
    client, _ = console
    page = await client.get(f"/perkara/{CASE_ID}")
    assert page.status_code == 200
    assert "Disposisi ke Kepala Bidang" in page.text
    assert 'value="kepala-bidang" checked' in page.text  # the role holding the next step
    assert "Proses lebih lanjut" in page.text
    assert "001/BKPSDM/XI/2026" in page.text  # the history's details
    assert "Diagendakan" in page.text


async def test_no_action_offered_means_no_form(console: tuple[httpx.AsyncClient, FakeRouting]) -> None:
    client, routing = console
    routing.allowed = []
    page = await client.get(f"/perkara/{CASE_ID}")
    assert 'id="tanpa-tindakan"' in page.text
    assert "/tindakan/" not in page.text


async def test_a_refusal_lands_beside_its_field_and_keeps_what_was_typed(
    console: tuple[httpx.AsyncClient, FakeRouting],
) -> None:
    client, _ = console
    page = await client.get(f"/perkara/{CASE_ID}")
    refused = await client.post(
        f"/perkara/{CASE_ID}/tindakan/disposisi--KEPALA-BIDANG",
        data={
            "csrf_token": hidden(_CSRF, page.text),
            "idempotency_key": hidden(_KEY, page.text),
            "recipients": ["kepala-bidang"],
            "tembusan": ["sekretaris"],
            "note": "Segera",
        },
    )
    assert refused.status_code == 422
    errors = re.search(r'id="galat-disposisi--KEPALA-BIDANG-instructions">(.*?)</ul>', refused.text, re.S)
    assert errors is not None
    assert "Pilih atau isi paling sedikit satu." in errors.group(1)
    assert ">Segera</textarea>" in refused.text
    assert 'value="sekretaris" checked' in refused.text


async def test_routing_receives_the_body_the_client_key_and_the_persons_token(
    console: tuple[httpx.AsyncClient, FakeRouting],
) -> None:
    client, routing = console
    page = await client.get(f"/perkara/{CASE_ID}")
    key = hidden(_KEY, page.text)
    done = await client.post(
        f"/perkara/{CASE_ID}/tindakan/disposisi--KEPALA-BIDANG",
        data={
            "csrf_token": hidden(_CSRF, page.text),
            "idempotency_key": key,
            "instructions": ["PROSES-LANJUT"],
            "recipients": ["kepala-bidang"],
            "due_at": "2026-11-24T10:00",
            "note": "",
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/perkara/{CASE_ID}?selesai=disposisi")
    (sent,) = routing.posted
    assert sent.url.path == f"/api/v1/cases/{CASE_ID}/disposisi"
    assert sent.headers["idempotency-key"] == key
    assert sent.headers["authorization"].startswith("Bearer ey")
    assert json.loads(sent.content) == {
        "instructions": ["PROSES-LANJUT"],
        "recipients": [{"role": "kepala-bidang"}],
        "tembusan": [],
        "due_at": "2026-11-24T10:00:00+07:00",
    }


def test_the_report_shown_is_the_upload_under_way_or_else_the_latest_answered() -> None:
    history = [
        {"action": "upload-failed", "details": {"request_id": "r1"}},
        {"action": "retry-upload", "details": {}},
        {"action": "upload-completed", "details": {"request_id": "r2"}},
    ]
    assert upload_request({"upload_request_id": "r3", "history": history}) == "r3"
    assert upload_request({"upload_request_id": None, "history": history}) == "r2"
    assert upload_request({"history": [{"action": "register", "details": {"request_id": "x"}}]}) is None
