"""`install_allow_header`: a 405 names every method its path is served with, across routes and
routers, including routes added after the middleware was installed."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from bkpsdm.common.http import install_allow_header, install_error_handlers


def build_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_allow_header(app)
    items = APIRouter(prefix="/items")

    @items.get("")
    async def list_items() -> list[str]:
        return []

    @items.post("")
    async def add_item() -> str:
        return "ok"

    app.include_router(items)
    things = APIRouter(prefix="/things")

    @things.get("")
    async def list_things() -> list[str]:
        return []

    @things.delete("")
    async def clear_things() -> None:
        return None

    v1 = APIRouter(prefix="/v1")
    v1.include_router(things)
    app.include_router(v1)

    @app.put("/items/{item_id}")
    async def replace(item_id: str) -> str:
        return item_id

    @app.get("/items/{item_id}")
    async def read(item_id: str) -> str:
        return item_id

    return app


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/items", "GET, POST"),  # two routes on one path, from a router
        ("PATCH", "/items", "GET, POST"),
        ("POST", "/items/42", "GET, PUT"),
        (
            "PATCH",
            "/v1/things",
            "GET, DELETE",
        ),  # a router included in a router  # added after install_allow_header
    ],
)
async def test_a_405_names_every_method_of_the_path(method: str, path: str, allow: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app()), base_url="http://t"
    ) as client:
        response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_other_answers_are_left_alone() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app()), base_url="http://t"
    ) as client:
        ok = await client.get("/items")
        missing = await client.get("/elsewhere")
    assert (ok.status_code, "allow" in ok.headers) == (200, False)
    assert (missing.status_code, "allow" in missing.headers) == (404, False)
