"""Refusals as pages: the console's own and the services' (their code and Indonesian message),
a page that needs a session sends the browser to sign in, and every answer gets the headers
that keep the pages from being framed or from loading anything from elsewhere."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import COMMON_ERRORS, STATUS_OF_PROBLEM, error_response
from bkpsdm.console.adapters.services import ServiceRefused
from bkpsdm.console.entrypoints.web import SignInRequired, Web, redirect

# Paths machines read answer in JSON like every service (the console has no /api of its own).
_MACHINE_PATHS = ("/health", "/metrics", "/.well-known", "/static", "/api/")
_TITLES = {
    401: "Perlu masuk",
    403: "Tidak diizinkan",
    404: "Tidak ditemukan",
    409: "Bertentangan dengan data",
    413: "Terlalu besar",
    503: "Layanan sedang tidak tersedia",
}
SECURITY_HEADERS = [
    # Every script, style and image comes from the console itself: no CDN, no inline script.
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
        b" frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def install_page_errors(app: FastAPI, web: Web) -> None:
    def page(request: Request, status: int, message: str, code: str | None) -> Response:
        viewer = getattr(request.state, "viewer", None)
        return web.render(
            request,
            "galat.html",
            viewer,
            {
                "title": _TITLES.get(status, "Permintaan tidak dapat diproses"),
                "message": message,
                "code": code,
                "back": None,
            },
            status_code=status,
        )

    async def on_sign_in_required(request: Request, _: Exception) -> Response:
        back = request.url.path if request.method == "GET" else ""
        return redirect(f"/masuk?lanjut={quote(back)}" if back else "/masuk")

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return page(request, STATUS_OF_PROBLEM[exc.error.problem], exc.error.message, exc.error.code)

    async def on_service_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceRefused)
        refusal = exc.refusal
        # A 401 here means a service does not trust the console's tokens: say so, do not loop
        # through the sign-in page.
        status = refusal.status if 400 <= refusal.status < 500 else 503
        return page(request, status, refusal.message, refusal.code)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(_MACHINE_PATHS):
            known = {e.status: e for e in COMMON_ERRORS.values()}.get(exc.status_code)
            if known is not None:
                return error_response(known)
            return JSONResponse({"code": "HTTP_ERROR"}, status_code=exc.status_code)
        message = (
            "Halaman yang Anda cari tidak ada."
            if exc.status_code == 404
            else "Permintaan tidak dapat diproses."
        )
        return page(request, exc.status_code, message, None)

    async def on_validation(request: Request, _: Exception) -> Response:
        return page(request, 422, COMMON_ERRORS["REQUEST_INVALID"].message, "REQUEST_INVALID")

    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(ServiceRefused, on_service_refused)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
