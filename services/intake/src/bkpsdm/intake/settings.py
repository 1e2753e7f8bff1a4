"""intake's identity (declared once: port, settings prefix, schema, event source) and settings."""

from datetime import datetime
from pathlib import Path

from pydantic import Field, field_validator

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("intake", port=8001)


class IntakeSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()

    # Relative paths are taken from the working directory: `make up` runs services from the
    # checkout, so documents land in deploy/local/.state/documents (ignored by git).
    documents_dir: Path = Path("deploy/local/.state/documents")
    document_max_bytes: int = Field(default=4 * 1024 * 1024, ge=1)
    # A whole submission (cover letter, documents and recap); the template's default is 5 MiB.
    max_request_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    recap_max_rows: int = Field(default=50_000, ge=1)
    # Fields: {service} (the service code), {year} (of receipt, local time), {seq} (a PostgreSQL
    # sequence per service and year, taken once every check has passed).
    receipt_pattern: str = "{service}/{year}/{seq:05d}"
    catalogue_dir: Path | None = None  # None: the packaged catalogue
    calendar_file: Path | None = None  # None: libs/common's default service calendar

    @field_validator("receipt_pattern")
    @classmethod
    def _pattern_formats(cls, value: str) -> str:
        try:
            sample = value.format(service="E-LAPKIN", year=datetime.now().year, seq=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"cannot format a receipt number: {exc!r}") from None
        if "1" not in sample or not 1 <= len(sample) <= 64:
            raise ValueError("the pattern must contain {seq} and give at most 64 characters")
        return value
