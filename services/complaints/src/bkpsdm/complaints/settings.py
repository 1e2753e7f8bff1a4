"""complaints's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("complaints", port=8006)


class ComplaintsSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
