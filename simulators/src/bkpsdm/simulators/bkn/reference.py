"""Reference data the gateway serves and validates against (SIASN referensi shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Unor(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    nama: str
    diatasanId: str | None = None


class Jabatan(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    nama: str
    jenis: Literal["STRUKTURAL", "FUNGSIONAL", "PELAKSANA"]


class TingkatPendidikan(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    nama: str


# SIASN unor ids are 32 hex digits; these are made up for one regency.
_SEKDA = "E5E2FE9F96125A7E9D68B964699A360A"
DEFAULT_UNOR: tuple[Unor, ...] = (
    Unor(id=_SEKDA, nama="Sekretariat Daerah"),
    Unor(
        id="9714763D57E75F588F50090AA503C9FA",
        nama="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        diatasanId=_SEKDA,
    ),
    Unor(id="06AFF2C7647E5DC89D95213DD092FE0B", nama="Dinas Kesehatan", diatasanId=_SEKDA),
    Unor(id="47E44B7FA3375CDAA88805CBD163B986", nama="Dinas Pendidikan", diatasanId=_SEKDA),
    Unor(
        id="93F6C2A9CA5B507485B8690C6AF2CCE5",
        nama="Badan Perencanaan Pembangunan Daerah",
        diatasanId=_SEKDA,
    ),
    Unor(id="8D2501CA8B775137B5A1D471149DE098", nama="Rumah Sakit Umum Daerah", diatasanId=_SEKDA),
)

DEFAULT_JABATAN: tuple[Jabatan, ...] = (
    Jabatan(id="21CF3F616B3852A2A2DB8ADF95E6C404", nama="Kepala Badan", jenis="STRUKTURAL"),
    Jabatan(id="8BD8AB150A0850A8840C8E716B4632F1", nama="Analis Kepegawaian Ahli Muda", jenis="FUNGSIONAL"),
    Jabatan(id="2D07B2FD7B4A548288F711BA6DD8AA06", nama="Dokter Ahli Pertama", jenis="FUNGSIONAL"),
    Jabatan(id="4613804CF2BD5C689C1ABB16F0B65D07", nama="Guru Ahli Pertama", jenis="FUNGSIONAL"),
    Jabatan(id="7919B7415BA45AD4BB8FB9672AFAC2AB", nama="Pengadministrasi Perkantoran", jenis="PELAKSANA"),
)

# DOMAIN.md, IP-ASN: education codes as SIASN uses them
DEFAULT_PENDIDIKAN: tuple[TingkatPendidikan, ...] = (
    TingkatPendidikan(id="05", nama="SD"),
    TingkatPendidikan(id="10", nama="SLTP"),
    TingkatPendidikan(id="15", nama="SLTA"),
    TingkatPendidikan(id="20", nama="D-I"),
    TingkatPendidikan(id="25", nama="D-II"),
    TingkatPendidikan(id="30", nama="D-III"),
    TingkatPendidikan(id="35", nama="D-IV"),
    TingkatPendidikan(id="40", nama="S-1"),
    TingkatPendidikan(id="42", nama="Profesi"),
    TingkatPendidikan(id="45", nama="S-2"),
    TingkatPendidikan(id="47", nama="Sp-1"),
    TingkatPendidikan(id="49", nama="Subspesialis"),
    TingkatPendidikan(id="50", nama="S-3"),
)
