from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_COMPLAINTS_", extra="ignore")

    http_port: int = 8006
    db_schema: str = "complaints"
