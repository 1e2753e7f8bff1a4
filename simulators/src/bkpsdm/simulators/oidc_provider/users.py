"""The provider's test users: a built-in set shaped like the agency's directory, or a JSON file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

BUILTIN_PASSWORD = "sso-bkpsdm-2026"


class SsoUser(BaseModel):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    sub: str = ""  # empty: a stable UUID derived from the username
    # Everything the ID token and userinfo carry besides the protocol's own claims.
    claims: dict[str, Any] = Field(default_factory=dict)

    def subject(self) -> str:
        return self.sub or str(uuid.uuid5(uuid.NAMESPACE_URL, f"bkpsdm-sso:{self.username}"))


def _builtin(username: str, name: str, groups: list[str], unit: str | None = None) -> SsoUser:
    claims: dict[str, Any] = {
        "name": name,
        "preferred_username": username,
        "email": f"{username}@bkpsdm.example",
        "groups": groups,
    }
    if unit is not None:
        claims["unit"] = unit
    return SsoUser(username=username, password=BUILTIN_PASSWORD, claims=claims)


# Group names as an agency directory might call them; the console maps them to its roles.
BUILTIN_USERS = (
    _builtin("kabid", "Kabid PKA-PKK (SSO)", ["bkpsdm-kepala-bidang", "pegawai"], "BIDANG-PKA-PKK"),
    _builtin("admin.desk", "Petugas Administrasi (SSO)", ["bkpsdm-petugas-administrasi", "pegawai"]),
    _builtin("teknisi", "Petugas Teknis (SSO)", ["bkpsdm-petugas-teknis"]),
    _builtin("disdik", "Operator Disdik (SSO)", ["opd-pemohon"], "DISDIK"),
    _builtin("tamu", "Pegawai Tanpa Peran (SSO)", ["pegawai"]),
)
# The console's role map that fits the built-in users (BKPSDM_CONSOLE_OIDC_ROLE_MAP).
BUILTIN_ROLE_MAP = {
    "bkpsdm-kepala-bidang": "kepala-bidang",
    "bkpsdm-petugas-administrasi": "petugas-administrasi",
    "bkpsdm-petugas-teknis": "petugas-teknis",
    "opd-pemohon": "perangkat-daerah",
}

_USERS = TypeAdapter(list[SsoUser])


def load_users(source: str) -> list[SsoUser]:
    """`builtin`, or a JSON file: `[{"username", "password", "sub"?, "claims": {...}}, ...]`."""
    if source == "builtin":
        return list(BUILTIN_USERS)
    return _USERS.validate_python(json.loads(Path(source).read_text(encoding="utf-8")))
