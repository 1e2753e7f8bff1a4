"""What the provider's claims make of a person here (table-driven), and which OpenID settings
the console refuses to start with."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bkpsdm.common.auth import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.console.domain.sso import ClaimRules, SsoIdentity, map_claims
from bkpsdm.console.settings import ConsoleSettings

ISSUER = "https://sso.example.go.id/realms/pemda"
RULES = ClaimRules(
    roles_claim="groups",
    unit_claim="unit",
    role_map={
        "bkpsdm-kabid": Role.KEPALA_BIDANG,
        "bkpsdm-analis": Role.UNIT_PENGOLAH,
        "opd-pemohon": Role.PERANGKAT_DAERAH,
        "layanan": Role.INTERNAL_SERVICE,  # a careless map: still never a service
    },
)
NESTED = ClaimRules("realm_access.roles", "attributes.unit_kerja", {"sekretaris": Role.SEKRETARIS})


@pytest.mark.parametrize(
    ("claims", "rules", "roles", "unit"),
    [
        (
            {"groups": ["bkpsdm-kabid"], "unit": "BIDANG-PKA-PKK"},
            RULES,
            {Role.KEPALA_BIDANG},
            "BIDANG-PKA-PKK",
        ),
        (
            {"groups": ["pegawai", "bkpsdm-kabid", "bkpsdm-analis"]},
            RULES,
            {Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH},
            None,
        ),
        ({"groups": "bkpsdm-analis pegawai"}, RULES, {Role.UNIT_PENGOLAH}, None),  # space-separated
        ({"groups": ["opd-pemohon"], "unit": "disdik"}, RULES, {Role.PERANGKAT_DAERAH}, "DISDIK"),
        ({"groups": ["opd-pemohon"], "unit": ["DINKES", "X"]}, RULES, {Role.PERANGKAT_DAERAH}, "DINKES"),
        ({"groups": ["bkpsdm-kabid", "layanan"]}, RULES, {Role.KEPALA_BIDANG}, None),
        (
            {"realm_access": {"roles": ["sekretaris"]}, "attributes": {"unit_kerja": "SETDA"}},
            NESTED,
            {Role.SEKRETARIS},
            "SETDA",
        ),
    ],
)
def test_claims_map_to_roles_and_unit(
    claims: dict[str, Any], rules: ClaimRules, roles: set[Role], unit: str | None
) -> None:
    found = map_claims({"sub": "abc", **claims}, rules, issuer=ISSUER)
    assert (set(found.roles), found.unit) == (roles, unit)


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({}, "SSO_NO_ROLE"),
        ({"groups": []}, "SSO_NO_ROLE"),
        ({"groups": ["pegawai", "Bkpsdm-Kabid"]}, "SSO_NO_ROLE"),  # names match exactly
        ({"groups": ["layanan"]}, "SSO_NO_ROLE"),
        ({"groups": {"bkpsdm-kabid": True}}, "SSO_NO_ROLE"),  # not a shape a role list has
        ({"roles": ["bkpsdm-kabid"]}, "SSO_NO_ROLE"),  # another claim than the configured one
        ({"groups": ["opd-pemohon"]}, "SSO_UNIT_MISSING"),
        ({"groups": ["opd-pemohon"], "unit": ""}, "SSO_UNIT_MISSING"),
    ],
)
def test_claims_that_give_no_usable_role_are_refused(claims: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        map_claims({"sub": "abc", **claims}, RULES, issuer=ISSUER)
    assert refused.value.error.code == code


@pytest.mark.parametrize(
    ("claims", "name"),
    [
        ({"name": "Yuliana", "preferred_username": "yuli"}, "Yuliana"),
        ({"preferred_username": "yuli", "email": "y@x"}, "yuli"),
        ({"email": "y@x"}, "y@x"),
        ({}, "abc"),
    ],
)
def test_the_name_shown_is_the_best_the_claims_offer(claims: dict[str, Any], name: str) -> None:
    assert map_claims({"sub": "abc", "groups": ["bkpsdm-kabid"], **claims}, RULES, issuer=ISSUER).name == name


def test_an_account_is_named_by_issuer_and_subject_never_by_the_providers_username() -> None:
    def identity(issuer: str, subject: str) -> SsoIdentity:
        return SsoIdentity(issuer, subject, "N", frozenset({Role.SEKRETARIS}), None)

    first = identity(ISSUER, "123").username
    assert first.startswith("sso.")
    assert first == identity(ISSUER, "123").username
    assert len({first, identity(ISSUER, "124").username, identity("https://lain", "123").username}) == 3


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"oidc_issuer": ISSUER}, "OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ROLE_MAP"),
        (
            {"oidc_issuer": ISSUER, "oidc_client_id": "k", "oidc_client_secret": "s", "oidc_role_map": {}},
            "OIDC_ROLE_MAP",
        ),
        (
            {
                "oidc_issuer": ISSUER,
                "oidc_client_id": "k",
                "oidc_client_secret": "s",
                "oidc_role_map": {"a": "sekretaris"},
                "oidc_scopes": "profile",
            },
            "include openid",
        ),
        (
            {
                "oidc_issuer": ISSUER,
                "oidc_client_id": "k",
                "oidc_client_secret": "s",
                "oidc_role_map": {"a": "internal-service"},
            },
            "internal-service",
        ),
        ({"oidc_role_map": {"a": "raja"}}, "oidc_role_map"),
    ],
)
def test_incomplete_or_dangerous_oidc_settings_are_refused(values: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        ConsoleSettings(**values)


def test_the_role_map_is_read_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKPSDM_CONSOLE_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("BKPSDM_CONSOLE_OIDC_CLIENT_ID", "konsol")
    monkeypatch.setenv("BKPSDM_CONSOLE_OIDC_CLIENT_SECRET", "rahasia")
    monkeypatch.setenv("BKPSDM_CONSOLE_OIDC_ROLE_MAP", '{"bkpsdm-kabid": "kepala-bidang"}')
    settings = ConsoleSettings()
    assert settings.oidc_role_map == {"bkpsdm-kabid": Role.KEPALA_BIDANG}
    assert settings.oidc_allow_local_passwords is True
