"""The FastAPI dependencies through a tiny app: 401 with a Bearer challenge, 403, 200, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI

from bkpsdm.common.auth import Principal, Role, StaticKeySource, TokenVerifier, issue_token, unit_scope
from bkpsdm.common.auth.fastapi import install_auth_error_handler, principal_dependency, require_roles
from bkpsdm.common.http import install_error_handlers

KEY = ec.generate_private_key(ec.SECP256R1())
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
VERIFIER = TokenVerifier(
    StaticKeySource.from_public_key_pem(
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
)
Caller = Annotated[Principal, Depends(principal_dependency(VERIFIER))]
KepalaBadan = Annotated[Principal, Depends(require_roles(VERIFIER, Role.KEPALA_BADAN, Role.SEKRETARIS))]


def build_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_auth_error_handler(app)

    @app.get("/me")
    def me(caller: Caller) -> dict[str, str | None]:
        return {"subject": caller.subject, "unit": unit_scope(caller)}

    @app.post("/disposisi")
    def disposisi(caller: KepalaBadan, also: Caller) -> dict[str, str]:
        return {"by": caller.name, "same": str(also == caller)}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def bearer(*roles: Role, unit: str | None = None, issued_at: datetime | None = None) -> dict[str, str]:
    token = issue_token(PRIVATE_PEM, subject="u-1", name="Budi", roles=roles, unit=unit, issued_at=issued_at)
    return {"Authorization": f"Bearer {token}"}


async def test_missing_token_is_401_in_indonesian_with_a_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/me")
    assert response.status_code == 401
    assert response.json() == {
        "code": "TOKEN_MISSING",
        "message": "Token akses tidak ada. Silakan masuk terlebih dahulu.",
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_other_authorization_scheme_counts_as_missing_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_MISSING"


async def test_garbage_token_is_401_token_invalid(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.json() == {"code": "TOKEN_INVALID", "message": "Token akses tidak sah."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="bkpsdm", error="invalid_token"'


async def test_expired_token_is_401_token_expired(client: httpx.AsyncClient) -> None:
    headers = bearer(Role.KEPALA_BADAN, issued_at=datetime.now(UTC) - timedelta(hours=3))
    response = await client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_EXPIRED"
    assert "kedaluwarsa" in response.json()["message"]


async def test_wrong_role_is_403_forbidden_role(client: httpx.AsyncClient) -> None:
    response = await client.post("/disposisi", headers=bearer(Role.PETUGAS_ADMINISTRASI))
    assert response.status_code == 403
    assert response.json() == {
        "code": "FORBIDDEN_ROLE",
        "message": "Peran Anda tidak berwenang untuk permintaan ini.",
        "details": {"required_roles": ["kepala-badan", "sekretaris"]},
    }


async def test_right_role_is_served(client: httpx.AsyncClient) -> None:
    response = await client.post("/disposisi", headers=bearer(Role.KEPALA_BADAN))
    assert response.status_code == 200
    assert response.json() == {"by": "Budi", "same": "True"}


async def test_applicant_sees_only_its_unit_and_officials_see_all(client: httpx.AsyncClient) -> None:
    applicant = await client.get("/me", headers=bearer(Role.PERANGKAT_DAERAH, unit="DINKES"))
    official = await client.get("/me", headers=bearer(Role.UNIT_PENGOLAH, unit="BKPSDM"))
    assert applicant.json() == {"subject": "u-1", "unit": "DINKES"}
    assert official.json() == {"subject": "u-1", "unit": None}


async def test_openapi_documents_the_bearer_scheme_on_protected_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Token JWT dari penerbit BKPSDM: `Authorization: Bearer <token>`.",
    }
    assert spec["paths"]["/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/disposisi"]["post"]["security"] == [{"bearerAuth": []}]


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles(VERIFIER)
