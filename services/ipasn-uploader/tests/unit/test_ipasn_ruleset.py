from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.ipasn_uploader.domain.errors import CATALOGUE
from bkpsdm.ipasn_uploader.domain.ruleset import (
    JenisJabatan,
    Komponen,
    Predikat,
    TingkatHukdis,
    load_ipasn_rules,
    parse_ipasn_rules,
)

RULES = load_ipasn_rules()
DEFAULT_JSON: dict[str, Any] = RULES.model_dump(mode="json")


def test_the_bundled_rules_are_domain_md_table() -> None:
    assert (RULES.id, RULES.version) == ("ipasn", "2019.1")
    assert RULES.maximum == {
        "kualifikasi": Decimal(25),
        "kompetensi": Decimal(40),
        "kinerja": Decimal(30),
        "disiplin": Decimal(5),
    }
    assert RULES.kompetensi.points[JenisJabatan.PELAKSANA] == {
        Komponen.TEKNIS: Decimal("22.5"),
        Komponen.SEMINAR: Decimal("17.5"),
    }
    assert RULES.kinerja.predikat_points == {
        Predikat.SANGAT_BAIK: 30,
        Predikat.BAIK: 25,
        Predikat.BUTUH_PERBAIKAN: 15,
        Predikat.KURANG: 5,
        Predikat.SANGAT_KURANG: 1,
    }
    assert RULES.disiplin.points == {
        TingkatHukdis.TIDAK_ADA: 5,
        TingkatHukdis.RINGAN: 3,
        TingkatHukdis.SEDANG: 2,
        TingkatHukdis.BERAT: 1,
    }
    assert [k.label for k in RULES.kategori] == [
        "Sangat Tinggi",
        "Tinggi",
        "Sedang",
        "Rendah",
        "Sangat Rendah",
    ]


def test_an_agency_rules_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    custom = copy.deepcopy(DEFAULT_JSON)
    custom["version"] = "2026.1-singkawang"
    custom["kompetensi"]["fungsional_deemed_trained"] = ["Penyuluh Pertanian"]
    path = tmp_path / "ipasn.json"
    path.write_text(json.dumps(custom), encoding="utf-8")
    rules = load_ipasn_rules(path)
    assert rules.version == "2026.1-singkawang"
    assert rules.compiled.deemed_prefixes == ("penyuluh pertanian",)


def test_the_compiled_tables_do_not_change_the_rule_set_itself() -> None:
    rules = parse_ipasn_rules(DEFAULT_JSON)
    assert rules.compiled is rules.compiled  # built once
    assert rules == parse_ipasn_rules(DEFAULT_JSON)
    assert rules.model_dump(mode="json") == DEFAULT_JSON


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, leaf = path.split("/")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(leaf)] = value
        elif value is _DELETE:
            del node[leaf]
        else:
            node[leaf] = value

    return change


_DELETE = object()

BROKEN = {
    "maxima do not add up to 100": _set("kualifikasi/maximum", "30"),
    "education points above the maximum": _set("kualifikasi/pendidikan/12/points", "30"),
    "negative points": _set("kualifikasi/pendidikan/0/points", "-1"),
    "duplicate education code": _set("kualifikasi/pendidikan/1/code", "05"),
    "education code not two digits": _set("kualifikasi/pendidikan/0/code", "5"),
    "jenis jabatan missing": _set("kompetensi/points/pelaksana", _DELETE),
    "unknown jenis jabatan": _set("kompetensi/points/honorer", {"teknis": "10"}),
    "unknown komponen": _set("kompetensi/points/pelaksana/magang", "5"),
    "komponen above the maximum": _set("kompetensi/points/pelaksana/teknis", "45"),
    "eselon level 0": _set("kompetensi/pim_level_for_eselon", {"0": 1}),
    "negative JP": _set("kompetensi/teknis_min_jp", -1),
    "zero-year window": _set("kompetensi/seminar_window_years", 0),
    "empty deemed name": _set("kompetensi/fungsional_deemed_trained", ["Dokter", " "]),
    "predikat missing": _set("kinerja/predikat_points/Sangat Kurang", _DELETE),
    "unknown predikat": _set("kinerja/predikat_points/Cukup", "10"),
    "kinerja band above the maximum": _set("kinerja/nilai_bands/0", {"above": "90", "points": "35"}),
    "kinerja bands not decreasing": _set("kinerja/nilai_bands/1", {"above": "95", "points": "25"}),
    "kinerja last band closed": _set("kinerja/nilai_bands/4", {"above": "0", "points": "1"}),
    "kinerja band bound at 100": _set("kinerja/nilai_bands/0", {"above": "100", "points": "30"}),
    "sanction level missing": _set("disiplin/points/berat", _DELETE),
    "unknown sanction level": _set("disiplin/points/pemecatan", "0"),
    "duplicate kategori label": _set("kategori/1", {"above": "80", "label": "Sangat Tinggi"}),
    "kategori open band in the middle": _set("kategori/2", {"above": None, "label": "Sedang"}),
    "unknown field": _set("catatan", "x"),
    "no version": _set("version", _DELETE),
    "empty id": _set("id", ""),
}


@pytest.mark.parametrize("breaks", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_rules_file_is_refused_at_load(breaks: Callable[[dict[str, Any]], None]) -> None:
    data = copy.deepcopy(DEFAULT_JSON)
    breaks(data)
    with pytest.raises(DomainError) as info:
        parse_ipasn_rules(data)
    assert info.value.error.code == "IPASN_RULES_INVALID"
    assert info.value.error is CATALOGUE["IPASN_RULES_INVALID"]
    assert info.value.details


def test_a_rules_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ipasn.json"
    path.write_text('{"id": "ipasn", ', encoding="utf-8")
    with pytest.raises(DomainError) as info:
        load_ipasn_rules(path)
    assert info.value.error.code == "IPASN_RULES_INVALID"


def test_the_refusal_says_what_is_missing_without_quoting_input() -> None:
    data = copy.deepcopy(DEFAULT_JSON)
    del data["kinerja"]["predikat_points"]["Sangat Kurang"]
    with pytest.raises(DomainError) as info:
        parse_ipasn_rules(data)
    assert any("Sangat Kurang" in d and d.startswith("kinerja") for d in info.value.details)
