"""lapkin-uploader's identity (declared once: port, settings prefix, schema, event source) and settings."""

from bkpsdm.common.identity import ServiceIdentity
from bkpsdm.common.settings import ServiceSettings

IDENTITY = ServiceIdentity("lapkin-uploader", port=8003)


class LapkinUploaderSettings(ServiceSettings):
    model_config = IDENTITY.settings_config()
