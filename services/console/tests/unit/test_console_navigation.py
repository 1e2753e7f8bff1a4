"""Each role's menu and first page: nothing offered that its services would refuse."""

from __future__ import annotations

import pytest

from bkpsdm.common.auth import Role
from bkpsdm.console.domain.navigation import home, menu
from bkpsdm.console.domain.users import HUMAN_ROLES


@pytest.mark.parametrize(
    ("role", "first_page", "own_pages"),
    [
        (Role.PETUGAS_ADMINISTRASI, "/kotak-masuk", {"/kotak-masuk"}),
        (Role.KEPALA_BADAN, "/kotak-masuk", {"/kotak-masuk"}),
        (Role.UNIT_PENGOLAH, "/kotak-masuk", {"/kotak-masuk", "/pengaduan"}),
        (Role.SEKRETARIS, "/kotak-masuk", {"/kotak-masuk", "/pengaduan"}),
        (Role.PETUGAS_TEKNIS, "/kotak-masuk", {"/kotak-masuk", "/mesin-absensi"}),
        (Role.PENGELOLA_PENGADUAN, "/pengaduan", {"/pengaduan"}),
        (Role.PERANGKAT_DAERAH, "/pengajuan", {"/pengajuan", "/kotak-masuk"}),
    ],
)
def test_each_role_starts_on_its_own_work(role: Role, first_page: str, own_pages: set[str]) -> None:
    assert home({role}) == first_page
    pages = {p.path for p in menu({role})}
    assert pages == own_pages | {"/katalog", "/dasbor"}


def test_every_human_role_has_a_page_of_its_own() -> None:
    for role in HUMAN_ROLES:
        assert home({role}) != "/katalog", role


def test_anonymous_visitors_see_only_public_pages() -> None:
    assert {p.path for p in menu(())} == {"/katalog", "/dasbor"}
    assert home(()) == "/katalog"
