from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.ipasn_uploader.domain.aggregation import aggregate
from bkpsdm.ipasn_uploader.domain.explanation import explain
from bkpsdm.ipasn_uploader.domain.ipasn import Hukdis, Pegawai, PelatihanTeknis, compute_ipasn, kategori_of
from bkpsdm.ipasn_uploader.domain.ruleset import (
    KUADRAN,
    JenisJabatan,
    Predikat,
    TingkatHukdis,
    load_ipasn_rules,
)

RULES = load_ipasn_rules()
AS_OF = date(2025, 12, 31)
CODES = [p.code for p in RULES.kualifikasi.pendidikan]

days = st.dates(min_value=AS_OF - timedelta(days=8 * 365), max_value=AS_OF + timedelta(days=60))
scores = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
predikat = st.one_of(st.sampled_from([p.value for p in Predikat]), st.sampled_from(list(KUADRAN.values())))


@st.composite
def pegawai(draw: st.DrawFn) -> Pegawai:
    jenis = draw(st.sampled_from(list(JenisJabatan)))
    return Pegawai(
        nip=draw(st.text(alphabet="0123456789", min_size=18, max_size=18)),
        unit_kerja=draw(st.sampled_from(["BKPSDM", "Dinas Kesehatan", "Dinas Pendidikan"])),
        pendidikan=draw(st.sampled_from(CODES)),
        jenis_jabatan=jenis,
        nama_jabatan=draw(st.sampled_from(["Dokter Ahli Muda", "Guru Ahli Pertama", "Pranata Komputer", ""])),
        eselon=draw(st.integers(1, 4)) if jenis is JenisJabatan.STRUKTURAL else None,
        diklat_pim=frozenset(draw(st.sets(st.integers(1, 4), max_size=3))),
        diklat_fungsional=draw(st.booleans()),
        pelatihan_teknis=tuple(
            draw(st.lists(st.builds(PelatihanTeknis, tanggal=days, jp=st.integers(0, 60)), max_size=4))
        ),
        seminar=tuple(draw(st.lists(days, max_size=3))),
        skp_nilai=draw(st.none() | scores),
        skp_predikat=draw(st.none() | predikat),
        hukdis=tuple(
            draw(
                st.lists(
                    st.builds(Hukdis, tingkat=st.sampled_from(list(TingkatHukdis)), tanggal=days), max_size=3
                )
            )
        ),
    )


@given(pegawai())
def test_every_dimension_stays_within_its_maximum_and_the_total_is_their_sum(p: Pegawai) -> None:
    r = compute_ipasn(p, RULES, AS_OF)
    assert Decimal(0) <= r.total <= Decimal(100)
    assert r.total == r.kualifikasi + r.kompetensi + r.kinerja + r.disiplin
    for name, value in (
        ("kualifikasi", r.kualifikasi),
        ("kompetensi", r.kompetensi),
        ("kinerja", r.kinerja),
        ("disiplin", r.disiplin),
    ):
        assert Decimal(0) <= value <= RULES.maximum[name]
    assert r.kategori == kategori_of(r.total, RULES)


@given(pegawai())
def test_an_explanation_line_exists_exactly_for_each_dimension_below_its_maximum(p: Pegawai) -> None:
    r = compute_ipasn(p, RULES, AS_OF)
    below = [
        name.capitalize()
        for name, value in (
            ("kualifikasi", r.kualifikasi),
            ("kompetensi", r.kompetensi),
            ("kinerja", r.kinerja),
            ("disiplin", r.disiplin),
        )
        if value < RULES.maximum[name]
    ]
    assert [line.split(":")[0] for line in explain(r, RULES)] == below


@given(st.lists(pegawai(), max_size=8))
def test_aggregated_counts_add_up_per_unit_and_category(people: list[Pegawai]) -> None:
    results = [compute_ipasn(p, RULES, AS_OF) for p in people]
    units, overall = aggregate(results, RULES)
    assert overall.jumlah == len(results) == sum(u.jumlah for u in units)
    assert sum(s.jumlah for s in overall.per_kategori.values()) == len(results)
    for unit in units:
        assert sum(s.jumlah for s in unit.per_kategori.values()) == unit.jumlah
        assert unit.rata_rata is not None
        assert Decimal(0) <= unit.rata_rata <= Decimal(100)


@given(pegawai(), st.sampled_from(list(Predikat)))
def test_a_predikat_label_and_its_siasn_code_score_the_same(p: Pegawai, value: Predikat) -> None:
    by_label = compute_ipasn(replace(p, skp_predikat=value.value.upper()), RULES, AS_OF)
    by_code = compute_ipasn(replace(p, skp_predikat=KUADRAN[value]), RULES, AS_OF)
    assert by_label == by_code
