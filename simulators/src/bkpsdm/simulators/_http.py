"""What the simulators' HTTP apps share so their OpenAPI stays honest: a 405 naming every method of
its path, and `responses=` entries for the answers FastAPI or a simulator gives outside the route.

The simulators do not depend on libs/common (they stand in for outside systems and ship alone),
so this is the small equivalent of `bkpsdm.common.http.install_allow_header`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import BaseModel, BeforeValidator
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class AllowAllMethods:
    """`Allow` on a 405 lists every method of the requested path (RFC 9110 requires the header).

    Starlette answers from the first route whose path matches, so GET and DELETE /sim/records
    would announce one method. A concrete path is matched before a templated one, as OpenAPI
    matches them: POST /sim/reports/bulk does not also announce GET /sim/reports/{report_id}."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def allowed(self, scope: Scope) -> list[str]:
        path = scope["path"]
        concrete = [r for r in self.routes if isinstance(r, Route) and r.path == path]
        routes = concrete or self.routes
        return [
            method
            for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            starting = message["type"] == "http.response.start"
            if starting and message["status"] == 405 and (methods := self.allowed(scope)):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                headers.append((b"allow", ", ".join(methods).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_allow)


def install_allow_header(app: FastAPI) -> None:
    """Every 405 of `app` names all the methods of its path (routes added later included)."""
    app.add_middleware(AllowAllMethods, routes=app.router.routes)


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer includes 3.0, but not true or "3": strict models get exactly that
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An int field of a strict model (`ConfigDict(strict=True)`) that takes what JSON Schema calls an integer.
JsonInt = Annotated[int, BeforeValidator(_json_integer)]


class Detail(BaseModel):
    """FastAPI's own answer when it cannot read a body (400) or finds no route (404)."""

    detail: str


class ValidationErrors(BaseModel):
    """FastAPI's 422 when a parameter or body does not fit the schema."""

    detail: list[dict[str, Any]]


def response(model: Any, description: str, **extra: Any) -> dict[str, Any]:
    """One `responses=` entry: a JSON body of `model` (a model or a union of models)."""
    entry: dict[str, Any] = {"description": description, **extra}
    if model is not None:
        entry["model"] = model
    return entry


# FastAPI answers 400 when a JSON or form body cannot be parsed, before any validation.
BODY_UNREADABLE: dict[int | str, dict[str, Any]] = {
    400: response(Detail, "Isi permintaan tidak dapat dibaca (bukan JSON atau form yang sah)")
}


def form_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        },
    }
