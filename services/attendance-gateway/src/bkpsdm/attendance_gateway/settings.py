"""attendance-gateway's identity (declared once: port, settings prefix, schema, event source) and settings."""

from pathlib import Path

from pydantic import Field

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("attendance-gateway", port=8005)


class AttendanceGatewaySettings(ServiceSettings):
    model_config = IDENTITY.settings_config()

    polling_enabled: bool = True
    poll_workers: int = Field(default=8, ge=1, le=256)  # worker processes: sessions at once
    session_timeout_s: float = Field(default=5.0, gt=0)  # pyzk's socket timeout per request
    session_deadline_s: float = Field(default=120.0, gt=0)  # a whole session, then its worker is killed
    lease_s: float = Field(default=15.0, ge=1)  # a dead process's terminals are taken over after this
    poll_tick_s: float = Field(default=1.0, gt=0)
    drift_threshold_s: float = Field(default=60.0, gt=0)
    error_streak_threshold: int = Field(default=3, ge=1)
    punch_batch_size: int = Field(default=5000, ge=1, le=50_000)  # punches per transaction
    daily_attendance_enabled: bool = True  # consume the punches topic into daily records
    attendance_rules_file: str | None = None  # the agency's rules (JSON); None: the built-in defaults
    # Holidays, cuti bersama and closures of daily attendance; None: libs/common's default calendar.
    calendar_file: Path | None = None
    # Fernet keys, one per line (the first seals): comm keys are sealed at rest. None: plaintext.
    comm_key_secret_file: Path | None = None
