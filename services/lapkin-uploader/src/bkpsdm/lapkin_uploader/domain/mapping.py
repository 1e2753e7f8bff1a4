"""A recap row (intake's E-LAPKIN column contract) to the SKP record BKN keeps per employee and
year: the predikat from the PermenPANRB 6/2022 matrix when the row has ratings (saved as an
SKP 2022 record), or from the PP 46/2011 numeric scale when it has numbers (saved as an older
numeric SKP). A row that cannot be mapped is refused with its reason before anything is sent.
The assessor (penilai) is not in the recap contract: it comes from configuration per unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.uploads import cells
from bkpsdm.common.uploads.model import (
    Cell,
    Column,
    Plan,
    Reason,
    RecapRow,
    ReportTable,
    RowPlan,
    RuleSetInfo,
)
from bkpsdm.lapkin_uploader.domain import errors
from bkpsdm.lapkin_uploader.domain.predikat import (
    RATING_CODES,
    PredikatRule,
    PredikatRules,
    SkpRow,
    derive_predikat,
)

TARGET_SKP22 = "skp22"  # PermenPANRB 6/2022: ratings and predikat (kuadran)
TARGET_SKP_PP46 = "skp-pp46"  # PP 46/2011: numeric scores

# Intake's recap contract for E-LAPKIN: canonical header first, then the aliases it accepts.
COLUMNS: tuple[Column, ...] = (
    Column("nip", ("NIP", "nip baru", "nomor induk pegawai", "nip pegawai", "ni pppk")),
    Column("nama", ("Nama", "nama pegawai", "nama lengkap", "nama asn")),
    Column("unit_kerja", ("Unit Kerja", "unit", "unor", "satuan kerja", "perangkat daerah", "opd")),
    Column("periode", ("Periode", "periode penilaian", "tahun", "tahun penilaian")),
    Column("hasil_kerja", ("Hasil Kerja", "rating hasil kerja", "nilai hasil kerja", "hasil kerja pegawai")),
    Column("perilaku", ("Perilaku Kerja", "perilaku", "rating perilaku", "rating perilaku kerja")),
    Column("predikat", ("Predikat", "predikat kinerja", "predikat skp", "kuadran", "kuadran kinerja")),
    Column("nilai_skp", ("Nilai SKP", "nilai sasaran kerja pegawai")),
    Column("nilai_perilaku", ("Nilai Perilaku", "nilai perilaku kerja")),
    Column("nilai_prestasi", ("Nilai Prestasi Kerja", "nilai ppk", "nilai akhir", "prestasi kerja")),
)

DETAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("predikat", "Predikat"),
    ("kuadran", "Kuadran (SIASN)"),
    ("aturan", "Aturan"),
    ("nilai_prestasi", "Nilai Prestasi Kerja"),
)
RULE_LABELS = {
    PredikatRule.MATRIX: "matriks PermenPANRB 6/2022",
    PredikatRule.NUMERIC: "skala angka PP 46/2011",
}


@dataclass(frozen=True)
class Penilai:
    """The assessor BKN records with an SKP."""

    nama: str
    nip: str
    jabatan: str
    unor_nama: str
    golongan: str
    status: str = "ASN"

    def fields(self) -> dict[str, str]:
        return {
            "penilai_nama": self.nama,
            "penilai_nip": self.nip,
            "penilai_jabatan": self.jabatan,
            "penilai_unor_nama": self.unor_nama,
            "penilai_golongan": self.golongan,
            "status_penilai": self.status,
        }


def rules_info(rules: PredikatRules) -> RuleSetInfo:
    return RuleSetInfo(rules.id, rules.version, f"{rules.matrix_source}; {rules.numeric.source}")


def _rating(cell: Cell) -> str | int | None:
    if cell is None:
        return None
    code = cells.rating_code(cell)
    return code if code is not None else (cells.text(cell) or "")


def _score(cell: Cell) -> Decimal | None:
    if cell is None:
        return None
    value = cells.number(cell)
    if value is None:
        raise DomainError(errors.SKP_SCORE_OUT_OF_RANGE)
    return value


def _refused(base: dict[str, Any], code: str, message: str) -> RowPlan:
    return RowPlan(**base, rejection=(Reason(code, message),))


def plan_row(
    row: RecapRow, period: str | None, rules: PredikatRules, penilai_for: Callable[[str | None], Penilai]
) -> RowPlan:
    v = row.values
    nip, unit = cells.text(v.get("nip")), cells.text(v.get("unit_kerja"))
    base: dict[str, Any] = {
        "row_no": row.row_no,
        "nip": nip,
        "nama": cells.text(v.get("nama")),
        "unit_kerja": unit,
    }
    if nip is None:
        return _refused(base, errors.NIP_MISSING.code, errors.NIP_MISSING.message)
    periode = cells.period(v.get("periode")) if v.get("periode") is not None else period
    if periode is None:
        return _refused(base, errors.PERIOD_INVALID.code, errors.PERIOD_INVALID.message)
    tahun = int(periode[:4])
    try:
        result = derive_predikat(
            SkpRow(
                hasil_kerja=_rating(v.get("hasil_kerja")),
                perilaku=_rating(v.get("perilaku")),
                nilai_skp=_score(v.get("nilai_skp")),
                nilai_perilaku=_score(v.get("nilai_perilaku")),
                nilai_prestasi=_score(v.get("nilai_prestasi")),
            ),
            rules,
        )
    except DomainError as exc:
        return _refused(base, exc.error.code, exc.error.message)
    record: dict[str, Any] = {"nip": nip, "tahun": tahun, "unit_kerja": unit, **penilai_for(unit).fields()}
    if result.rule is PredikatRule.MATRIX:
        assert result.hasil_kerja is not None
        assert result.perilaku is not None
        target = TARGET_SKP22
        record |= {
            "hasil_kerja": RATING_CODES[result.hasil_kerja],
            "perilaku": RATING_CODES[result.perilaku],
            "kuadran": result.kuadran,
        }
    else:
        target = TARGET_SKP_PP46
        nilai_skp, nilai_perilaku = _score(v.get("nilai_skp")), _score(v.get("nilai_perilaku"))
        record |= {
            "nilai_skp": float(nilai_skp) if nilai_skp is not None else None,
            "nilai_perilaku": float(nilai_perilaku) if nilai_perilaku is not None else None,
            "nilai_prestasi": float(result.nilai_prestasi) if result.nilai_prestasi is not None else None,
        }
    detail = {
        "predikat": result.predikat.value,
        "kuadran": result.kuadran,
        "aturan": RULE_LABELS[result.rule],
        "nilai_prestasi": float(result.nilai_prestasi) if result.nilai_prestasi is not None else None,
    }
    return RowPlan(**base, target=target, natural_key=f"{nip}/{tahun}", payload=record, detail=detail)


def plan_recap(
    rows: Sequence[RecapRow],
    *,
    period: str | None,
    rules: PredikatRules,
    penilai_for: Callable[[str | None], Penilai],
) -> Plan:
    planned = [plan_row(row, period, rules, penilai_for) for row in rows]
    per_predikat: Counter[tuple[str, str]] = Counter(
        (str(p.detail["aturan"]), str(p.detail["predikat"])) for p in planned if not p.rejection
    )
    section = ReportTable(
        "Per Predikat",
        ("Aturan", "Predikat", "Jumlah"),
        tuple((rule, predikat, n) for (rule, predikat), n in sorted(per_predikat.items())),
    )
    return Plan(planned, rules_info(rules), (section,))


def penilai_lookup(default: Penilai, by_unit: Mapping[str, Penilai]) -> Callable[[str | None], Penilai]:
    units = {cells.squash(name): p for name, p in by_unit.items()}

    def penilai_for(unit: str | None) -> Penilai:
        return units.get(cells.squash(unit or ""), default)

    return penilai_for
