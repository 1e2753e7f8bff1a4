"""Why a person's IP-ASN is below 100, in Bahasa Indonesia, for the report sent back to units.

One line per dimension below its maximum, naming what is missing and the points lost, and
one line per review flag. Built on demand from a result, so computing 100,000 people
formats no text.
"""

from __future__ import annotations

from decimal import Decimal

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain import errors
from bkpsdm.ipasn_uploader.domain.ipasn import REVIEW_EDUCATION, REVIEW_SKP_MISSING, IpasnResult
from bkpsdm.ipasn_uploader.domain.ruleset import IpasnRules, Komponen, TingkatHukdis

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}


def angka(value: Decimal | int) -> str:
    """A number the Indonesian way: 22,5 and 15 (no trailing zeros)."""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def _poin(lost: Decimal) -> str:
    return f"-{angka(lost)} poin"


def _same_rules(result: IpasnResult, rules: IpasnRules) -> None:
    if (result.rules_id, result.rules_version) != (rules.id, rules.version):
        raise DomainError(errors.IPASN_RULES_MIXED)


def explain(result: IpasnResult, rules: IpasnRules) -> tuple[str, ...]:
    _same_rules(result, rules)
    lines: list[str] = []
    if result.kualifikasi < rules.kualifikasi.maximum:
        label = rules.compiled.pendidikan[result.pendidikan].label
        lost = rules.kualifikasi.maximum - result.kualifikasi
        lines.append(f"Kualifikasi: pendidikan tertinggi {label} ({_poin(lost)})")
    if result.kompetensi < rules.kompetensi.maximum:
        lines.append(f"Kompetensi: {_kompetensi(result, rules)}")
    if result.kinerja < rules.kinerja.maximum:
        lines.append(f"Kinerja: {_kinerja(result)} ({_poin(rules.kinerja.maximum - result.kinerja)})")
    if result.disiplin < rules.disiplin.maximum:
        lines.append(
            f"Disiplin: {_disiplin(result, rules)} ({_poin(rules.disiplin.maximum - result.disiplin)})"
        )
    return tuple(lines)


def _kompetensi(result: IpasnResult, rules: IpasnRules) -> str:
    lost = rules.kompetensi.maximum - result.kompetensi
    table = rules.kompetensi.points[result.jenis_jabatan]
    missing = [(_reason(k, result, rules), table[k]) for k in result.kompetensi_kurang if table[k] > 0]
    if missing and sum(points for _, points in missing) == lost:
        return "; ".join(f"{reason} ({_poin(points)})" for reason, points in missing)
    if missing:  # the table's components add up to more than the maximum: capped
        return f"{'; '.join(reason for reason, _ in missing)} ({_poin(lost)})"
    jenis = result.jenis_jabatan.value
    return f"aturan hanya memberi {angka(sum(table.values()))} poin untuk jabatan {jenis} ({_poin(lost)})"


def _reason(komponen: Komponen, result: IpasnResult, rules: IpasnRules) -> str:
    k = rules.kompetensi
    if komponen is Komponen.PIM:
        level = k.pim_level_for_eselon.get(result.eselon) if result.eselon is not None else None
        tingkat = f" Tingkat {_ROMAN.get(level, str(level))}" if level is not None else ""
        return f"belum mengikuti Diklat PIM{tingkat} sesuai eselon jabatan"
    if komponen is Komponen.FUNGSIONAL:
        return "belum mengikuti diklat fungsional sesuai jabatan"
    if komponen is Komponen.TEKNIS:
        reason = f"belum mengikuti pelatihan teknis minimal {k.teknis_min_jp} JP dalam {k.teknis_window_years} tahun terakhir"
        return f"{reason}, baru {result.teknis_jp} JP" if result.teknis_jp else reason
    return f"belum mengikuti seminar/workshop dalam {k.seminar_window_years} tahun terakhir"


def _kinerja(result: IpasnResult) -> str:
    if result.skp_predikat is not None:
        return f"predikat SKP tahun lalu {result.skp_predikat.value}"
    if result.skp_nilai is not None:
        return f"nilai SKP tahun lalu {angka(result.skp_nilai)}"
    return "data SKP tahun lalu tidak tersedia"


def _disiplin(result: IpasnResult, rules: IpasnRules) -> str:
    if result.hukdis_terberat is TingkatHukdis.TIDAK_ADA:
        return f"aturan hanya memberi {angka(result.disiplin)} poin tanpa hukuman disiplin"
    return (
        f"pernah dijatuhi hukuman disiplin tingkat {result.hukdis_terberat.value} "
        f"dalam {rules.disiplin.window_years} tahun terakhir"
    )


def review_notes(result: IpasnResult, rules: IpasnRules) -> tuple[str, ...]:
    _same_rules(result, rules)
    notes: list[str] = []
    if REVIEW_EDUCATION in result.review:
        pendidikan = rules.compiled.pendidikan[result.pendidikan]
        notes.append(
            f"Kualifikasi: pemetaan kode pendidikan {pendidikan.code} ({pendidikan.label}) "
            f"ke {angka(pendidikan.points)} poin belum ditetapkan; perlu ditinjau"
        )
    if REVIEW_SKP_MISSING in result.review:
        notes.append(
            f"Kinerja: data SKP tahun lalu tidak tersedia, dihitung {angka(result.kinerja)} poin; "
            "perlu dilengkapi atau ditinjau"
        )
    return tuple(notes)
