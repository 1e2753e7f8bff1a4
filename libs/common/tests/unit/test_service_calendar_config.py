from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bkpsdm.common.service_calendar import DEFAULT_CONFIG_PATH, CalendarConfig, load_config

MON_THU = [{"start": "08:00", "end": "11:30"}, {"start": "13:00", "end": "15:30"}]


def default_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEFAULT_CONFIG_PATH.read_text())
    return document


def test_default_file_encodes_seed_003_hours() -> None:
    config = load_config()

    assert config.version == "seed-003/2026.1"
    assert config.time_zone == "Asia/Jakarta"
    monday = [(interval.start, interval.end) for interval in config.weekly.monday]
    friday = [(interval.start, interval.end) for interval in config.weekly.friday]
    assert monday == [(time(8), time(11, 30)), (time(13), time(15, 30))]
    assert friday == [(time(8, 30), time(11)), (time(13), time(15, 30))]
    assert config.weekly.saturday == config.weekly.sunday == ()
    assert config.holidays is not None
    assert (config.holidays.country, config.holidays.categories) == ("ID", ("public", "government"))
    assert config.hours_per_working_day == 6


def test_intervals_are_kept_in_time_order() -> None:
    document = default_document()
    document["weekly"]["monday"] = list(reversed(MON_THU))

    config = CalendarConfig.model_validate(document)

    assert [interval.start for interval in config.weekly.monday] == [time(8), time(13)]


def test_time_zone_defaults_to_wib() -> None:
    document = default_document()
    del document["time_zone"]

    assert CalendarConfig.model_validate(document).time_zone == "Asia/Jakarta"


def _set(path: str, value: object) -> dict[str, Any]:
    document = default_document()
    *parents, leaf = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    node[leaf] = value
    return document


def _without(key: str) -> dict[str, Any]:
    document = default_document()
    del document[key]
    return document


RAMADAN = {
    "name": "Ramadan",
    "start_date": "2026-02-18",
    "end_date": "2026-03-19",
    "weekly": {"monday": MON_THU},
}


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        (
            _set("weekly.monday", [{"start": "08:00", "end": "12:00"}, {"start": "11:30", "end": "15:30"}]),
            "tumpang tindih",
        ),
        (_set("weekly.monday", [{"start": "13:00", "end": "08:00"}]), "harus setelah jam buka"),
        (_set("weekly.monday", [{"start": "08:00", "end": "08:00"}]), "harus setelah jam buka"),
        (_set("weekly.monday", [{"start": "08:00", "end": "25:00"}]), "end"),
        (_set("weekly.funday", MON_THU), "funday"),
        (_set("time_zone", "Asia/Pontianak_Baru"), "zona waktu tidak dikenal"),
        (_set("time_zone", "../etc/passwd"), "zona waktu tidak dikenal"),
        (_set("weekly", {}), "tidak punya jam layanan"),
        (_set("overrides", [RAMADAN | {"end_date": "2026-02-01"}]), "sebelum tanggal mulai"),
        (
            _set("overrides", [RAMADAN, RAMADAN | {"name": "Kedua", "start_date": "2026-03-19"}]),
            "tumpang tindih",
        ),
        (
            _set("closed_dates", [{"day": "2026-11-24", "reason": "Tutup"}])
            | {"open_dates": [{"day": "2026-11-24", "reason": "Buka"}]},
            "sekaligus tutup dan buka",
        ),
        (_set("closed_dates", [{"day": "2026-11-24", "reason": "A"}] * 2), "tanggal tutup ganda"),
        (_set("open_dates", [{"day": "2026-11-28", "reason": "Sabtu"}]), "isi 'intervals'"),
        (_set("open_dates", [{"day": "2026-11-24", "reason": "Kosong", "intervals": []}]), "isi 'intervals'"),
        (_set("holidays.country", "XX"), "sumber hari libur tidak didukung"),
        (_set("holidays.categories", ["public", "bank"]), "sumber hari libur tidak didukung"),
        (_set("hours_per_working_day", 0), "greater than 0"),
        (_set("version", ""), "version"),
        (_without("version"), "version"),
        (_set("weekday_hours", {}), "weekday_hours"),
    ],
)
def test_invalid_configuration_is_refused(document: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        CalendarConfig.model_validate(document)


def test_invalid_configuration_file_is_refused_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(_set("weekly.friday", [{"start": "15:30", "end": "13:00"}])))

    with pytest.raises(ValidationError, match="harus setelah jam buka"):
        load_config(path)


def test_override_applies_inside_its_range_only() -> None:
    config = CalendarConfig.model_validate(
        _set("overrides", [RAMADAN | {"weekly": {"monday": [{"start": "09:00", "end": "12:00"}]}}])
    )

    assert config.schedule_for(date(2026, 2, 23)).monday[0].start == time(9)
    assert config.schedule_for(date(2026, 2, 16)).monday[0].start == time(8)
    assert config.schedule_for(date(2026, 3, 19)) is config.overrides[0].weekly
    assert config.schedule_for(date(2026, 3, 20)) is config.weekly
