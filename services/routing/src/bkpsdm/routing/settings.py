from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_ROUTING_", extra="ignore")

    http_port: int = 8002
    db_schema: str = "routing"
