"""`python -m bkpsdm.common.auth`: keygen then issue, and the token verifies with what keygen wrote."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from bkpsdm.common.auth import AuthConfig, Role, write_key_pair


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bkpsdm.common.auth", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_keygen_then_issue_round_trip(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    made = cli("keygen", "--dir", str(keys))
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert stat.S_IMODE((keys / "private.pem").stat().st_mode) == 0o600
    jwks = json.loads((keys / "jwks.json").read_text())
    assert [k["kid"] for k in jwks["keys"]] == [summary["kid"]]
    assert jwks["keys"][0]["alg"] == "ES256"
    assert "d" not in jwks["keys"][0]  # public members only

    issued = cli(
        "issue",
        "--key", str(keys / "private.pem"),
        "--sub", "199002022015032002",
        "--name", "Lestari",
        "--role", "perangkat-daerah",
        "--unit", "DINKES",
        "--ttl-minutes", "5",
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()

    for config in (AuthConfig(public_key_file=keys / "public.pem"), AuthConfig(jwks_file=keys / "jwks.json")):
        principal = config.build_verifier().verify(token)
        assert principal.roles == {Role.PERANGKAT_DAERAH}
        assert principal.unit == "DINKES"
        assert principal.name == "Lestari"


def test_keygen_keeps_an_existing_key_unless_forced(tmp_path: Path) -> None:
    first = write_key_pair(tmp_path).private_key.read_bytes()
    again = cli("keygen", "--dir", str(tmp_path))
    assert again.returncode == 2
    assert "--force" in again.stderr
    assert (tmp_path / "private.pem").read_bytes() == first
    assert cli("keygen", "--dir", str(tmp_path), "--force").returncode == 0
    assert (tmp_path / "private.pem").read_bytes() != first


def test_issue_refuses_an_applicant_without_unit_and_unknown_roles(tmp_path: Path) -> None:
    key = str(write_key_pair(tmp_path).private_key)
    no_unit = cli("issue", "--key", key, "--sub", "s", "--name", "n", "--role", "perangkat-daerah")
    assert no_unit.returncode == 2
    assert "needs a unit" in no_unit.stderr
    unknown = cli("issue", "--key", key, "--sub", "s", "--name", "n", "--role", "superuser")
    assert unknown.returncode == 2
    assert "invalid choice" in unknown.stderr
