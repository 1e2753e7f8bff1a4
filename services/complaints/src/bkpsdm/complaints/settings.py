"""complaints's identity (declared once: port, settings prefix, schema, event source) and settings."""

from pathlib import Path

from pydantic import Field, SecretStr

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("complaints", port=8006)

# Local development values (like the local database password): a deployment sets its own.
LOCAL_SMS_SECRET = "bkpsdm-lokal-sms-webhook"
LOCAL_LAPOR_SECRET = "bkpsdm-lokal-lapor"


class ComplaintsSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()

    # A public form with its attachments; the template's default is 5 MiB.
    max_request_bytes: int = Field(default=7 * 1024 * 1024, ge=1024)
    attachment_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1)
    attachments_max: int = Field(default=3, ge=0, le=10)
    rules_file: Path | None = None  # None: the packaged SLA rules (complaint_rules.default.json)
    ikm_rules_file: Path | None = None  # None: the packaged IKM rules
    calendar_file: Path | None = None  # None: libs/common's default service calendar

    # Public endpoints (form, tracking, replies, survey): per client address, token bucket.
    public_rate_per_s: float = Field(default=1.0, gt=0)
    public_burst: int = Field(default=10, ge=1)
    # Signs the one-time tokens of the web form; unset: a random key per process (replicas
    # then refuse each other's tokens).
    form_token_secret: SecretStr | None = None
    form_token_ttl_s: float = Field(default=2 * 3600, gt=0)

    # E-mail: the agency's mail server hands mail for these addresses over SMTP or LMTP.
    smtp_enabled: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=0, le=65535)  # 0: any free port
    smtp_protocol: str = Field(default="smtp", pattern=r"^(smtp|lmtp)$")
    smtp_max_message_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    mail_addresses: list[str] = Field(
        default=["pengaduan@bkpsdm.singkawangkota.go.id", "bkpsdm@singkawangkota.go.id"], min_length=1
    )

    # SMS gateway webhook: HMAC-SHA256 over "<timestamp>.<body>" with this shared secret.
    sms_webhook_secret: SecretStr = SecretStr(LOCAL_SMS_SECRET)
    sms_signature_max_age_s: float = Field(default=300, gt=0)

    # SP4N-LAPOR!: unset base URL = no sync.
    lapor_base_url: str | None = None
    lapor_agency: str = "BKPSDM-SKW"
    lapor_client_id: str = "bkpsdm-singkawang"
    lapor_client_secret: SecretStr = SecretStr(LOCAL_LAPOR_SECRET)
    lapor_sync_interval_s: float = Field(default=5.0, gt=0)
    lapor_page_size: int = Field(default=200, ge=1, le=1000)
    lapor_timeout_s: float = Field(default=5.0, gt=0)
    lapor_retry_attempts: int = Field(default=3, ge=1, le=10)
    lapor_breaker_threshold: int = Field(default=5, ge=1)
    lapor_breaker_ttl_s: float = Field(default=15.0, gt=0)

    deadline_interval_s: float = Field(default=1.0, gt=0)
    # Demo and test aid: POST /internal/v1/clock/advance moves this service's clock forward.
    # Never enable it in production: every SLA clock would be at the caller's mercy.
    clock_control_enabled: bool = False

    # Where the survey QR codes lead (the public address of this service's /survei pages).
    public_base_url: str = "http://127.0.0.1:8006"
    # The services surveyed (seed 003: twice a year), code -> name; the codes are intake's.
    survey_services: dict[str, str] = Field(
        default_factory=lambda: {
            "E-LAPKIN": "Pelayanan Pelaporan Kinerja PNS",
            "IP-ASN": "Pelayanan Indeks Profesionalitas ASN (IP-ASN)",
            "PORTAL-INFO": "Portal Informasi Kepegawaian Daerah",
            "ABSENSI-FINGER": "Pelayanan Instalasi Aplikasi Absensi Elektronik",
        },
        min_length=1,
    )
