"""ipasn-uploader's identity (declared once: port, settings prefix, schema, event source) and settings."""

from pathlib import Path

from pydantic import Field

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.uploads.adapters import BknTarget
from bkpsdm.common.uploads.settings import UploaderSettings
from bkpsdm.ipasn_uploader.domain.mapping import TARGET

IDENTITY = ServiceIdentity("ipasn-uploader", port=8004)

# There is no public IP-ASN API: a configurable endpoint, shaped like SIASN's saves.
DEFAULT_TARGETS = {
    TARGET: BknTarget(
        path="/apisiasn/1.0/ipasn/save",
        fields={
            "nip": "nip",
            "periode": "periode",
            "unor_id": "unorId",
            "pendidikan": "tingkatPendidikanId",
            "kualifikasi": "nilaiKualifikasi",
            "kompetensi": "nilaiKompetensi",
            "kinerja": "nilaiKinerja",
            "disiplin": "nilaiDisiplin",
            "total": "nilaiTotal",
            "kategori": "kategori",
        },
    )
}


class IpasnUploaderSettings(UploaderSettings):
    model_config = IDENTITY.settings_config()

    bkn_targets: dict[str, BknTarget] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    ipasn_rules_file: Path | None = None  # None: the bundled Permenpan-RB 38/2018 rules
