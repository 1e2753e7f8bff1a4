"""The "Jangka Waktu Penyelesaian" phrases of the service standards ("1 Hari", "1 (satu) hari", "0 Hari kerja")."""

from __future__ import annotations

import re
from datetime import timedelta

from bkpsdm.common.service_calendar.errors import unknown_phrase

_NUMBER_WORDS = {
    "nol": 0,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
}
_PHRASE = re.compile(
    r"(?:(?P<digits>\d+)\s*(?:\((?P<spelled>[a-z ]+)\))?|(?P<word>[a-z]+))\s*(?P<unit>hari(?: kerja)?|jam|menit)"
)


def parse_duration_phrase(phrase: str, working_day: timedelta) -> timedelta:
    text = " ".join(phrase.lower().split()).rstrip(".")
    match = _PHRASE.fullmatch(text)
    if match is None:
        raise unknown_phrase(phrase)
    if match["digits"] is not None:
        count = int(match["digits"])
        spelled = _NUMBER_WORDS.get((match["spelled"] or "").strip())
        # "1 (dua) hari" is a typo in the standard; guessing which half is right would hide it.
        if spelled is not None and spelled != count:
            raise unknown_phrase(phrase)
    elif (word := _NUMBER_WORDS.get(match["word"])) is not None:
        count = word
    else:
        raise unknown_phrase(phrase)
    unit = {"jam": timedelta(hours=1), "menit": timedelta(minutes=1)}.get(match["unit"], working_day)
    return count * unit
