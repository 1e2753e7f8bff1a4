"""Tokens for tests, signed by the local issuer the services under test trust."""

from __future__ import annotations

from datetime import timedelta

from bkpsdm.common.auth import Role, issue_token
from bkpsdm.testing.infra import ensure_local_auth


def token_for(*roles: Role, unit: str | None = None, subject: str = "tester", name: str = "Penguji") -> str:
    private = (ensure_local_auth() / "private.pem").read_bytes()
    return issue_token(
        private, subject=subject, name=name, roles=list(roles), unit=unit, ttl=timedelta(hours=2)
    )


def bearer(*roles: Role, unit: str | None = None) -> dict[str, str]:
    """`Authorization` header for a caller holding `roles` (an applicant needs its `unit`)."""
    return {"Authorization": f"Bearer {token_for(*roles, unit=unit)}"}
