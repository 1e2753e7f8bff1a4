"""The simulator's copies of the SKP predikat matrix and the IP-ASN category bands (DOMAIN.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.simulators.bkn.faults import TokenBucket, classify
from bkpsdm.simulators.bkn.validation import KUADRAN_NAMA, kategori_for, kuadran_for

DI_ATAS, SESUAI, DI_BAWAH = 1, 2, 3


@pytest.mark.parametrize(
    ("hasil", "perilaku", "predikat"),
    [
        (DI_ATAS, DI_ATAS, "Sangat Baik"),
        (DI_ATAS, SESUAI, "Baik"),
        (DI_ATAS, DI_BAWAH, "Kurang"),
        (SESUAI, DI_ATAS, "Baik"),
        (SESUAI, SESUAI, "Baik"),
        (SESUAI, DI_BAWAH, "Kurang"),
        (DI_BAWAH, DI_ATAS, "Butuh Perbaikan"),
        (DI_BAWAH, SESUAI, "Butuh Perbaikan"),
        (DI_BAWAH, DI_BAWAH, "Sangat Kurang"),
    ],
)
def test_kuadran_follows_the_permenpanrb_6_2022_matrix(hasil: int, perilaku: int, predikat: str) -> None:
    assert KUADRAN_NAMA[kuadran_for(hasil, perilaku)] == predikat


@pytest.mark.parametrize(
    ("total", "kategori"),
    [
        (100, "Sangat Tinggi"),
        (90.01, "Sangat Tinggi"),
        (90, "Tinggi"),
        (80.01, "Tinggi"),
        (80, "Sedang"),
        (70.01, "Sedang"),
        (70, "Rendah"),
        (60.01, "Rendah"),
        (60, "Sangat Rendah"),
        (0, "Sangat Rendah"),
    ],
)
def test_kategori_uses_half_open_bands(total: float, kategori: str) -> None:
    assert kategori_for(total) == kategori


ORDER = ["Sangat Rendah", "Rendah", "Sedang", "Tinggi", "Sangat Tinggi"]


@given(st.floats(0, 100), st.floats(0, 100))
def test_a_higher_total_never_gets_a_lower_kategori(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert ORDER.index(kategori_for(low)) <= ORDER.index(kategori_for(high))


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("POST", "/apisiasn/1.0/skp22/save", "save"),
        ("POST", "/apisiasn/1.0/ipasn/save", "save"),
        ("GET", "/apisiasn/1.0/referensi/ref-unor", "api"),
        ("POST", "/oauth2/token", "token"),
        ("POST", "/sso/token", "token"),
        ("GET", "/sim/records", "sim"),
        ("GET", "/favicon.ico", "other"),
    ],
)
def test_routes_are_classified_for_fault_scopes(method: str, path: str, route: str) -> None:
    assert classify(method, path) == route


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=4.0, burst=2, clock=lambda: now[0])
    assert bucket.take() is None
    assert bucket.take() is None
    assert bucket.take() == pytest.approx(0.25)
    now[0] = 0.25
    assert bucket.take() is None
    now[0] = 10.0
    assert [bucket.take() for _ in range(3)][:2] == [None, None]
