"""Sign-in and roles for every service: bearer JWTs verified with PyJWT.

FastAPI dependencies live in `bkpsdm.common.auth.fastapi`; `python -m bkpsdm.common.auth`
makes local keys and tokens.
"""

from bkpsdm.common.auth.config import AuthConfig
from bkpsdm.common.auth.errors import (
    AUTH_ERRORS,
    AUTH_UNAVAILABLE,
    FORBIDDEN_ROLE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    AuthError,
)
from bkpsdm.common.auth.keys import KeyFiles, public_jwk, write_key_pair
from bkpsdm.common.auth.roles import Principal, Role, unit_scope
from bkpsdm.common.auth.sources import JwksFileSource, JwksUrlSource, KeySource, StaticKeySource
from bkpsdm.common.auth.tokens import TokenVerifier, issue_token

__all__ = [
    "AUTH_ERRORS",
    "AUTH_UNAVAILABLE",
    "FORBIDDEN_ROLE",
    "TOKEN_EXPIRED",
    "TOKEN_INVALID",
    "TOKEN_MISSING",
    "AuthConfig",
    "AuthError",
    "JwksFileSource",
    "JwksUrlSource",
    "KeyFiles",
    "KeySource",
    "Principal",
    "Role",
    "StaticKeySource",
    "TokenVerifier",
    "issue_token",
    "public_jwk",
    "unit_scope",
    "write_key_pair",
]
