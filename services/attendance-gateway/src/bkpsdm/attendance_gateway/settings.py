from pydantic_settings import SettingsConfigDict

from bkpsdm.common.settings import ServiceSettings


class AttendanceGatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BKPSDM_ATTENDANCE_GATEWAY_", extra="ignore")

    http_port: int = 8005
    db_schema: str = "attendance_gateway"
