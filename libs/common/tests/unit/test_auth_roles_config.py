"""Roles, the applicant's unit scope, and the auth configuration a service embeds."""

from __future__ import annotations

import re
from pathlib import Path

import pydantic
import pytest

from bkpsdm.common.auth import AuthConfig, Principal, Role, issue_token, unit_scope, write_key_pair


def test_roles_have_stable_lowercase_hyphen_values_and_indonesian_labels() -> None:
    assert {r.value for r in Role} == {
        "petugas-administrasi",
        "kasubbag-umum-kepegawaian-aset",
        "sekretaris",
        "kepala-badan",
        "kepala-bidang",
        "unit-pengolah",
        "petugas-teknis",
        "pengelola-pengaduan",
        "pengolah-data",
        "perangkat-daerah",
        "internal-service",
    }
    for role in Role:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", role.value)
        assert role.label[:1].isupper()
    assert Role.KASUBBAG_UMUM.label == "Kasubbag Umum, Kepegawaian dan Aset"
    assert Role("kepala-badan") is Role.KEPALA_BADAN


@pytest.mark.parametrize(
    ("roles", "unit", "scope"),
    [
        ({Role.PERANGKAT_DAERAH}, "DINKES", "DINKES"),
        ({Role.PERANGKAT_DAERAH, Role.PETUGAS_TEKNIS}, "DISDIK", "DISDIK"),  # least privilege wins
        ({Role.KEPALA_BADAN}, None, None),
        ({Role.UNIT_PENGOLAH}, "BKPSDM-PKA", None),
        ({Role.INTERNAL_SERVICE}, None, None),
    ],
)
def test_unit_scope_limits_applicants_to_their_unit(
    roles: set[Role], unit: str | None, scope: str | None
) -> None:
    assert unit_scope(Principal("s", "n", frozenset(roles), unit)) == scope


def test_an_applicant_principal_cannot_exist_without_a_unit() -> None:
    with pytest.raises(ValueError, match="needs a unit"):
        Principal("s", "n", frozenset({Role.PERANGKAT_DAERAH}), None)


def test_config_defaults_name_the_local_issuer_and_audience() -> None:
    config = AuthConfig()
    assert (config.issuer, config.audience, config.algorithms) == (
        "bkpsdm-local",
        "bkpsdm",
        ("ES256", "RS256"),
    )
    assert not config.configured
    with pytest.raises(ValueError, match="AUTH_PUBLIC_KEY_FILE"):
        config.build_verifier()


@pytest.mark.parametrize(
    "fields",
    [
        {"public_key_file": "/k/public.pem", "jwks_file": "/k/jwks.json"},
        {"jwks_url": "https://sso.example/jwks", "hs256_secret": "x" * 40},
        {"algorithms": ("ES256", "none")},
        {"algorithms": ("HS256",)},
        {"algorithms": ()},
        {"hs256_secret": "too-short"},
        {"jwks_url": "file:///etc/passwd"},
        {"leeway_s": -1},
    ],
)
def test_config_refuses_unsafe_or_ambiguous_settings(fields: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        AuthConfig.model_validate(fields)


def test_config_with_a_public_key_file_verifies_local_tokens(tmp_path: Path) -> None:
    files = write_key_pair(tmp_path)
    verifier = AuthConfig(public_key_file=files.public_key, issuer="bkpsdm-demo").build_verifier()
    token = issue_token(
        files.private_key.read_bytes(),
        subject="u",
        name="Dewi",
        roles=[Role.PENGELOLA_PENGADUAN],
        issuer="bkpsdm-demo",
    )
    assert verifier.verify(token).roles == {Role.PENGELOLA_PENGADUAN}


def test_config_with_a_jwks_file_verifies_local_tokens(tmp_path: Path) -> None:
    files = write_key_pair(tmp_path)
    verifier = AuthConfig(jwks_file=files.jwks).build_verifier()
    token = issue_token(files.private_key.read_bytes(), subject="u", name="Eko", roles=[Role.KASUBBAG_UMUM])
    assert verifier.verify(token).roles == {Role.KASUBBAG_UMUM}


def test_config_with_a_missing_key_file_fails_at_build_not_at_first_request(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        AuthConfig(public_key_file=tmp_path / "absent.pem").build_verifier()


def test_config_with_a_secret_allows_hs256_alone() -> None:
    verifier = AuthConfig(hs256_secret=pydantic.SecretStr("k" * 32)).build_verifier()
    assert verifier.algorithms == ("HS256",)
