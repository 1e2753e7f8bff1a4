"""A recap row (intake's IP-ASN column contract) to a `Pegawai`, every person's IP-ASN, and the
plan of what goes to BKN: scores, category, where points were lost (in Bahasa Indonesia), the
review flags, and the report's per-unit and per-category tables.

The recap states each fact already counted over its window (technical training JP in the last
year, a seminar in the last two, the worst sanction in the last five), so each is dated at the
measurement date (31 December of the period's year), which every window contains.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.uploads import cells
from bkpsdm.common.uploads.model import Column, Plan, Reason, RecapRow, ReportTable, RowPlan, RuleSetInfo
from bkpsdm.ipasn_uploader.domain import errors
from bkpsdm.ipasn_uploader.domain.aggregation import DIMENSI, Ringkasan, aggregate
from bkpsdm.ipasn_uploader.domain.explanation import explain, review_notes
from bkpsdm.ipasn_uploader.domain.ipasn import (
    REVIEW_EDUCATION,
    REVIEW_SKP_MISSING,
    Hukdis,
    IpasnResult,
    Pegawai,
    PelatihanTeknis,
    compute_all,
)
from bkpsdm.ipasn_uploader.domain.ruleset import IpasnRules

TARGET = "ipasn"

COLUMNS: tuple[Column, ...] = (
    Column("nip", ("NIP", "nip baru", "nomor induk pegawai", "nip pegawai", "ni pppk")),
    Column("nama", ("Nama", "nama pegawai", "nama lengkap", "nama asn")),
    Column("unit_kerja", ("Unit Kerja", "unit", "unor", "satuan kerja", "perangkat daerah", "opd")),
    Column("periode", ("Periode", "tahun", "tahun pengukuran", "periode pengukuran")),
    Column("pendidikan", ("Pendidikan", "pendidikan terakhir", "kode pendidikan", "tingkat pendidikan")),
    Column("jenis_jabatan", ("Jenis Jabatan", "jenis jab")),
    Column("nama_jabatan", ("Nama Jabatan", "jabatan")),
    Column("eselon", ("Eselon",)),
    Column(
        "diklat_kepemimpinan", ("Diklat Kepemimpinan", "diklat pim", "diklatpim", "pelatihan kepemimpinan")
    ),
    Column("diklat_fungsional", ("Diklat Fungsional", "pelatihan fungsional")),
    Column(
        "jp_pelatihan_teknis",
        (
            "JP Pelatihan Teknis",
            "jp diklat teknis",
            "jam pelatihan teknis",
            "pelatihan teknis jp",
            "diklat teknis jp",
            "jp",
        ),
    ),
    Column(
        "seminar_workshop", ("Seminar/Workshop", "seminar", "workshop", "seminar workshop 2 tahun terakhir")
    ),
    Column("nilai_skp", ("Nilai SKP", "nilai skp tahun lalu", "nilai kinerja")),
    Column("predikat_skp", ("Predikat SKP", "predikat", "predikat kinerja", "predikat skp tahun lalu")),
    Column(
        "hukuman_disiplin",
        ("Hukuman Disiplin", "hukdis", "tingkat hukuman disiplin", "hukuman disiplin 5 tahun terakhir"),
    ),
)

DETAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kualifikasi", "Kualifikasi"),
    ("kompetensi", "Kompetensi"),
    ("kinerja", "Kinerja"),
    ("disiplin", "Disiplin"),
    ("total", "Total"),
    ("kategori", "Kategori"),
    ("penjelasan", "Poin yang hilang"),
    ("tinjauan", "Perlu ditinjau"),
)


def rules_info(rules: IpasnRules) -> RuleSetInfo:
    return RuleSetInfo(rules.id, rules.version, rules.source)


def to_pegawai(row: RecapRow, as_of: date) -> Pegawai:
    """The person as the domain reads them; what cannot be read is left for its rules to refuse."""
    v = row.values
    jp_cell = v.get("jp_pelatihan_teknis")
    jp = cells.number(jp_cell)
    if jp_cell is not None and jp is None:
        raise DomainError(errors.TRAINING_JP_INVALID)
    skp_cell = v.get("nilai_skp")
    nilai = cells.number(skp_cell)
    if skp_cell is not None and nilai is None:
        raise DomainError(errors.SKP_SCORE_OUT_OF_RANGE)
    predikat_cell = v.get("predikat_skp")
    predikat: str | int | None = None
    if predikat_cell is not None:
        predikat = cells.predikat_code(predikat_cell) or cells.text(predikat_cell) or ""
    level = cells.leadership_level(v.get("diklat_kepemimpinan"))
    sanction = cells.sanction(v.get("hukuman_disiplin"))
    if sanction is None:
        sanction = cells.text(v.get("hukuman_disiplin")) or ""
    return Pegawai(
        nip=cells.text(v.get("nip")) or "",
        unit_kerja=cells.text(v.get("unit_kerja")) or "",
        pendidikan=cells.education_code(v.get("pendidikan")) or cells.text(v.get("pendidikan")) or "",
        jenis_jabatan=cells.position_type(v.get("jenis_jabatan")) or cells.text(v.get("jenis_jabatan")) or "",
        nama_jabatan=cells.text(v.get("nama_jabatan")) or "",
        eselon=cells.echelon(v.get("eselon")),
        diklat_pim=frozenset({level}) if level else frozenset(),
        diklat_fungsional=bool(cells.yes_no(v.get("diklat_fungsional"))),
        pelatihan_teknis=(PelatihanTeknis(as_of, int(jp)),) if jp else (),
        seminar=(as_of,) if cells.yes_no(v.get("seminar_workshop")) else (),
        skp_nilai=nilai,
        skp_predikat=predikat,
        hukdis=(Hukdis(sanction, as_of),) if sanction != "tidak_ada" else (),
    )


def _num(value: Decimal) -> float:
    return float(value)


Explained = dict[tuple[Any, ...], tuple[str | None, str | None]]


def _explained(result: IpasnResult, rules: IpasnRules, memo: Explained) -> tuple[str | None, str | None]:
    # Everything but who and where decides the text: people with the same scores share it.
    key = result[2:]
    if key not in memo:
        memo[key] = (
            "; ".join(explain(result, rules)) or None,
            "; ".join(review_notes(result, rules)) or None,
        )
    return memo[key]


def _row_plan(
    row: RecapRow, result: IpasnResult, periode: str, rules: IpasnRules, memo: Explained
) -> RowPlan:
    record: dict[str, Any] = {
        "nip": result.nip,
        "periode": periode,
        "unit_kerja": result.unit_kerja,
        "pendidikan": result.pendidikan,
        "kualifikasi": _num(result.kualifikasi),
        "kompetensi": _num(result.kompetensi),
        "kinerja": _num(result.kinerja),
        "disiplin": _num(result.disiplin),
        "total": _num(result.total),
        "kategori": result.kategori,
    }
    penjelasan, tinjauan = _explained(result, rules, memo)
    detail = {
        **{k: record[k] for k in ("kualifikasi", "kompetensi", "kinerja", "disiplin", "total", "kategori")},
        "penjelasan": penjelasan,
        "tinjauan": tinjauan,
    }
    return RowPlan(
        row_no=row.row_no,
        nip=result.nip,
        nama=cells.text(row.values.get("nama")),
        unit_kerja=result.unit_kerja,
        target=TARGET,
        natural_key=f"{result.nip}/{periode}",
        payload=record,
        detail=detail,
    )


def _refused(row: RecapRow, code: str, message: str) -> RowPlan:
    v = row.values
    return RowPlan(
        row.row_no,
        cells.text(v.get("nip")),
        cells.text(v.get("nama")),
        cells.text(v.get("unit_kerja")),
        rejection=(Reason(code, message),),
    )


def _figure(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def summary_tables(
    units: Sequence[Ringkasan], overall: Ringkasan, rules: IpasnRules
) -> tuple[ReportTable, ...]:
    labels = [band.label for band in rules.kategori]

    def line(s: Ringkasan) -> tuple[Any, ...]:
        return (
            s.unit_kerja or "Semua unit kerja",
            s.jumlah,
            _figure(s.rata_rata),
            s.kategori,
            *(_figure(s.rata_rata_dimensi[d]) for d in DIMENSI),
            *(s.per_kategori[label].jumlah for label in labels),
            s.perlu_tinjauan,
        )

    per_unit = ReportTable(
        "IP-ASN per Unit Kerja dan Kategori",
        (
            "Unit Kerja",
            "Jumlah",
            "Rata-rata",
            "Kategori",
            "Kualifikasi",
            "Kompetensi",
            "Kinerja",
            "Disiplin",
            *labels,
            "Perlu Tinjauan",
        ),
        (*(line(u) for u in units), line(overall)),
    )
    per_kategori = ReportTable(
        "IP-ASN per Kategori",
        ("Kategori", "Jumlah", "Rata-rata"),
        tuple((label, stat.jumlah, _figure(stat.rata_rata)) for label, stat in overall.per_kategori.items()),
    )
    return per_unit, per_kategori


def plan_recap(rows: Sequence[RecapRow], *, period: str | None, rules: IpasnRules) -> Plan:
    planned: dict[int, RowPlan] = {}
    by_year: dict[int, list[tuple[RecapRow, Pegawai]]] = {}
    for row in rows:
        cell = row.values.get("periode")
        periode = cells.period(cell) if cell is not None else period
        if not cells.text(row.values.get("nip")):
            planned[row.row_no] = _refused(row, errors.NIP_MISSING.code, errors.NIP_MISSING.message)
            continue
        if periode is None:
            planned[row.row_no] = _refused(row, errors.PERIOD_INVALID.code, errors.PERIOD_INVALID.message)
            continue
        year = int(periode[:4])
        try:
            pegawai = to_pegawai(row, date(year, 12, 31))
        except DomainError as exc:
            planned[row.row_no] = _refused(row, exc.error.code, exc.error.message)
            continue
        by_year.setdefault(year, []).append((row, pegawai))
    results: list[IpasnResult] = []
    memo: Explained = {}
    for year, group in by_year.items():
        computed, rejected = compute_all((p for _, p in group), rules, date(year, 12, 31))
        refused = {r.index: r for r in rejected}
        done = iter(computed)
        for index, (row, _) in enumerate(group):
            if index in refused:
                planned[row.row_no] = _refused(row, refused[index].code, refused[index].message)
            else:
                result = next(done)
                results.append(result)
                planned[row.row_no] = _row_plan(row, result, str(year), rules, memo)
    units, overall = aggregate(results, rules)
    notes = []
    education = sum(1 for r in results if REVIEW_EDUCATION in r.review)
    missing_skp = sum(1 for r in results if REVIEW_SKP_MISSING in r.review)
    if education:
        notes.append(
            f"{education} pegawai berpendidikan Profesi, Sp-1 atau Subspesialis (kode 42, 47, 49): "
            "padanan poinnya belum ditetapkan; perlu ditinjau."
        )
    if missing_skp:
        notes.append(f"{missing_skp} pegawai tanpa data SKP tahun lalu; perlu dilengkapi atau ditinjau.")
    return Plan(
        [planned[row.row_no] for row in rows], rules_info(rules), summary_tables(units, overall, rules), notes
    )
