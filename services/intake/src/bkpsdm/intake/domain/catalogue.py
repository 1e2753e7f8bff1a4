"""The public service catalogue: one versioned JSON file per service standard (seeds 000-004).

Text fields are the seeds' own words; a field the seed does not give is null or empty,
never filled in. Files are validated when loaded, so a broken catalogue stops the service
at start-up instead of misleading an applicant later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from bkpsdm.common.domain_errors import validation_problems

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "catalogue"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# A wall-clock time in the standard's time zone. JSON Schema's "time" format demands a UTC
# offset, which these times do not carry: documented as a plain HH:MM[:SS] string instead.
LocalTime = Annotated[
    time,
    WithJsonSchema({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$"}),
]

# "1 Hari", "1 (satu) hari", "0 Hari kerja": the seeds' ways of writing a duration.
_WORKING_DAYS = re.compile(r"^(\d+)\s*(?:\([a-z ]+\)\s*)?hari(?:\s+kerja)?$", re.IGNORECASE)
_STAFF_COUNT = re.compile(r"^(\d+)\b")


class CatalogueError(Exception):
    """The catalogue files are unusable; the message names the file and the problem."""


class FileKind(StrEnum):
    PDF = "pdf"
    IMAGE = "image"
    XLSX = "xlsx"
    CSV = "csv"


RECAP_FILE_KINDS = frozenset({FileKind.XLSX, FileKind.CSV})


class RequirementKind(StrEnum):
    DOCUMENT = "document"  # uploaded as a file
    PHYSICAL = "physical"  # brought to the office (a terminal, a laptop)


class ChannelKind(StrEnum):
    IN_PERSON = "in_person"
    SUGGESTION_BOX = "suggestion_box"
    LETTER = "letter"
    EMAIL = "email"
    WEBSITE = "website"
    PHONE_FAX = "phone_fax"
    SMS = "sms"
    SP4N_LAPOR = "sp4n_lapor"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Agency(_Model):
    name: Text
    short_name: Text | None
    government: Text
    address: Text | None
    phone: Text | None
    website: Text | None


class Requirement(_Model):
    id: Slug
    text: Text
    kind: RequirementKind
    file_kinds: tuple[FileKind, ...]
    recap: bool  # the upload is a recap checked row by row (domain/recap.py)

    @model_validator(mode="after")
    def _file_kinds_fit_the_kind(self) -> Self:
        if self.kind is RequirementKind.DOCUMENT and not self.file_kinds:
            raise ValueError(f"document requirement {self.id!r} lists no file kinds")
        if self.kind is RequirementKind.PHYSICAL and (self.file_kinds or self.recap):
            raise ValueError(f"physical requirement {self.id!r} cannot take files")
        if self.recap and not set(self.file_kinds) <= RECAP_FILE_KINDS:
            raise ValueError(f"recap requirement {self.id!r} accepts only xlsx and csv")
        if len(set(self.file_kinds)) != len(self.file_kinds):
            raise ValueError(f"requirement {self.id!r} repeats a file kind")
        return self


class CompletionTime(_Model):
    text: Text
    working_days: int = Field(ge=0)

    @model_validator(mode="after")
    def _days_match_the_text(self) -> Self:
        match = _WORKING_DAYS.match(self.text)
        if match is None:
            raise ValueError(f"completion time {self.text!r} is not a number of days")
        if int(match.group(1)) != self.working_days:
            raise ValueError(f"completion time {self.text!r} does not say {self.working_days} days")
        return self


class ServiceWindow(_Model):
    days: tuple[Weekday, ...] = Field(min_length=1)
    open: LocalTime
    close: LocalTime
    breaks: tuple[tuple[LocalTime, LocalTime], ...]

    @model_validator(mode="after")
    def _breaks_inside_opening_hours(self) -> Self:
        if self.open >= self.close:
            raise ValueError(f"opening {self.open} is not before closing {self.close}")
        for start, end in self.breaks:
            if not self.open <= start < end <= self.close:
                raise ValueError(f"break {start}-{end} is not inside {self.open}-{self.close}")
        return self


class ServiceHours(_Model):
    text: tuple[Text, ...] = Field(min_length=1)
    timezone: Text
    windows: tuple[ServiceWindow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_day_once(self) -> Self:
        days = [day for window in self.windows for day in window.days]
        if len(days) != len(set(days)):
            raise ValueError("a weekday appears in more than one service-hours window")
        return self


class ComplaintChannel(_Model):
    kind: ChannelKind
    text: Text


class Complaints(_Model):
    channels: tuple[ComplaintChannel, ...] = Field(min_length=1)
    officers: tuple[Text, ...]
    room: Text | None


class Staffing(_Model):
    text: Text
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _count_matches_the_text(self) -> Self:
        match = _STAFF_COUNT.match(self.text)
        if match is None or int(match.group(1)) != self.count:
            raise ValueError(f"staffing {self.text!r} does not say {self.count}")
        return self


class ServiceStandard(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)*$")]
    version: int = Field(ge=1)
    name: Text
    sources: tuple[Text, ...] = Field(min_length=1)  # seed files the text was copied from
    notes: Text | None  # how the sources were combined, and any text that was tidied
    agency: Agency
    sk_number: Text | None
    legal_basis: tuple[Text, ...]
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    procedure: tuple[Text, ...] = Field(min_length=1)
    completion_time: CompletionTime | None
    service_hours: ServiceHours | None
    fee: Text | None
    products: tuple[Text, ...]
    complaints: Complaints | None
    facilities: tuple[Text, ...]
    staffing: Staffing | None
    competences: tuple[Text, ...]
    internal_supervision: tuple[Text, ...]
    service_guarantee: Text | None
    security_guarantees: tuple[Text, ...]
    evaluation: tuple[Text, ...]

    @model_validator(mode="after")
    def _requirements_are_distinct(self) -> Self:
        ids = [r.id for r in self.requirements]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"requirement ids repeated: {', '.join(duplicates)}")
        if sum(r.recap for r in self.requirements) > 1:
            raise ValueError("more than one recap requirement")
        return self

    @property
    def recap_requirement(self) -> Requirement | None:
        return next((r for r in self.requirements if r.recap), None)

    def requirement(self, requirement_id: str) -> Requirement:
        for r in self.requirements:
            if r.id == requirement_id:
                return r
        raise KeyError(requirement_id)


@dataclass(frozen=True)
class Catalogue:
    services: Mapping[str, ServiceStandard]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted(self.services))

    def get(self, code: str) -> ServiceStandard | None:
        """The standard for an applicant's service code (case and spaces ignored); None if unknown."""
        return self.services.get(code.strip().upper())

    def __contains__(self, code: str) -> bool:
        return self.get(code) is not None


def _brief(exc: ValidationError) -> str:
    # Field path and problem only: the catalogue is public text, but keep errors one line each.
    return "; ".join(validation_problems(exc))


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """Every `*.json` in `folder` (default: the packaged catalogue), validated; raises CatalogueError."""
    folder = folder or CATALOGUE_DIR
    files = sorted(folder.glob("*.json"))
    if not files:
        raise CatalogueError(f"no service standard files in {folder}")
    services: dict[str, ServiceStandard] = {}
    for path in files:
        try:
            service = ServiceStandard.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise CatalogueError(f"{path.name}: {_brief(exc)}") from exc
        if service.code in services:
            raise CatalogueError(f"{path.name}: service code {service.code} appears twice")
        services[service.code] = service
    return Catalogue(services)
