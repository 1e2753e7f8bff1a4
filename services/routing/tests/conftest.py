"""Routing's test fixtures: a clock tests move, the rules in force, officials to act."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.routing.bootstrap import build_context
from bkpsdm.routing.domain.engine import Actor
from bkpsdm.routing.ports import RoutingContext
from bkpsdm.routing.settings import RoutingSettings

WIB = ZoneInfo("Asia/Jakarta")
PKA = "BIDANG-PKA-PKK"


class FakeClock:
    """Time that moves only when the test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, at: datetime) -> datetime:
        self.now = at
        return at


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=WIB))  # a Monday, office open


@pytest.fixture
def ctx(clock: FakeClock) -> RoutingContext:
    return build_context(RoutingSettings(diagnosis_timeout_s=120), clock)


def official(role: str, unit: str | None = None, subject: str | None = None) -> Actor:
    return Actor(subject=subject or f"nip-{role}", name=f"Pejabat {role}", roles=frozenset({role}), unit=unit)


@pytest.fixture
def people() -> dict[str, Actor]:
    return {
        "admin": official("petugas-administrasi"),
        "kasubbag": official("kasubbag-umum-kepegawaian-aset"),
        "sekretaris": official("sekretaris"),
        "kaban": official("kepala-badan"),
        "kabid": official("kepala-bidang", PKA),
        "kabid-info": official("kepala-bidang", "BIDANG-INFORMASI", subject="nip-kabid-info"),
        "pengolah": official("unit-pengolah", PKA),
        "teknis": official("petugas-teknis"),
        "data": official("pengolah-data"),
        "disdik": official("perangkat-daerah", "DISDIK"),
        "dinkes": official("perangkat-daerah", "DINKES"),
    }
