from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import ServiceSettings


class IpasnUploaderSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_IPASN_UPLOADER_", extra="ignore")

    http_port: int = 8004
    db_schema: str = "ipasn_uploader"
