"""How long 100,000 employees take. Prints the figures; asserts outcomes, never times."""

from __future__ import annotations

import random
import time
from datetime import date
from decimal import Decimal

from bkpsdm.ipasn_uploader.domain.aggregation import aggregate
from bkpsdm.ipasn_uploader.domain.explanation import explain
from bkpsdm.ipasn_uploader.domain.ipasn import Hukdis, Pegawai, PelatihanTeknis, compute_all
from bkpsdm.ipasn_uploader.domain.ruleset import load_ipasn_rules

AS_OF = date(2025, 12, 31)
N = 100_000
DISTINCT = 1_000  # profiles, each repeated: building 100,000 random inputs would dominate the test


def _people(rules_codes: list[str]) -> list[Pegawai]:
    rnd = random.Random(2025)
    predikat: list[str | int] = ["Sangat Baik", "Baik", "Butuh Perbaikan", 2]
    jabatan = ["Guru Ahli Muda", "Analis Kepegawaian Ahli Pertama", "Perawat Terampil", "Pranata Komputer"]
    people = []
    for i in range(DISTINCT):
        jenis = rnd.choice(["struktural", "fungsional", "pelaksana"])
        people.append(
            Pegawai(
                nip=f"{199001012015031000 + i}",
                unit_kerja=f"Perangkat Daerah {i % 40:02d}",
                pendidikan=rnd.choice(rules_codes),
                jenis_jabatan=jenis,
                nama_jabatan=rnd.choice(jabatan),
                eselon=rnd.randint(2, 4) if jenis == "struktural" else None,
                diklat_pim=frozenset({rnd.randint(2, 4)}) if rnd.random() < 0.6 else frozenset(),
                diklat_fungsional=rnd.random() < 0.3,
                pelatihan_teknis=tuple(
                    PelatihanTeknis(
                        date(rnd.randint(2024, 2025), rnd.randint(1, 12), 1), rnd.choice([8, 12, 24])
                    )
                    for _ in range(rnd.randint(0, 3))
                ),
                seminar=tuple(date(rnd.randint(2022, 2025), 6, 1) for _ in range(rnd.randint(0, 2))),
                skp_nilai=Decimal(rnd.randint(4000, 10000)) / 100 if rnd.random() < 0.5 else None,
                skp_predikat=rnd.choice(predikat) if rnd.random() < 0.5 else None,
                hukdis=(Hukdis("ringan", date(2023, 3, 1)),) if rnd.random() < 0.05 else (),
            )
        )
    return people * (N // DISTINCT)


def test_100k_employees_compute_aggregate_and_explain() -> None:
    rules = load_ipasn_rules()
    people = _people([p.code for p in rules.kualifikasi.pendidikan])

    # CPU time of this process, and wall time: other work on a shared machine inflates the latter.
    cpu, wall = time.process_time(), time.perf_counter()
    results, rejected = compute_all(people, rules, AS_OF)
    compute_cpu, compute_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu = time.process_time()
    units, overall = aggregate(results, rules)
    aggregate_cpu = time.process_time() - cpu
    cpu = time.process_time()
    explained = [explain(r, rules) for r in results]
    explain_cpu = time.process_time() - cpu

    print(
        f"\nIP-ASN for {N:,} employees: compute {compute_cpu * 1000:.0f} ms CPU "
        f"({compute_wall * 1000:.0f} ms wall), aggregate {aggregate_cpu * 1000:.0f} ms CPU, "
        f"explain all {explain_cpu * 1000:.0f} ms CPU"
    )
    assert len(results) == N
    assert rejected == []
    assert overall.jumlah == N
    assert len(units) == 40
    assert len(explained) == N
    assert all(0 <= r.total <= 100 for r in results)
