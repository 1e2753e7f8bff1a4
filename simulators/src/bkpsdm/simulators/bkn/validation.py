"""Per-record validation of SKP and IP-ASN saves, with BKN-style field errors in Bahasa Indonesia."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bkpsdm.simulators._http import JsonInt

# DOMAIN.md, SKP predikat (PermenPANRB 6/2022): (hasil kerja, perilaku) -> kuadran, SIASN codes
# (rating 1 Di Atas, 2 Sesuai, 3 Di Bawah Ekspektasi). The explicit table, not a max() of the two.
KUADRAN_BY_RATINGS: dict[tuple[int, int], int] = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 4,
    (2, 1): 2,
    (2, 2): 2,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 3,
    (3, 3): 5,
}
KUADRAN_NAMA: dict[int, str] = {
    1: "Sangat Baik",
    2: "Baik",
    3: "Butuh Perbaikan",
    4: "Kurang",
    5: "Sangat Kurang",
}
RATING_NAMA: dict[int, str] = {1: "Di Atas Ekspektasi", 2: "Sesuai Ekspektasi", 3: "Di Bawah Ekspektasi"}

# DOMAIN.md, IP-ASN (Permenpan-RB 38/2018): dimension maxima and half-open category bands on the total
DIMENSI_MAKS: dict[str, float] = {
    "nilaiKualifikasi": 25.0,
    "nilaiKompetensi": 40.0,
    "nilaiKinerja": 30.0,
    "nilaiDisiplin": 5.0,
}
KATEGORI_BANDS: tuple[tuple[float, str], ...] = (
    (90.0, "Sangat Tinggi"),
    (80.0, "Tinggi"),
    (70.0, "Sedang"),
    (60.0, "Rendah"),
)
KATEGORI_TERENDAH = "Sangat Rendah"
TOTAL_TOLERANCE = 0.01
# DOMAIN.md, older numeric SKP (PP 46/2011): nilai prestasi kerja = 60% SKP + 40% behaviour
PP46_SKP_WEIGHT = 0.6
PP46_PERILAKU_WEIGHT = 0.4

_NIP = re.compile(r"[0-9]{18}")  # not \d: it accepts non-ASCII digits
_PERIODE = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class ReferenceIds:
    unor: frozenset[str]
    jabatan: frozenset[str]
    pendidikan: frozenset[str]


class _Record(BaseModel):
    # strict: the JSON types the OpenAPI schema states (true is no rating, "2023" no year)
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=True)


class SkpSave(_Record):
    nip: str
    tahun: JsonInt
    hasilKinerjaNilai: JsonInt
    perilakuKerjaNilai: JsonInt
    kuadranKinerjaNilai: JsonInt
    unorId: str
    jabatanId: str | None = None
    penilaiNama: str = Field(min_length=1)
    penilaiNipNrp: str = Field(min_length=1)
    penilaiJabatan: str = Field(min_length=1)
    penilaiUnorNama: str = Field(min_length=1)
    penilaiGolongan: str = Field(min_length=1)
    statusPenilai: Literal["ASN", "NON ASN"] = "ASN"
    id: str | None = None
    path: list[dict[str, Any]] = Field(default_factory=list)


class SkpPp46Save(_Record):
    """An SKP of the older numeric scale (PP 46/2011): 60% SKP + 40% work behaviour."""

    nip: str
    tahun: JsonInt
    nilaiSkp: float | None = None
    nilaiPerilakuKerja: float | None = None
    nilaiPrestasiKerja: float
    unorId: str
    jabatanId: str | None = None
    penilaiNama: str = Field(min_length=1)
    penilaiNipNrp: str = Field(min_length=1)
    penilaiJabatan: str = Field(min_length=1)
    penilaiUnorNama: str = Field(min_length=1)
    penilaiGolongan: str = Field(min_length=1)
    statusPenilai: Literal["ASN", "NON ASN"] = "ASN"


class IpAsnSave(_Record):
    nip: str
    periode: str
    unorId: str
    jabatanId: str | None = None
    tingkatPendidikanId: str | None = None
    nilaiKualifikasi: float
    nilaiKompetensi: float
    nilaiKinerja: float
    nilaiDisiplin: float
    nilaiTotal: float
    kategori: str


def kuadran_for(hasil: int, perilaku: int) -> int:
    return KUADRAN_BY_RATINGS[(hasil, perilaku)]


def kategori_for(total: float) -> str:
    for lower_exclusive, kategori in KATEGORI_BANDS:
        if total > lower_exclusive:
            return kategori
    return KATEGORI_TERENDAH


def _structure_errors(exc: ValidationError) -> list[FieldError]:
    errors: list[FieldError] = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "body"
        if err["type"] == "missing":
            errors.append(FieldError(field, "FIELD_REQUIRED", f"{field} wajib diisi"))
        elif err["type"] == "string_too_short":
            errors.append(FieldError(field, "FIELD_REQUIRED", f"{field} tidak boleh kosong"))
        elif err["type"] == "literal_error":
            errors.append(FieldError(field, "FIELD_INVALID", f"{field} harus salah satu dari: ASN, NON ASN"))
        else:
            errors.append(FieldError(field, "FIELD_TYPE", f"{field} bertipe data tidak sesuai"))
    return errors


def _nip_errors(field: str, value: str) -> list[FieldError]:
    if _NIP.fullmatch(value):
        return []
    return [FieldError(field, "NIP_INVALID", "NIP harus 18 digit angka")]


def _reference_errors(ids: ReferenceIds, unor_id: str, jabatan_id: str | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if unor_id not in ids.unor:
        errors.append(FieldError("unorId", "UNOR_NOT_FOUND", "Unit kerja (unorId) tidak dikenal"))
    if jabatan_id is not None and jabatan_id not in ids.jabatan:
        errors.append(FieldError("jabatanId", "JABATAN_NOT_FOUND", "Jabatan (jabatanId) tidak dikenal"))
    return errors


def validate_skp(
    body: dict[str, Any], ids: ReferenceIds, min_tahun: int, max_tahun: int
) -> tuple[SkpSave | None, list[FieldError]]:
    try:
        skp = SkpSave.model_validate(body)
    except ValidationError as exc:
        return None, _structure_errors(exc)
    errors = _nip_errors("nip", skp.nip)
    if skp.statusPenilai == "ASN":
        errors += _nip_errors("penilaiNipNrp", skp.penilaiNipNrp)
    if not min_tahun <= skp.tahun <= max_tahun:
        errors.append(
            FieldError("tahun", "TAHUN_OUT_OF_RANGE", f"Tahun harus antara {min_tahun} dan {max_tahun}")
        )
    ratings_ok = True
    for field, value in (
        ("hasilKinerjaNilai", skp.hasilKinerjaNilai),
        ("perilakuKerjaNilai", skp.perilakuKerjaNilai),
    ):
        if value not in RATING_NAMA:
            ratings_ok = False
            errors.append(
                FieldError(
                    field,
                    "RATING_OUT_OF_RANGE",
                    "Nilai harus 1 (Di Atas Ekspektasi), 2 (Sesuai Ekspektasi) atau 3 (Di Bawah Ekspektasi)",
                )
            )
    if skp.kuadranKinerjaNilai not in KUADRAN_NAMA:
        errors.append(
            FieldError("kuadranKinerjaNilai", "KUADRAN_OUT_OF_RANGE", "Kuadran kinerja harus 1 sampai 5")
        )
    elif ratings_ok:
        expected = kuadran_for(skp.hasilKinerjaNilai, skp.perilakuKerjaNilai)
        if skp.kuadranKinerjaNilai != expected:
            errors.append(
                FieldError(
                    "kuadranKinerjaNilai",
                    "KUADRAN_INCONSISTENT",
                    f"Kuadran kinerja tidak sesuai dengan hasil kerja dan perilaku kerja "
                    f"(seharusnya {expected} {KUADRAN_NAMA[expected]})",
                )
            )
    errors += _reference_errors(ids, skp.unorId, skp.jabatanId)
    return (None, errors) if errors else (skp, [])


def validate_skp_pp46(
    body: dict[str, Any], ids: ReferenceIds, min_tahun: int, max_tahun: int
) -> tuple[SkpPp46Save | None, list[FieldError]]:
    try:
        skp = SkpPp46Save.model_validate(body)
    except ValidationError as exc:
        return None, _structure_errors(exc)
    errors = _nip_errors("nip", skp.nip)
    if skp.statusPenilai == "ASN":
        errors += _nip_errors("penilaiNipNrp", skp.penilaiNipNrp)
    if not min_tahun <= skp.tahun <= max_tahun:
        errors.append(
            FieldError("tahun", "TAHUN_OUT_OF_RANGE", f"Tahun harus antara {min_tahun} dan {max_tahun}")
        )
    scores_ok = True
    for field in ("nilaiSkp", "nilaiPerilakuKerja", "nilaiPrestasiKerja"):
        value = getattr(skp, field)
        if value is not None and not 0.0 <= value <= 100.0:
            scores_ok = False
            errors.append(FieldError(field, "SCORE_OUT_OF_RANGE", f"{field} harus 0 sampai 100"))
    if scores_ok and skp.nilaiSkp is not None and skp.nilaiPerilakuKerja is not None:
        expected = PP46_SKP_WEIGHT * skp.nilaiSkp + PP46_PERILAKU_WEIGHT * skp.nilaiPerilakuKerja
        if abs(expected - skp.nilaiPrestasiKerja) > TOTAL_TOLERANCE:
            errors.append(
                FieldError(
                    "nilaiPrestasiKerja",
                    "PRESTASI_MISMATCH",
                    f"nilaiPrestasiKerja harus 60% nilaiSkp + 40% nilaiPerilakuKerja ({expected:g})",
                )
            )
    errors += _reference_errors(ids, skp.unorId, skp.jabatanId)
    return (None, errors) if errors else (skp, [])


def validate_ipasn(
    body: dict[str, Any], ids: ReferenceIds, min_tahun: int, max_tahun: int
) -> tuple[IpAsnSave | None, list[FieldError]]:
    try:
        ipasn = IpAsnSave.model_validate(body)
    except ValidationError as exc:
        return None, _structure_errors(exc)
    errors = _nip_errors("nip", ipasn.nip)
    if not _PERIODE.fullmatch(ipasn.periode) or not min_tahun <= int(ipasn.periode) <= max_tahun:
        errors.append(
            FieldError(
                "periode", "PERIODE_INVALID", f"Periode harus tahun (YYYY) antara {min_tahun} dan {max_tahun}"
            )
        )
    if ipasn.tingkatPendidikanId is not None and ipasn.tingkatPendidikanId not in ids.pendidikan:
        errors.append(
            FieldError("tingkatPendidikanId", "PENDIDIKAN_NOT_FOUND", "Tingkat pendidikan tidak dikenal")
        )
    scores_ok = True
    for field, maximum in DIMENSI_MAKS.items():
        value = getattr(ipasn, field)
        if not 0.0 <= value <= maximum:
            scores_ok = False
            errors.append(FieldError(field, "SCORE_OUT_OF_RANGE", f"{field} harus 0 sampai {maximum:g}"))
    if not 0.0 <= ipasn.nilaiTotal <= 100.0:
        errors.append(FieldError("nilaiTotal", "SCORE_OUT_OF_RANGE", "nilaiTotal harus 0 sampai 100"))
    else:
        total = sum(getattr(ipasn, field) for field in DIMENSI_MAKS)
        if scores_ok and abs(total - ipasn.nilaiTotal) > TOTAL_TOLERANCE:
            errors.append(
                FieldError(
                    "nilaiTotal",
                    "TOTAL_MISMATCH",
                    f"nilaiTotal harus sama dengan jumlah keempat dimensi ({total:g})",
                )
            )
        expected = kategori_for(ipasn.nilaiTotal)
        if ipasn.kategori != expected:
            errors.append(
                FieldError(
                    "kategori",
                    "KATEGORI_INCONSISTENT",
                    f"Kategori tidak sesuai dengan nilai total (seharusnya {expected})",
                )
            )
    errors += _reference_errors(ids, ipasn.unorId, ipasn.jabatanId)
    return (None, errors) if errors else (ipasn, [])
