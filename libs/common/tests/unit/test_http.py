"""The shared HTTP surface: errors in Indonesian with stable codes, health, correlation ids."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel

from bkpsdm.common.domain_errors import DomainError, ErrorSpec, Problem
from bkpsdm.common.http import (
    STATUS_OF_PROBLEM,
    ApiError,
    CorrelationAndLimitsMiddleware,
    ErrorCode,
    HealthChecks,
    HttpMetrics,
    install_error_handlers,
    install_health_and_metrics,
)

NIP_INVALID = ErrorCode("NIP_INVALID", "NIP harus 18 digit angka.", 422)


class Body(BaseModel):
    nip: str


def build_app(ready: dict[str, bool]) -> FastAPI:
    async def database() -> bool:
        return ready["database"]

    async def kafka() -> bool:
        if not ready["kafka"]:
            raise ConnectionError("broker unreachable")
        return True

    app = FastAPI()
    router = APIRouter()

    @router.post("/nip")
    async def check(body: Body) -> dict[str, str]:
        if len(body.nip) != 18:
            raise ApiError(NIP_INVALID)
        return {"nip": body.nip}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    @router.get("/database-down")
    async def database_down() -> None:
        raise ConnectionRefusedError("connect to 127.0.0.1:54320 failed")

    @router.get("/nul/{value}")
    async def nul(value: str) -> None:
        raise asyncpg.exceptions.CharacterNotInRepertoireError(
            'invalid byte sequence for encoding "UTF8": 0x00'
        )

    @router.get("/conflict")
    async def conflict() -> None:
        raise HTTPException(status_code=409)

    @router.get("/rule/{problem}")
    async def rule(problem: Problem) -> None:
        raise DomainError(ErrorSpec("RULE_SAYS_NO", "Aturan menolak permintaan ini.", problem), details=[1])

    registry = CollectorRegistry()
    Counter("example_total", "example", registry=registry).inc()
    install_error_handlers(app)
    install_health_and_metrics(app, HealthChecks({"database": database, "kafka": kafka}), registry)
    app.include_router(router)
    app.add_middleware(CorrelationAndLimitsMiddleware, max_body_bytes=1024, metrics=HttpMetrics(registry))
    return app


@pytest.fixture
async def state() -> dict[str, bool]:
    return {"database": True, "kafka": True}


@pytest.fixture
async def client(state: dict[str, bool]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(state), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_a_business_error_keeps_its_code_and_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/nip", json={"nip": "123"})
    assert response.status_code == 422
    assert response.json() == {"code": "NIP_INVALID", "message": "NIP harus 18 digit angka."}


async def test_an_unexpected_error_is_answered_in_indonesian_without_details(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert "bug" not in response.text


async def test_a_body_over_the_limit_is_refused_even_without_content_length(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b'{"nip": "' + b"1" * 400

    response = await client.post("/nip", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_correlation_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/health/live", headers={"X-Correlation-ID": "abc-123"})
    assert given.headers["x-correlation-id"] == "abc-123"
    made = await client.get("/health/live")
    assert len(made.headers["x-correlation-id"]) == 32


async def test_ready_only_when_every_dependency_answers(
    client: httpx.AsyncClient, state: dict[str, bool]
) -> None:
    assert (await client.get("/health/ready")).status_code == 200
    state["kafka"] = False
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": True, "kafka": False}}
    state["kafka"], state["database"] = True, False
    assert (await client.get("/health/ready")).json()["checks"]["database"] is False
    assert (await client.get("/health/live")).status_code == 200, "liveness does not depend on others"


async def test_metrics_are_in_prometheus_text_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "example_total 1.0" in response.text


async def test_each_request_is_logged_by_route_template_with_status_and_correlation(
    client: httpx.AsyncClient,
) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        await client.post("/nip", json={"nip": "198001012005011001"}, headers={"X-Correlation-ID": "cid-log"})
    [line] = [entry for entry in logs if entry["event"] == "http.request"]
    assert line["route"] == "/nip"
    assert line["status"] == 200
    assert line["method"] == "POST"
    assert "198001012005011001" not in str(logs), "request bodies are not logged"


async def test_an_unexpected_error_keeps_the_correlation_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom", headers={"X-Correlation-ID": "cid-500"})
    assert response.status_code == 500
    assert response.headers["x-correlation-id"] == "cid-500"


async def test_our_database_being_down_is_a_503_to_retry_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/database-down")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


async def test_a_value_the_database_refuses_is_the_requests_fault(client: httpx.AsyncClient) -> None:
    response = await client.get("/nul/a%00b")
    assert response.status_code == 422
    assert response.json()["code"] == "REQUEST_INVALID"


async def test_other_http_statuses_keep_their_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"


@pytest.mark.parametrize("given", ["x" * 129, "bad id with spaces", "<script>"])
async def test_an_unusable_correlation_id_is_replaced(client: httpx.AsyncClient, given: str) -> None:
    response = await client.get("/health/live", headers={"X-Correlation-ID": given})
    assert response.headers["x-correlation-id"] != given
    assert len(response.headers["x-correlation-id"]) == 32


@pytest.mark.parametrize("problem", list(Problem))
async def test_a_domain_error_is_mapped_to_its_status_by_the_shared_seam(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    response = await client.get(f"/rule/{problem.value}")
    assert response.status_code == STATUS_OF_PROBLEM[problem]
    assert response.json() == {
        "code": "RULE_SAYS_NO",
        "message": "Aturan menolak permintaan ini.",
        "details": [1],
    }


async def test_requests_are_counted_and_timed_per_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/rule/not_found")
    await client.get("/rule/conflict")
    text = (await client.get("/metrics")).text
    assert 'bkpsdm_http_requests_total{method="GET",route="/rule/{problem}",status="404"} 1.0' in text
    assert 'bkpsdm_http_requests_total{method="GET",route="/rule/{problem}",status="409"} 1.0' in text
    assert 'bkpsdm_http_request_duration_seconds_count{method="GET",route="/rule/{problem}"} 2.0' in text
