"""Signing in through the agency's OpenID Connect provider: the redirect there (state, nonce,
PKCE) and the way back, after which the person has a console session like any other and the
console signs their service tokens itself (the services trust only the console's JWKS)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import STATUS_OF_PROBLEM
from bkpsdm.console import service
from bkpsdm.console.adapters.oidc import OidcProvider
from bkpsdm.console.domain import errors
from bkpsdm.console.domain.navigation import home
from bkpsdm.console.domain.sso import ClaimRules, map_claims
from bkpsdm.console.entrypoints.web import Web, redirect, safe_next

FLOW_TTL = timedelta(minutes=10)  # time to sign in at the provider
_COOKIE = "bkpsdm_sso"


def build_router(
    web: Web, provider: OidcProvider, rules: ClaimRules, *, redirect_url: str | None
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    cookie = ("__Host-" if web.cookie_secure else "") + _COOKIE

    def forget_flow(response: Response) -> None:
        response.delete_cookie(cookie, path="/", secure=web.cookie_secure, httponly=True, samesite="lax")

    @router.get("/masuk/sso")
    async def start(request: Request, lanjut: str = "") -> Response:
        # A GET (a link): starting signs nobody in; the way back is what is bound to this browser.
        await provider.metadata()  # the provider is down: say so before keeping a flow
        redirect_uri = redirect_url or str(request.url_for("sso_callback"))
        browser_token, flow = await service.begin_sso(
            web.unit_of_work(),
            next_path=safe_next(lanjut) or "",
            redirect_uri=redirect_uri,
            now=web.clock(),
            ttl=FLOW_TTL,
        )
        url = await provider.authorization_url(
            redirect_uri=redirect_uri, state=flow.state, nonce=flow.nonce, code_verifier=flow.code_verifier
        )
        response = RedirectResponse(url, status_code=303)
        # Lax: sent along when the provider sends the browser back (a top-level GET).
        response.set_cookie(
            cookie,
            browser_token,
            max_age=int(FLOW_TTL.total_seconds()),
            path="/",
            secure=web.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    @router.get("/masuk/sso/kembali", name="sso_callback")
    async def callback(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
        browser_token = request.cookies.get(cookie, "")
        try:
            flow = await service.take_sso_flow(web.unit_of_work(), browser_token, state, now=web.clock())
            if error or not code:
                raise DomainError(errors.SSO_REFUSED)
            claims = await provider.claims(
                code=code,
                redirect_uri=flow.redirect_uri,
                code_verifier=flow.code_verifier,
                nonce=flow.nonce,
                wanted=(rules.roles_claim, rules.unit_claim),
            )
            user = await service.sso_account(
                web.unit_of_work(), map_claims(claims, rules, issuer=provider.issuer)
            )
        except DomainError as refused:
            response: Response = web.render(
                request,
                "galat.html",
                None,
                {
                    "title": "Masuk dengan SSO tidak berhasil",
                    "message": refused.error.message,
                    "code": refused.error.code,
                    "back": "/masuk",
                },
                status_code=STATUS_OF_PROBLEM[refused.error.problem],
            )
            forget_flow(response)
            return response
        token = await service.open_session(web.unit_of_work(), user, now=web.clock(), ttl=web.session_ttl)
        response = redirect(flow.next_path or home(user.roles))
        web.set_session(response, token)
        forget_flow(response)
        return response

    return router
