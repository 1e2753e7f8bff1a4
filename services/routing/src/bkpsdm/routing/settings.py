"""routing's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("routing", port=8002)


class RoutingSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
