"""The public dashboard's figures and the applicant's submission list, from the services'
published answers (recorded from /work/helpers' contracts, served by httpx's mock transport):
Indonesian number notation, a "-" for a figure not given, "data belum tersedia" when a service
cannot be reached, intake's list scoped by the applicant's token, and the older fallback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import argon2
import httpx
import pytest
from fastapi import FastAPI

from bkpsdm.common.auth import JwksFileSource, Role, TokenVerifier, write_key_pair
from bkpsdm.console import service
from bkpsdm.console.adapters.memory import InMemoryConsoleUnitOfWork
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.services import ComplaintsApi, IntakeApi, RoutingApi
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.domain.dashboard import FiguresUnreadable, ikm_periods, number, percent, volumes
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.entrypoints import applicant_pages, public_pages, session_pages
from bkpsdm.console.entrypoints.dashboard import Dashboard
from bkpsdm.console.entrypoints.errors import install_page_errors
from bkpsdm.console.entrypoints.web import Web
from bkpsdm.console.service import SubmissionEntry

HASHER = Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "kata-sandi-disdik"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

# As /work/helpers/stats_api.md gives them.
STATISTICS = {
    "year": 2026,
    "month": None,
    "period_start": "2026-01-01T00:00:00+07:00",
    "period_end": "2027-01-01T00:00:00+07:00",
    "services": [
        {
            "service_code": "E-LAPKIN",
            "service_name": "Pengelolaan E-LAPKIN",
            "sla_target": "1 Hari",
            "received": 3,
            "completed": 2,
            "in_progress": 1,
            "returned_at_least_once": 1,
            "completed_with_sla": 2,
            "completed_within_sla": 1,
            "sla_compliance_percent": 50.0,
            "median_completion_service_hours": 5.25,
        },
        {
            "service_code": "PORTAL-INFO",
            "service_name": "Portal Informasi",
            "sla_target": "3 Hari",
            "received": 1234,
            "completed": 0,
            "in_progress": 1234,
            "returned_at_least_once": 0,
            "completed_with_sla": 0,
            "completed_within_sla": 0,
            "sla_compliance_percent": None,
            "median_completion_service_hours": None,
        },
    ],
    "totals": {
        "received": 1237,
        "completed": 2,
        "in_progress": 1235,
        "returned_at_least_once": 1,
        "completed_with_sla": 2,
        "completed_within_sla": 1,
        "sla_compliance_percent": 50.0,
        "median_completion_service_hours": 5.25,
    },
    "calendar_version": "kalender/2026.1",
    "generated_at": "2026-11-23T19:10:00+07:00",
}
IKM_SUMMARY = {
    "year": 2026,
    "rule_set_version": "permenpanrb-14-2017/default/2026.1",
    "periods": [
        {
            "period": "2026-S1",
            "overall": {"respondents": 5, "ikm": 79.1, "grade": "B", "grade_label": "Baik", "elements": []},
            "services": [],
        },
        {
            "period": "2026-S2",
            "overall": {
                "respondents": 3,
                "ikm": 83.33,
                "grade": "B",
                "grade_label": "Baik",
                "elements": [{"code": "U1", "label": "Persyaratan", "score": 83.33, "grade": "B"}],
            },
            "services": [
                {
                    "service_code": "E-LAPKIN",
                    "service_name": "Pengelolaan E-LAPKIN",
                    "respondents": 2,
                    "ikm": 87.5,
                    "grade": "B",
                    "grade_label": "Baik",
                }
            ],
        },
    ],
    "generated_at": "2026-11-23T19:10:00+07:00",
}
# As /work/helpers/intake_list_api.md gives it.
CURSOR = "1763864045123456_0b6f3f8e6c1e4a579a553d9f0f1f2c11"
SUBMISSION_PAGE = {
    "items": [
        {
            "id": "0b6f3f8e-6c1e-4a57-9a55-3d9f0f1f2c11",
            "receipt_number": "E-LAPKIN/2026/00012",
            "service_code": "E-LAPKIN",
            "unit": "DISDIK",
            "title": "Rekap SKP Oktober",
            "period": "2026-10",
            "submitted_at": "2026-11-23T02:14:05.123456Z",
            "status": "DIPROSES",
            "current_step": "VERIFIKASI",
            "holder_role": "unit-pengolah",
            "due_at": "2026-11-30T09:00:00Z",
            "step_due_at": "2026-11-24T09:00:00Z",
            "replaces": None,
            "replaced_by": None,
        }
    ],
    "next_cursor": CURSOR,
}
CATALOGUE = [{"code": "E-LAPKIN", "name": "Pengelolaan E-LAPKIN"}]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (3, "3"),
        (1234567, "1.234.567"),
        (50.0, "50"),
        (83.33, "83,33"),
        (1234.5, "1.234,5"),
        (5.25, "5,25"),
        (None, "-"),
        ("50", "-"),
        (True, "-"),
    ],
)
def test_figures_are_written_the_indonesian_way(value: Any, shown: str) -> None:
    assert number(value) == shown


def test_routings_statistics_become_one_row_per_service_and_the_totals() -> None:
    found = volumes(STATISTICS)
    first, portal = found.rows
    assert (
        first.name,
        first.sla_target,
        first.received,
        first.on_time,
        first.compliance,
        first.median_hours,
    ) == (
        "Pengelolaan E-LAPKIN",
        "1 Hari",
        "3",
        "1 dari 2",
        "50%",
        "5,25",
    )
    # Nothing completed with a target: no compliance figure, not 0%.
    assert (portal.received, portal.compliance, portal.median_hours) == ("1.234", "-", "-")
    assert found.total is not None
    assert (found.total.name, found.total.received, found.total.compliance) == (
        "Semua layanan",
        "1.237",
        "50%",
    )
    assert percent(None) == "-"


def test_the_ikm_summary_is_shown_newest_semester_first() -> None:
    second, first = ikm_periods(IKM_SUMMARY)
    assert (second.label, first.label) == ("Semester II 2026", "Semester I 2026")
    assert second.overall is not None
    assert (second.overall.ikm, second.overall.grade, second.overall.respondents) == ("83,33", "B", "3")
    assert [(s.name, s.ikm, s.grade_label) for s in second.services] == [
        ("Pengelolaan E-LAPKIN", "87,5", "Baik")
    ]
    assert ikm_periods({"year": 2026, "periods": []}) == []


@pytest.mark.parametrize("answer", [None, [], {"year": 2026}, {"services": "semua"}])
def test_statistics_of_another_shape_are_unreadable_not_zero(answer: Any) -> None:
    with pytest.raises(FiguresUnreadable):
        volumes(answer)


@pytest.mark.parametrize("answer", [None, [], {"year": 2026}, {"periods": {}}])
def test_an_ikm_summary_of_another_shape_is_unreadable_not_empty(answer: Any) -> None:
    with pytest.raises(FiguresUnreadable):
        ikm_periods(answer)


@dataclass
class Backends:
    """What each fake service answers; None: the service cannot be reached."""

    statistics: Any = field(default_factory=lambda: STATISTICS)
    ikm: Any = field(default_factory=lambda: IKM_SUMMARY)
    submissions: Any = field(default_factory=lambda: SUBMISSION_PAGE)
    calls: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path, host = request.url.path, request.url.host
        answers: dict[tuple[str, str], Any] = {
            ("routing.test", "/api/v1/statistics"): self.statistics,
            ("complaints.test", "/api/v1/ikm/summary"): self.ikm,
            ("intake.test", "/api/v1/catalogue"): CATALOGUE,
            ("intake.test", "/api/v1/submissions"): self.submissions,
        }
        if (host, path) not in answers:
            return httpx.Response(404, json={"code": "NOT_FOUND", "message": "Tidak ditemukan."})
        answer = answers[(host, path)]
        if answer is None:
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


@dataclass
class Console:
    client: httpx.AsyncClient
    backends: Backends
    uow: InMemoryConsoleUnitOfWork
    jwks: Path

    async def sign_in(self) -> None:
        found = _CSRF.search((await self.client.get("/masuk")).text)
        assert found is not None
        answer = await self.client.post(
            "/masuk", data={"csrf_token": found.group(1), "username": "disdik", "password": PASSWORD}
        )
        assert answer.status_code == 303


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Callable[[Backends], Console]]:
    keys = write_key_pair(tmp_path / "auth")
    uow = InMemoryConsoleUnitOfWork()
    await service.save_user(
        uow,
        HASHER,
        username="disdik",
        name="Disdik",
        password=PASSWORD,
        roles=[Role.PERANGKAT_DAERAH],
        unit="DISDIK",
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
        clock=lambda: NOW,
    )
    clients: list[httpx.AsyncClient] = []

    def build(backends: Backends) -> Console:
        backend = httpx.AsyncClient(transport=httpx.MockTransport(backends))
        intake = IntakeApi(backend, "http://intake.test")
        routing = RoutingApi(backend, "http://routing.test")
        app = FastAPI()
        app.include_router(session_pages.build_router(web, HASHER, LockoutPolicy(3, timedelta(minutes=15))))
        app.include_router(
            public_pages.build_router(
                web, intake, Dashboard(routing, ComplaintsApi(backend, "http://complaints.test"))
            )
        )
        app.include_router(applicant_pages.build_router(web, intake, routing))
        install_page_errors(app, web)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://console.test")
        clients.extend([backend, client])
        return Console(client, backends, uow, keys.jwks)

    yield build
    for c in clients:
        await c.aclose()


async def test_the_dashboard_shows_volumes_sla_compliance_and_ikm_without_sign_in(
    console: Callable[[Backends], Console],
) -> None:
    c = console(Backends())
    page = await c.client.get("/dasbor")
    assert page.status_code == 200
    text = page.text
    for shown in (
        "Pengelolaan E-LAPKIN",
        "1 dari 2",
        "50%",
        "5,25",
        "1.237",
        "Semester II 2026",
        "83,33",
        "87,5",
    ):
        assert shown in text, shown
    assert "Data belum tersedia" not in text
    asked = {(r.url.host, r.url.path): r for r in c.backends.calls}
    assert asked[("routing.test", "/api/v1/statistics")].url.params["year"] == "2026"
    assert "authorization" not in asked[("complaints.test", "/api/v1/ikm/summary")].headers  # public


async def test_an_unreachable_service_is_data_belum_tersedia_and_the_rest_still_shows(
    console: Callable[[Backends], Console],
) -> None:
    c = console(Backends(statistics=None))
    page = await c.client.get("/dasbor?tahun=2025")
    assert page.status_code == 200
    assert "Data belum tersedia: layanan alur kerja sedang tidak dapat dihubungi." in page.text
    assert "83,33" in page.text
    assert [r.url.params["year"] for r in c.backends.calls if r.url.path == "/api/v1/ikm/summary"] == ["2025"]

    broken = console(Backends(ikm=httpx.Response(502, text="Bad Gateway"), statistics={"unexpected": True}))
    page = await broken.client.get("/dasbor")
    assert page.text.count("Data belum tersedia") == 2
    quiet = console(Backends(ikm={"year": 2026, "periods": []}))
    assert "Belum ada jawaban survei kepuasan pada tahun 2026." in (await quiet.client.get("/dasbor")).text


@pytest.mark.parametrize("tahun", ["1999", "2028", "abc", "-1"])
async def test_a_year_out_of_range_shows_this_year(
    console: Callable[[Backends], Console], tahun: str
) -> None:
    c = console(Backends())
    assert (await c.client.get("/dasbor", params={"tahun": tahun})).status_code == 200
    assert {r.url.params["year"] for r in c.backends.calls if r.url.path == "/api/v1/statistics"} == {"2026"}


async def test_an_applicant_sees_its_units_submissions_from_intakes_list(
    console: Callable[[Backends], Console],
) -> None:
    c = console(Backends())
    await c.sign_in()
    page = await c.client.get("/pengajuan")
    assert page.status_code == 200
    assert "E-LAPKIN/2026/00012" in page.text
    assert "DIPROSES" in page.text
    assert "/pengajuan?halaman=1763864045123456_0b6f3f8e6c1e4a579a553d9f0f1f2c11" in page.text
    (listed,) = [r for r in c.backends.calls if r.url.path == "/api/v1/submissions"]
    principal = TokenVerifier(JwksFileSource.from_file(c.jwks)).verify(
        listed.headers["authorization"].removeprefix("Bearer ")
    )
    assert (principal.roles, principal.unit) == (frozenset({Role.PERANGKAT_DAERAH}), "DISDIK")
    await c.client.get("/pengajuan", params={"halaman": CURSOR})
    following = [r for r in c.backends.calls if r.url.path == "/api/v1/submissions"][-1]
    assert following.url.params["cursor"] == CURSOR


async def test_without_intakes_list_the_console_lists_what_the_unit_sent_through_it(
    console: Callable[[Backends], Console],
) -> None:
    c = console(
        Backends(submissions=httpx.Response(405, json={"code": "METHOD_NOT_ALLOWED", "message": "x"}))
    )
    await service.remember_submission(
        c.uow,
        SubmissionEntry(
            submission_id="5e1d0867-d881-44c7-a0ee-6ea5e2413244",
            unit="DISDIK",
            receipt_number="E-LAPKIN/2026/00001",
            service_code="E-LAPKIN",
            title="Rekap lama",
            submitted_at=NOW,
        ),
    )
    await c.sign_in()
    page = await c.client.get("/pengajuan")
    assert page.status_code == 200
    assert "Rekap lama" in page.text
    assert "tidak dapat dimuat" in page.text  # intake's lookup of it answered 404 here
