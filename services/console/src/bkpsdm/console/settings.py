"""console's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("console", port=8007)


class ConsoleSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
