"""Signing in and out, the start page, and the console's JWKS (the key the services trust)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console import service
from bkpsdm.console.domain import errors
from bkpsdm.console.domain.navigation import home
from bkpsdm.console.domain.users import LockoutPolicy
from bkpsdm.console.entrypoints.web import Web, redirect, safe_next
from bkpsdm.console.service import PasswordHasher


def build_router(
    web: Web,
    hasher: PasswordHasher,
    policy: LockoutPolicy,
    *,
    sso: bool = False,
    passwords: bool = True,
) -> APIRouter:
    """`sso`: the agency's provider is configured (the page offers it); `passwords`: the
    console's own accounts may sign in with a password."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def start(request: Request) -> Response:
        viewer = await web.viewer(request)
        return redirect(home(viewer.roles) if viewer else "/masuk")

    def sign_in_page(
        request: Request,
        *,
        username: str = "",
        next_path: str = "",
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        nonce, new = web.anonymous_nonce(request)
        response = web.render(
            request,
            "masuk.html",
            None,
            {
                "title": "Masuk",
                "username": username,
                "next_path": next_path,
                "error": error,
                "sso": sso,
                "passwords": passwords,
            },
            status_code=status,
            csrf_token=web.anonymous_csrf(nonce),
        )
        if new:
            web.set_anonymous(response, nonce)
        return response

    @router.get("/masuk")
    async def sign_in_form(request: Request, lanjut: str = "") -> Response:
        viewer = await web.viewer(request)
        if viewer is not None:
            return redirect(safe_next(lanjut) or home(viewer.roles))
        return sign_in_page(request, next_path=safe_next(lanjut) or "")

    @router.post("/masuk")
    async def sign_in(request: Request) -> Response:
        form = await web.checked_form(request, None)
        if not passwords:
            raise DomainError(errors.PASSWORD_SIGN_IN_DISABLED)
        username = str(form.get("username") or "")[:64]
        password = str(form.get("password") or "")[:200]
        next_path = safe_next(form.get("lanjut")) or ""
        try:
            user = await service.sign_in(
                web.unit_of_work(), hasher, username, password, now=web.clock(), policy=policy
            )
        except DomainError as refused:
            status = 403 if refused.error.code == "ACCOUNT_LOCKED" else 401
            return sign_in_page(
                request, username=username, next_path=next_path, error=refused.error.message, status=status
            )
        token = await service.open_session(web.unit_of_work(), user, now=web.clock(), ttl=web.session_ttl)
        response = redirect(next_path or home(user.roles))
        web.set_session(response, token)
        return response

    @router.post("/keluar")
    async def sign_out(request: Request) -> Response:
        viewer = await web.viewer(request)
        if viewer is not None:  # without a session there is nothing to end (nor to forge)
            await web.checked_form(request, viewer)
            await service.close_session(web.unit_of_work(), viewer.session_token)
        response = redirect("/masuk")
        web.clear_session(response)
        return response

    @router.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        # Services cache keys for minutes anyway (AuthConfig.jwks_cache_s); a rotation shows soon.
        return JSONResponse(web.issuer.jwks(), headers={"Cache-Control": "public, max-age=300"})

    return router
