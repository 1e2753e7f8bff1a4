from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import ServiceSettings


class LapkinUploaderSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_LAPKIN_UPLOADER_", extra="ignore")

    http_port: int = 8003
    db_schema: str = "lapkin_uploader"
