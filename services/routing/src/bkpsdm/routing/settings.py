"""routing's identity (declared once: port, settings prefix, schema, event source) and settings."""

from pathlib import Path

from pydantic import Field

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("routing", port=8002)


class RoutingSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()

    # The agency's own files; None: the packaged defaults (seeds 000-004, DOMAIN.md).
    workflows_dir: Path | None = None  # workflow definitions, *.json, several versions allowed
    rules_file: Path | None = None  # agenda pattern, disposisi instructions, escalation, warnings
    calendar_file: Path | None = None  # service hours, holidays (bkpsdm.common.service_calendar)
    # Demos and tests only: every SLA multiplied by this (0.001 makes a 1-hour step 3.6 s).
    sla_scale: float = Field(default=1.0, gt=0, le=1)
    # How long a repair case waits for the attendance gateway's diagnosis (wall-clock seconds).
    diagnosis_timeout_s: float = Field(default=300.0, gt=0)
    deadlines_enabled: bool = True  # fire SLA deadlines in this process
    deadline_idle_interval_s: float = Field(default=1.0, gt=0)
    deadline_batch_size: int = Field(default=100, ge=1, le=10_000)
    intake_url: str = "http://127.0.0.1:8001"  # documents are linked there, by reference
