"""Demo accounts, one per role of the service standards (seeds 000-004) and two applicant units,
for the local demo and the browser tests. Never seeded unless asked (`users seed-demo`)."""

from __future__ import annotations

from dataclasses import dataclass

from bkpsdm.common.auth import Role

DEMO_PASSWORD = "demo-bkpsdm-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: Role
    unit: str | None = None


DEMO_USERS = (
    DemoUser("admin.desk", "Rina Petugas Administrasi", Role.PETUGAS_ADMINISTRASI),
    DemoUser("kasubbag", "Hendra Kasubbag Umum", Role.KASUBBAG_UMUM),
    DemoUser("sekretaris", "Sri Sekretaris", Role.SEKRETARIS),
    DemoUser("kaban", "Bambang Kepala Badan", Role.KEPALA_BADAN),
    # Units as routing's workflow definitions name them (services/routing/.../workflows).
    DemoUser("kabid", "Yuliana Kepala Bidang PKA-PKK", Role.KEPALA_BIDANG, "BIDANG-PKA-PKK"),
    DemoUser("analis", "Agus Analis Kepegawaian", Role.UNIT_PENGOLAH, "BIDANG-PKA-PKK"),
    DemoUser("kabid.informasi", "Rudi Kepala Bidang Informasi", Role.KEPALA_BIDANG, "BIDANG-INFORMASI"),
    DemoUser("teknisi", "Dedi Petugas Teknis", Role.PETUGAS_TEKNIS),
    DemoUser("pengaduan", "Maria Pengelola Pengaduan", Role.PENGELOLA_PENGADUAN),
    DemoUser("pengolah.data", "Fajar Pengolah Data", Role.PENGOLAH_DATA),
    DemoUser("disdik", "Operator Dinas Pendidikan", Role.PERANGKAT_DAERAH, "DISDIK"),
    DemoUser("dinkes", "Operator Dinas Kesehatan", Role.PERANGKAT_DAERAH, "DINKES"),
)
