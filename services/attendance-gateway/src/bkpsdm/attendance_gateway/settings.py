"""attendance-gateway's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("attendance-gateway", port=8005)


class AttendanceGatewaySettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
