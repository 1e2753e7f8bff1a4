"""Who may act: the officials of the service standards, the applicant units, other services."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    # Values are the strings tokens carry: stable, lowercase, hyphenated.
    PETUGAS_ADMINISTRASI = "petugas-administrasi"
    KASUBBAG_UMUM = "kasubbag-umum-kepegawaian-aset"
    SEKRETARIS = "sekretaris"
    KEPALA_BADAN = "kepala-badan"
    KEPALA_BIDANG = "kepala-bidang"
    UNIT_PENGOLAH = "unit-pengolah"
    PETUGAS_TEKNIS = "petugas-teknis"
    PENGELOLA_PENGADUAN = "pengelola-pengaduan"
    PENGOLAH_DATA = "pengolah-data"
    PERANGKAT_DAERAH = "perangkat-daerah"
    INTERNAL_SERVICE = "internal-service"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[Role, str] = {
    Role.PETUGAS_ADMINISTRASI: "Petugas Administrasi",
    Role.KASUBBAG_UMUM: "Kasubbag Umum, Kepegawaian dan Aset",
    Role.SEKRETARIS: "Sekretaris",
    Role.KEPALA_BADAN: "Kepala Badan",
    Role.KEPALA_BIDANG: "Kepala Bidang",
    Role.UNIT_PENGOLAH: "Unit Pengolah (Analis Kepegawaian)",
    Role.PETUGAS_TEKNIS: "Petugas Teknis",
    Role.PENGELOLA_PENGADUAN: "Pengelola Pengaduan",
    Role.PENGOLAH_DATA: "Pengolah Data (Portal Informasi)",
    Role.PERANGKAT_DAERAH: "Perangkat Daerah (Pemohon)",
    Role.INTERNAL_SERVICE: "Layanan Internal",
}


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str
    roles: frozenset[Role]
    unit: str | None = None

    def __post_init__(self) -> None:
        # Without a unit an applicant's scope would be "everything": refuse to build one.
        if Role.PERANGKAT_DAERAH in self.roles and not self.unit:
            raise ValueError("a perangkat-daerah principal needs a unit")

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


def unit_scope(principal: Principal) -> str | None:
    """The one unit whose data an applicant may see; None for officials and services (all units).

    The applicant role scopes even when other roles come with it: least privilege wins.
    Routes answer 404 (not 403) for another unit's data, so other units' ids stay unconfirmed.
    """
    return principal.unit if Role.PERANGKAT_DAERAH in principal.roles else None
