"""Which pages a signed-in person sees in the menu, and where signing in takes them. The pages
never offer what the services would refuse, so these sets follow the services' own role checks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bkpsdm.common.auth import Role

# Officials who work cases in routing's inboxes (the service standards' steps).
CASE_WORKERS = frozenset(
    {
        Role.PETUGAS_ADMINISTRASI,
        Role.KASUBBAG_UMUM,
        Role.SEKRETARIS,
        Role.KEPALA_BADAN,
        Role.KEPALA_BIDANG,
        Role.UNIT_PENGOLAH,
        Role.PETUGAS_TEKNIS,
        Role.PENGOLAH_DATA,
    }
)
APPLICANTS = frozenset({Role.PERANGKAT_DAERAH})
TECHNICIANS = frozenset({Role.PETUGAS_TEKNIS})  # attendance-gateway's terminal registry and board
# The complaints officer, and the officials a complaint is disposed to (complaints' READERS).
COMPLAINTS_DESK = frozenset(
    {Role.PENGELOLA_PENGADUAN, Role.SEKRETARIS, Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH}
)


@dataclass(frozen=True)
class Page:
    path: str
    label: str
    roles: frozenset[Role] | None  # None: public


# In menu order; a person's first page of their own is where signing in takes them.
PAGES = (
    Page("/pengajuan", "Pengajuan", APPLICANTS),
    # Applicant units hold steps too (confirming a repaired terminal), so they have an inbox.
    Page("/kotak-masuk", "Kotak Masuk", CASE_WORKERS | APPLICANTS),
    Page("/pengaduan", "Pengaduan", COMPLAINTS_DESK),
    Page("/mesin-absensi", "Mesin Absensi", TECHNICIANS),
    Page("/katalog", "Katalog Layanan", None),
    Page("/dasbor", "Dasbor Publik", None),
)


def may_open(page: Page, roles: Collection[Role]) -> bool:
    return page.roles is None or not page.roles.isdisjoint(roles)


def menu(roles: Collection[Role]) -> tuple[Page, ...]:
    return tuple(p for p in PAGES if may_open(p, roles))


def home(roles: Collection[Role]) -> str:
    """The first page of a person's work: the first in the menu that is not public."""
    own = [p for p in menu(roles) if p.roles is not None]
    return own[0].path if own else "/katalog"
