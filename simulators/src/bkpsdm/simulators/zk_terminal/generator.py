"""Deterministic users and working-day punches: arrivals 07:00-08:30, departures 15:30-17:00."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

from bkpsdm.simulators.zk_terminal.records import Punch, User

_GIVEN = (
    "Agus", "Budi", "Dewi", "Eko", "Fitri", "Hendra", "Indah", "Joko", "Kartika", "Lestari",
    "Made", "Nur", "Putu", "Rina", "Siti", "Teguh", "Wayan", "Yohanes", "José", "Inês",
)  # fmt: skip
_FAMILY = (
    "Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Nugroho", "Siregar", "Manafe",
    "Simanjuntak", "Pratama", "Rahmawati", "da Costa", "Fernandes", "Kurniawan", "Setiawan",
)  # fmt: skip

ARRIVAL = (time(7, 0), time(8, 30))
DEPARTURE = (time(15, 30), time(17, 0))
VERIFY_FINGER = 1
VERIFY_FACE = 15


def generate_users(count: int, seed: int, first_user_id: int = 1001) -> list[User]:
    rng = random.Random(seed)
    return [
        User(
            uid=i + 1,
            user_id=str(first_user_id + i),
            name=f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
            privilege=14 if i == 0 else 0,  # the installer's admin account
        )
        for i in range(count)
    ]


def _working_days(first: date) -> Iterator[date]:
    day = first
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def _between(rng: random.Random, day: date, window: tuple[time, time]) -> datetime:
    start = datetime.combine(day, window[0])
    span = (datetime.combine(day, window[1]) - start).total_seconds()
    return start + timedelta(seconds=rng.randrange(int(span) + 1))


def generate_punches(
    users: Sequence[User],
    first_day: date,
    days: int,
    seed: int,
    missing_rate: float = 0.04,
    limit: int | None = None,
) -> list[Punch]:
    """Punches for `days` working days from `first_day` (or until `limit` records), in time order."""
    rng = random.Random(seed)
    punches: list[Punch] = []
    if not users:
        return punches
    for n, day in enumerate(_working_days(first_day)):
        if n >= days and limit is None:
            break
        daily: list[Punch] = []
        for u in users:
            status = VERIFY_FACE if rng.random() < 0.1 else VERIFY_FINGER
            if rng.random() >= missing_rate:
                daily.append(Punch(u.user_id, _between(rng, day, ARRIVAL), status, 0))
            if rng.random() >= missing_rate:
                daily.append(Punch(u.user_id, _between(rng, day, DEPARTURE), status, 1))
        punches.extend(sorted(daily, key=lambda p: p.timestamp))
        if limit is not None and len(punches) >= limit:
            return punches[:limit]
    return punches
