"""intake's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("intake", port=8001)


class IntakeSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
