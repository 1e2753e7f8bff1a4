"""Concatenated SMS: a long message arrives from the gateway as parts (reference, part i of n)
in any order, possibly twice; it becomes one text once every part is there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bkpsdm.complaints.domain import errors

MAX_PARTS = 16  # 16 x 153 characters: longer than any SMS a phone sends as one message


@dataclass(frozen=True)
class SmsPart:
    message_id: str  # the gateway's id of this part: a redelivery has the same one
    sender: str
    reference: str  # the concatenation reference shared by the parts ("" for a single SMS)
    part: int
    total: int
    text: str


def check_part(part: SmsPart) -> None:
    if not 1 <= part.total <= MAX_PARTS or not 1 <= part.part <= part.total:
        raise errors.refuse(errors.SMS_PART_INVALID, total=max(1, min(part.total, MAX_PARTS)))


def assemble(total: int, texts: Mapping[int, str]) -> str | None:
    """The whole message in part order, or None while a part is missing."""
    if set(texts) != set(range(1, total + 1)):
        return None
    return "".join(texts[i] for i in range(1, total + 1))
