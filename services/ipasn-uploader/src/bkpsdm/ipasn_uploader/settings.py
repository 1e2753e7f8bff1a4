"""ipasn-uploader's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("ipasn-uploader", port=8004)


class IpasnUploaderSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
