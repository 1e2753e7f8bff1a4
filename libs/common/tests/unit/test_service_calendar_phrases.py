from __future__ import annotations

from datetime import timedelta

import pytest

from bkpsdm.common.service_calendar import ServiceCalendarError, parse_duration_phrase

WORKING_DAY = timedelta(hours=6)


@pytest.mark.parametrize(
    ("phrase", "duration"),
    [
        # as written in the seeds
        ("1 Hari", timedelta(hours=6)),
        ("1 (satu) hari", timedelta(hours=6)),
        ("0 Hari kerja", timedelta(0)),
        # variants the same standards use elsewhere
        ("3 hari kerja", timedelta(hours=18)),
        ("tiga hari kerja", timedelta(hours=18)),
        ("14 (empat belas) hari kerja", timedelta(hours=84)),
        ("  1   HARI. ", timedelta(hours=6)),
        ("1 Hari\n", timedelta(hours=6)),
        ("2 Jam", timedelta(hours=2)),
        ("30 menit", timedelta(minutes=30)),
    ],
)
def test_phrase_becomes_service_time(phrase: str, duration: timedelta) -> None:
    assert parse_duration_phrase(phrase, WORKING_DAY) == duration


@pytest.mark.parametrize(
    "phrase", ["", "segera", "hari", "1 (dua) hari", "1 minggu", "-1 hari", "satu setengah hari", "1,5 hari"]
)
def test_unknown_phrase_is_refused_with_its_code(phrase: str) -> None:
    with pytest.raises(ServiceCalendarError, match="tidak dikenali") as raised:
        parse_duration_phrase(phrase, WORKING_DAY)
    assert raised.value.code == "SERVICE_TIME_PHRASE_UNKNOWN"


def test_hari_follows_the_configured_working_day() -> None:
    assert parse_duration_phrase("2 hari", timedelta(hours=7, minutes=30)) == timedelta(hours=15)
