"""FastAPI dependencies: the caller from `Authorization: Bearer`, and role checks."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime, and the
# dependencies below are closures whose annotations name local values.
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bkpsdm.common.auth.errors import FORBIDDEN_ROLE, TOKEN_MISSING, AuthError
from bkpsdm.common.auth.roles import Principal, Role
from bkpsdm.common.auth.tokens import TokenVerifier
from bkpsdm.common.http import error_response

# auto_error=False: a missing token is answered by us (TOKEN_MISSING, in Indonesian), not by FastAPI.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="Token JWT dari penerbit BKPSDM: `Authorization: Bearer <token>`.",
)

Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


@cache
def principal_dependency(verifier: TokenVerifier) -> Callable[..., Principal]:
    """`Annotated[Principal, Depends(principal_dependency(verifier))]` in a route signature.

    One function per verifier, so FastAPI verifies a token once per request even when a route
    also depends on require_roles.
    """

    # A plain def: FastAPI runs it in a worker thread, where a JWKS fetch may block.
    def current_principal(credentials: Credentials) -> Principal:
        if credentials is None:
            raise AuthError(TOKEN_MISSING)
        return verifier.verify(credentials.credentials)

    return current_principal


def _allowed(roles: tuple[Role, ...]) -> Callable[[Principal], Principal]:
    if not roles:
        raise ValueError("a role check needs at least one role")
    allowed = tuple(Role(r) for r in roles)

    def check(principal: Principal) -> Principal:
        if not principal.has_any(*allowed):
            raise AuthError(FORBIDDEN_ROLE, details={"required_roles": [r.value for r in allowed]})
        return principal

    return check


def require_roles(verifier: TokenVerifier, *roles: Role) -> Callable[..., Principal]:
    """The caller if they hold any of `roles`; 403 FORBIDDEN_ROLE otherwise."""
    check = _allowed(roles)
    current_principal = principal_dependency(verifier)

    def principal_with_role(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        return check(principal)

    return principal_with_role


def signed_in(verifier: TokenVerifier, *roles: Role) -> Callable[..., Awaitable[Principal]]:
    """`require_roles` as a coroutine: a token the verifier has seen before is looked up on
    the event loop, without the two worker-thread hops (0.1 to 0.3 ms each) that FastAPI
    gives a plain-function dependency; only a new token is verified in a thread (a JWKS
    fetch may block). Same answers: 401 TOKEN_*, 403 FORBIDDEN_ROLE, 503 AUTH_UNAVAILABLE."""
    check = _allowed(roles)

    async def principal_with_role(credentials: Credentials) -> Principal:
        if credentials is None:
            raise AuthError(TOKEN_MISSING)
        token = credentials.credentials
        principal = verifier.cached(token)
        if principal is None:
            principal = await run_in_threadpool(verifier.verify, token)
        return check(principal)

    return principal_with_role


def install_auth_error_handler(app: FastAPI) -> None:
    """Answers AuthError with its headers (WWW-Authenticate); the generic ApiError handler drops them.

    Starlette picks the handler of the most specific class, so this wins over ApiError's.
    """

    async def on_auth_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)
        return error_response(exc.error, exc.details, headers=exc.headers)

    app.add_exception_handler(AuthError, on_auth_error)
