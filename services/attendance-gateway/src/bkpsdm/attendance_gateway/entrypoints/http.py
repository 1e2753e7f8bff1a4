"""The gateway's HTTP API for technicians (petugas teknis): the terminal registry and the health board."""

# No `from __future__ import annotations`: FastAPI reads the routes' local `Technician` alias at runtime.

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, JsonValue

from bkpsdm.attendance_gateway import service
from bkpsdm.attendance_gateway.domain import errors
from bkpsdm.attendance_gateway.domain.terminal import (
    HOSTNAME_PATTERN,
    MAX_COMM_KEY,
    MAX_POLL_INTERVAL_S,
    MIN_POLL_INTERVAL_S,
    USER_ID_PATTERN,
    Registration,
    Terminal,
    Transport,
)
from bkpsdm.attendance_gateway.poller import Poller
from bkpsdm.attendance_gateway.service import UnitOfWorkFactory
from bkpsdm.common.auth import FORBIDDEN_ROLE, TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_MISSING, Principal
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import COMMON_ERRORS, JsonInteger, PlainText, error_responses
from bkpsdm.common.logs import current_correlation_id, new_correlation_id
from bkpsdm.common.nip import NIP_PATTERN

_AUTH = (TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID, FORBIDDEN_ROLE)
# What any route reading a JSON body can answer before it runs.
_BODY = tuple(COMMON_ERRORS[c] for c in ("BODY_NOT_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"))
_REGISTRATION = (
    errors.ADDRESS_INVALID,
    errors.PORT_INVALID,
    errors.TRANSPORT_INVALID,
    errors.TIME_ZONE_INVALID,
    errors.POLL_INTERVAL_INVALID,
    errors.COMM_KEY_INVALID,
    errors.UNIT_REQUIRED,
    errors.TERMINAL_EXISTS,
)


# The registration's rules are published in the schema so that a client (or a fuzzer) can
# see them, but checked by the domain (terminal.py), which names each fault with its own code.
_TIME_ZONES: list[JsonValue] = list(sorted(available_timezones()))


