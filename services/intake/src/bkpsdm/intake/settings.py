from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_INTAKE_", extra="ignore")

    http_port: int = 8001
    db_schema: str = "intake"
