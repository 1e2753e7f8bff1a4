"""lapkin-uploader's identity (declared once: port, settings prefix, schema, event source) and settings."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.uploads.adapters import BknTarget
from bkpsdm.common.uploads.settings import UploaderSettings
from bkpsdm.lapkin_uploader.domain.mapping import TARGET_SKP22, TARGET_SKP_PP46, Penilai

IDENTITY = ServiceIdentity("lapkin-uploader", port=8003)

_PENILAI_FIELDS = {
    "unor_id": "unorId",
    "penilai_nama": "penilaiNama",
    "penilai_nip": "penilaiNipNrp",
    "penilai_jabatan": "penilaiJabatan",
    "penilai_unor_nama": "penilaiUnorNama",
    "penilai_golongan": "penilaiGolongan",
    "status_penilai": "statusPenilai",
}
# SIASN's save endpoints and field names as public client code shows them; configuration.
DEFAULT_TARGETS = {
    TARGET_SKP22: BknTarget(
        path="/apisiasn/1.0/skp22/save",
        fields={
            "nip": "nip",
            "tahun": "tahun",
            "hasil_kerja": "hasilKinerjaNilai",
            "perilaku": "perilakuKerjaNilai",
            "kuadran": "kuadranKinerjaNilai",
            **_PENILAI_FIELDS,
        },
    ),
    TARGET_SKP_PP46: BknTarget(
        path="/apisiasn/1.0/skp/save",
        fields={
            "nip": "nip",
            "tahun": "tahun",
            "nilai_skp": "nilaiSkp",
            "nilai_perilaku": "nilaiPerilakuKerja",
            "nilai_prestasi": "nilaiPrestasiKerja",
            **_PENILAI_FIELDS,
        },
    ),
}


class PenilaiSetting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nama: str = Field(min_length=1)
    nip: str = Field(min_length=1)
    jabatan: str = Field(min_length=1)
    unor_nama: str = Field(min_length=1)
    golongan: str = Field(min_length=1)
    status: Literal["ASN", "NON ASN"] = "ASN"

    def penilai(self) -> Penilai:
        return Penilai(self.nama, self.nip, self.jabatan, self.unor_nama, self.golongan, self.status)


class LapkinUploaderSettings(UploaderSettings):
    model_config = IDENTITY.settings_config()

    bkn_targets: dict[str, BknTarget] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    predikat_rules_file: Path | None = None  # None: the bundled PermenPANRB 6/2022 + PP 46/2011 rules
    # The recap names no assessor: BKN's SKP record needs one. A placeholder for the local
    # simulator; an agency sets its own, per unit kerja (by name) where they differ.
    penilai: PenilaiSetting = PenilaiSetting(
        nama="Kepala Perangkat Daerah",
        nip="197001011995031001",
        jabatan="Kepala Perangkat Daerah",
        unor_nama="Perangkat Daerah",
        golongan="IV/c",
    )
    penilai_by_unit: dict[str, PenilaiSetting] = Field(default_factory=dict)
