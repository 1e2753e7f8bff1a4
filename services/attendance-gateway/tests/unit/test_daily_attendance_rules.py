from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from bkpsdm.attendance_gateway.domain.rules import DEFAULT_RULES_FILE, load_rules

Doc = dict[str, Any]


def default_doc() -> Doc:
    text = resources.files("bkpsdm.attendance_gateway.domain").joinpath(DEFAULT_RULES_FILE).read_text()
    doc: Doc = json.loads(text)
    return doc


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _overlapping_override(doc: Doc) -> None:
    doc["overrides"].append(
        {"name": "Ramadan lagi", "first_day": "2026-03-19", "last_day": "2026-03-30", "schedule": "ramadan"}
    )


def _drop_break(doc: Doc) -> None:
    del doc["schedules"]["normal"]["days"]["friday"]["break_minutes"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set(["time_zone"], "Asia/Pontianak_Barat"), "time_zone"),
        (_set(["version"], ""), "version"),
        (_set(["late_tolerance_minutes"], -1), "late_tolerance_minutes"),
        (_set(["default_schedule"], "summer"), "unknown schedules"),
        (_set(["schedules", "normal", "days", "monday", "end"], "15:00"), "declared 37.5"),
        (_drop_break, "declared 37.5"),
        (_set(["schedules", "normal", "days", "monday", "end"], "07:00"), "end must be after start"),
        (_set(["schedules", "normal", "days", "funday"], {"start": "08:00", "end": "09:00"}), "funday"),
        (_overlapping_override, "overlap"),
        (_set(["overrides", 0, "last_day"], "2024-03-01"), "last_day is before first_day"),
        (_set(["bands", 1, "from_minute"], 32), "must start at minute 31"),
        (_set(["bands", 3, "to_minute"], 500), "open-ended"),
        (_set(["bands", 2, "tl"], "TL1"), "unique"),
        (_set(["bands", 0, "percent"], "101"), "percent"),
        (_set(["surprise"], 1), "surprise"),
    ],
)
def test_an_inconsistent_rules_file_is_refused_when_loaded(change: Callable[[Doc], None], field: str) -> None:
    doc = default_doc()
    change(doc)
    with pytest.raises(ValidationError, match=field):
        load_rules(json.dumps(doc))


def test_an_agency_can_set_its_own_hours_tolerance_and_percentages() -> None:
    doc = default_doc()
    doc["version"] = "perwako-62-2019/v1"
    doc["late_tolerance_minutes"] = 10
    doc["schedules"]["normal"]["days"]["monday"]["end"] = "15:30"
    doc["schedules"]["normal"]["weekly_hours"] = "37"
    doc["bands"][3]["percent"] = "3"
    rules = load_rules(json.dumps(doc))
    assert rules.version == "perwako-62-2019/v1"
    assert rules.late_tolerance_minutes == 10
    assert rules.no_record_band.percent == 3
    assert rules.category_codes == ("TL1", "TL2", "TL3", "TL4", "PSW1", "PSW2", "PSW3", "PSW4")
