"""Configuration of the BKN gateway simulator: credentials, token lifetimes, reference data, faults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bkpsdm.simulators.bkn.reference import (
    DEFAULT_JABATAN,
    DEFAULT_PENDIDIKAN,
    DEFAULT_UNOR,
    Jabatan,
    TingkatPendidikan,
    Unor,
)

FaultKind = Literal["error_5xx", "timeout", "drop", "non_json", "throttle"]
# "before": the request never reaches the handler (nothing stored); "after": the handler runs
# (a save is stored) and only then is the answer replaced, delayed or lost.
FaultPhase = Literal["before", "after"]
# save ⊂ api ⊂ all; "all" adds the two token endpoints. /sim/* is never faulted.
FaultScope = Literal["save", "api", "all"]


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    rate: float = Field(ge=0.0, le=1.0)
    phase: FaultPhase = "before"
    scope: FaultScope = "api"
    # error_5xx picks one of these at random; non_json answers 200 or 502 by default.
    statuses: list[int] | None = None
    # how long a "timeout" fault holds the request before answering (longer than the client's timeout)
    delay_s: float = Field(default=30.0, ge=0.0)
    # inject at most this many times, then stop (None: no limit)
    count: int | None = Field(default=None, ge=0)
    # the Retry-After (whole seconds) a "throttle" fault answers with; 0 lets a client retry at once
    retry_after_s: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _statuses_fit_kind(self) -> FaultRule:
        if self.statuses is not None:
            if not self.statuses:
                raise ValueError("statuses must not be empty")
            if self.kind == "error_5xx" and any(not 500 <= s <= 599 for s in self.statuses):
                raise ValueError("error_5xx statuses must be 5xx")
            if self.kind == "non_json" and any(not 200 <= s <= 599 for s in self.statuses):
                raise ValueError("non_json statuses must be 2xx-5xx")
        return self

    def status_choices(self) -> list[int]:
        if self.statuses is not None:
            return self.statuses
        return [500, 502, 503] if self.kind == "error_5xx" else [200, 502]


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    latency_ms: float = Field(default=0.0, ge=0.0)
    latency_jitter_ms: float = Field(default=0.0, ge=0.0)
    # token bucket over every /apisiasn call; None disables it
    rate_limit_rps: float | None = Field(default=None, gt=0.0)
    rate_limit_burst: int | None = Field(default=None, ge=1)
    # checked in order; the first rule that fires decides the request
    rules: list[FaultRule] = Field(default_factory=list)


class BknSimConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consumer_key: str = "bkpsdm-sim-consumer-key"
    consumer_secret: str = "bkpsdm-sim-consumer-secret"
    sso_client_id: str = "bkpsdm-sim"
    sso_users: dict[str, str] = Field(default_factory=lambda: {"operator.bkpsdm": "operator-secret"})
    gateway_token_ttl_s: float = Field(default=3600.0, gt=0.0)
    sso_token_ttl_s: float = Field(default=3600.0, gt=0.0)
    skp_min_tahun: int = 2022  # skp22: PermenPANRB 6/2022
    skp_pp46_min_tahun: int = 2014  # skp (numeric): PP 46/2011 applied from 2014
    ipasn_min_tahun: int = 2019  # Peraturan BKN 8/2019
    unor: list[Unor] = Field(default_factory=lambda: list(DEFAULT_UNOR))
    jabatan: list[Jabatan] = Field(default_factory=lambda: list(DEFAULT_JABATAN))
    tingkat_pendidikan: list[TingkatPendidikan] = Field(default_factory=lambda: list(DEFAULT_PENDIDIKAN))
    faults: FaultConfig = Field(default_factory=FaultConfig)