class TerminalRequest(BaseModel):
    name: PlainText = Field(min_length=1, max_length=200, description="Nama/lokasi mesin, mis. Lobi Kantor")
    address: PlainText = Field(
        min_length=1,
        max_length=253,
        description="Alamat IP atau nama host",
        json_schema_extra={"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}, {"pattern": HOSTNAME_PATTERN}]},
    )
    port: JsonInteger = Field(
        default=4370,
        description="Port mesin (biasanya 4370)",
        json_schema_extra={"minimum": 1, "maximum": 65_535},
    )
    transport: PlainText = Field(
        default="tcp",
        max_length=10,
        description="tcp atau udp",
        json_schema_extra={"enum": [t.value for t in Transport]},
    )
    comm_key: JsonInteger | None = Field(
        default=None,
        description="Comm key mesin (rahasia: tidak pernah ditampilkan); kosong = 0 / tidak diubah",
        json_schema_extra={"minimum": 0, "maximum": MAX_COMM_KEY},
    )
    time_zone: PlainText = Field(
        default="Asia/Jakarta",
        max_length=64,
        description="Zona waktu IANA",
        json_schema_extra={"enum": _TIME_ZONES},
    )
    poll_interval_s: JsonInteger = Field(
        default=60,
        description="Selang penarikan data (detik)",
        json_schema_extra={"minimum": MIN_POLL_INTERVAL_S, "maximum": MAX_POLL_INTERVAL_S},
    )
    unit: PlainText = Field(
        min_length=1,
        max_length=200,
        description="Unit kerja / Perangkat Daerah",
        json_schema_extra={
            "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\x00-\x1f\x7f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
        },
    )
    # Strict: a JSON true or false, not 0/1 or "yes" (the schema says boolean).
    enabled: bool = Field(default=True, strict=True)
    clear_log_after_publish: bool = Field(
        default=False, strict=True, description="Kosongkan log mesin setelah seluruh isinya terkirim"
    )
    live_capture: bool = Field(
        default=False, strict=True, description="Terima absensi seketika (live capture)"
    )

    def registration(self) -> Registration:
        return Registration(
            name=self.name,
            address=self.address,
            port=self.port,
            transport=self.transport,
            comm_key=self.comm_key or 0,
            time_zone=self.time_zone,
            poll_interval_s=self.poll_interval_s,
            unit=self.unit,
            enabled=self.enabled,
            clear_log_after_publish=self.clear_log_after_publish,
            live_capture=self.live_capture,
        )


class TerminalView(BaseModel):
    terminal_id: str
    name: str
    address: str
    port: int
    transport: str
    time_zone: str
    poll_interval_s: int
    unit: str
    enabled: bool
    clear_log_after_publish: bool
    live_capture: bool
    comm_key_set: bool = Field(description="Apakah comm key diisi (nilainya tidak pernah ditampilkan)")

    @classmethod
    def of(cls, t: Terminal) -> "TerminalView":
        return cls(
            terminal_id=t.terminal_id,
            name=t.name,
            address=t.address,
            port=t.port,
            transport=t.transport.value,
            time_zone=t.time_zone,
            poll_interval_s=t.poll_interval_s,
            unit=t.unit,
            enabled=t.enabled,
            clear_log_after_publish=t.clear_log_after_publish,
            live_capture=t.live_capture,
            comm_key_set=t.comm_key != 0,
        )


class UserMapping(BaseModel):
    user_id: PlainText = Field(
        min_length=1,
        max_length=24,
        description="ID pengguna pada mesin",
        json_schema_extra={"pattern": USER_ID_PATTERN},
    )
    nip: PlainText = Field(
        min_length=1, max_length=18, description="NIP pegawai", json_schema_extra={"pattern": NIP_PATTERN}
    )


class UserMappings(BaseModel):
    users: list[UserMapping] = Field(max_length=10_000)


class UserMappingResult(BaseModel):
    mapped: int
    released_punches: int = Field(description="Absensi tertahan (ID belum dipetakan) yang kini dikirim")


class TerminalHealth(BaseModel):
    terminal_id: str
    name: str
    unit: str
    enabled: bool
    status: str = Field(description="UNKNOWN, ONLINE, OFFLINE atau FAULTY")
    reason: str | None
    detail: str | None
    failure_streak: int
    serial: str | None
    firmware: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    clock_drift_s: float | None
    clock_drift_alert: bool
    records: int | None
    records_capacity: int | None
    log_nearly_full: bool = Field(description="Memori log mesin terisi 90% atau lebih")
    users: int | None
    polled_by: str | None = Field(description="Proses gateway yang sedang menarik data mesin ini")


class TimeSyncResult(BaseModel):
    terminal_time: datetime = Field(description="Jam mesin setelah disetel, dengan zona waktunya")
    drift_s: float | None = Field(description="Selisih jam mesin terhadap jam server setelah disetel (detik)")


def build_router(
    unit_of_work: UnitOfWorkFactory, technician: Callable[..., Principal], poller: Poller
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["mesin absensi"])
    Technician = Annotated[Principal, Depends(technician)]

    @router.post(
        "/terminals",
        status_code=201,
        response_model=TerminalView,
        responses=error_responses(*_REGISTRATION, *_AUTH, *_BODY),
    )
    async def register(request: TerminalRequest, _principal: Technician) -> TerminalView:
        terminal = await service.register_terminal(unit_of_work(), request.registration())
        if terminal.enabled:
            poller.wake()
        return TerminalView.of(terminal)

    @router.get("/terminals", response_model=list[TerminalView], responses=error_responses(*_AUTH))
    async def terminals(_principal: Technician) -> list[TerminalView]:
        return [TerminalView.of(t) for t in await service.list_terminals(unit_of_work())]

    @router.get(
        "/terminals/{terminal_id}",
        response_model=TerminalView,
        responses=error_responses(errors.TERMINAL_NOT_FOUND, *_AUTH),
    )
    async def terminal(terminal_id: str, _principal: Technician) -> TerminalView:
        return TerminalView.of(await service.get_terminal(unit_of_work(), terminal_id))

    @router.put(
        "/terminals/{terminal_id}",
        response_model=TerminalView,
        responses=error_responses(errors.TERMINAL_NOT_FOUND, *_REGISTRATION, *_AUTH, *_BODY),
    )
    async def update(terminal_id: str, request: TerminalRequest, _principal: Technician) -> TerminalView:
        terminal = await service.update_terminal(
            unit_of_work(), terminal_id, request.registration(), keep_comm_key=request.comm_key is None
        )
        if terminal.enabled:
            poller.wake()
        return TerminalView.of(terminal)

    @router.put(
        "/terminals/{terminal_id}/users",
        response_model=UserMappingResult,
        responses=error_responses(
            errors.TERMINAL_NOT_FOUND, errors.USER_ID_INVALID, errors.NIP_INVALID, *_AUTH, *_BODY
        ),
    )
    async def map_users(terminal_id: str, request: UserMappings, _principal: Technician) -> UserMappingResult:
        released = await service.map_users(
            unit_of_work(),
            terminal_id,
            [(u.user_id, u.nip) for u in request.users],
            current_correlation_id() or new_correlation_id(),
        )
        return UserMappingResult(mapped=len(request.users), released_punches=released)

    @router.get(
        "/terminals/{terminal_id}/users",
        response_model=dict[str, str],
        responses=error_responses(errors.TERMINAL_NOT_FOUND, *_AUTH),
    )
    async def users(terminal_id: str, _principal: Technician) -> dict[str, str]:
        return await service.terminal_users(unit_of_work(), terminal_id)

    @router.post(
        "/terminals/{terminal_id}/time-sync",
        response_model=TimeSyncResult,
        responses=error_responses(
            errors.TERMINAL_NOT_FOUND, errors.TERMINAL_BUSY, errors.TERMINAL_UNREACHABLE, *_AUTH
        ),
    )
    async def sync_time(terminal_id: str, _principal: Technician) -> TimeSyncResult:
        # A person waits on this answer: a poll in progress gets a few seconds to end, not more.
        session = await poller.exclusive_session(terminal_id, "sync_time", wait_s=3)
        if session is None:
            raise DomainError(errors.TERMINAL_BUSY)
        lease, result = session
        if not result.ok or result.terminal_time is None:
            raise DomainError(errors.TERMINAL_UNREACHABLE, {"reason": result.reason})
        return TimeSyncResult(
            terminal_time=result.terminal_time.replace(tzinfo=ZoneInfo(lease.terminal.time_zone)),
            drift_s=service.drift_of(lease, result),
        )

    @router.get("/terminal-health", response_model=list[TerminalHealth], responses=error_responses(*_AUTH))
    async def health_board(_principal: Technician) -> list[TerminalHealth]:
        return [
            TerminalHealth(
                terminal_id=str(r["terminal_id"]),
                name=r["name"],
                unit=r["unit"],
                enabled=r["enabled"],
                status=r["status"],
                reason=r["reason"],
                detail=r["detail"],
                failure_streak=r["failure_streak"],
                serial=r["serial"],
                firmware=r["firmware"],
                last_attempt_at=r["last_attempt_at"],
                last_success_at=r["last_success_at"],
                next_poll_at=r["next_poll_at"],
                clock_drift_s=r["drift_s"],
                clock_drift_alert=r["drift_alert"],
                records=r["records"],
                records_capacity=r["records_capacity"],
                log_nearly_full=bool(r["records_capacity"]) and r["records"] >= 0.9 * r["records_capacity"],
                users=r["users"],
                polled_by=r["lease_owner"],
            )
            for r in await service.health_board(unit_of_work())
        ]

    return router
