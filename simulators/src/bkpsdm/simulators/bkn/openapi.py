"""The gateway's OpenAPI description: request bodies as precise as JSON Schema can state the save
rules, and every answer a route can give, the fault injector's included (they are off by default)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from bkpsdm.simulators._http import Detail, ValidationErrors, response
from bkpsdm.simulators.bkn.config import BknSimConfig
from bkpsdm.simulators.bkn.validation import (
    DIMENSI_MAKS,
    KATEGORI_BANDS,
    KATEGORI_TERENDAH,
    KUADRAN_BY_RATINGS,
    KUADRAN_NAMA,
    RATING_NAMA,
)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class SsoTokenOut(TokenOut):
    refresh_expires_in: int


class OAuthErrorOut(BaseModel):
    error: Literal["invalid_client", "invalid_grant", "unsupported_grant_type"]
    error_description: str


class FieldErrorOut(BaseModel):
    field: str
    code: str
    message: str


class BknErrorOut(BaseModel):
    success: Literal[False]
    code: str
    message: str
    errors: list[FieldErrorOut]


class GatewayFault(BaseModel):
    code: int
    message: str
    description: str
    nextAccessTime: str | None = None


class GatewayFaultOut(BaseModel):
    """WSO2's answer: a missing, unknown or expired gateway token (401) or a throttled call (429)."""

    fault: GatewayFault


class SavedId(BaseModel):
    id: str


class SavedOut(BaseModel):
    success: Literal[True]
    message: str
    mapData: SavedId


class DataOut(BaseModel):
    success: Literal[True]
    message: str
    data: list[dict[str, Any]]


class StoredRecordOut(BaseModel):
    id: str
    natural_key: str
    writes: int
    idempotency_keys: list[str]
    first_written_at: str
    last_written_at: str
    record: dict[str, Any]


class IdempotencyKeyOut(BaseModel):
    natural_key: str
    writes: int
    replays: int
    conflicts: int
    status: int


class RecordsOut(BaseModel):
    kind: Literal["skp", "skp-pp46", "ipasn"]
    count: int
    total_writes: int
    records: list[StoredRecordOut]
    idempotency_keys: dict[str, IdempotencyKeyOut]


class StatsOut(BaseModel):
    requests: int
    token_requests: int
    api_requests: int
    rate_limited: int
    auth_failures: int
    validation_failures: int
    writes: int
    idempotent_replays: int
    idempotency_conflicts: int
    faults_injected: int
    faults: dict[str, dict[str, int]]


class ResetOut(BaseModel):
    success: Literal[True]


_HTML = {"text/html": {"schema": {"type": "string"}}}


def faultable(ok: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """`ok` plus what the fault injector and the rate limit answer instead (see README, Faults)."""
    answers = {
        status: {**entry, "content": _HTML} if status == 200 else entry for status, entry in ok.items()
    }
    return {
        **answers,
        429: response(GatewayFaultOut, "Gangguan throttle atau batas laju: coba lagi sesudah Retry-After"),
        "5XX": response(
            BknErrorOut,
            "Gangguan error_5xx atau timeout (JSON), atau non_json (halaman HTML)",
            content=_HTML,
        ),
    }


UNAUTHORIZED = response(
    GatewayFaultOut | BknErrorOut,
    "Token gateway (Authorization) atau token SSO (Auth) tidak ada, tidak dikenal atau kedaluwarsa",
)
OAUTH_400 = response(OAuthErrorOut, "grant_type tidak didukung (unsupported_grant_type)")
OAUTH_401 = response(OAuthErrorOut, "Kredensial klien atau pengguna salah")
SAVE_ANSWERS: dict[int | str, dict[str, Any]] = faultable(
    {
        200: response(
            SavedOut,
            "Tersimpan (upsert per kunci alami); ulangan Idempotency-Key yang sama membawa "
            "header Idempotent-Replayed: true",
        ),
        400: response(BknErrorOut, "Isi bukan objek JSON (BAD_REQUEST)"),
        401: UNAUTHORIZED,
        409: response(BknErrorOut, "Idempotency-Key sudah dipakai untuk isi lain (IDEMPOTENCY_KEY_REUSED)"),
        422: response(BknErrorOut, "Data tidak valid (VALIDATION_FAILED), kode per field di errors"),
    }
)
READ_ANSWERS: dict[int | str, dict[str, Any]] = faultable(
    {
        200: response(DataOut, "Data"),
        401: UNAUTHORIZED,
        422: response(ValidationErrors, "Parameter tidak sah"),
    }
)
PARSE_400 = response(Detail, "Isi permintaan tidak dapat dibaca")

_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Sama dengan isi sama: jawaban pertama diulang; dengan isi lain: 409",
    "schema": {"type": "string"},
}
_NIP = {"type": "string", "pattern": "^[0-9]{18}$", "minLength": 18, "maxLength": 18}
_FILLED = {"type": "string", "minLength": 1}
_PENILAI = ("penilaiNama", "penilaiNipNrp", "penilaiJabatan", "penilaiUnorNama", "penilaiGolongan")


def _one_of(values: list[Any], kind: str = "string") -> dict[str, Any]:
    return {"type": kind, "enum": values}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _score(maximum: float) -> dict[str, Any]:
    return {"type": "number", "minimum": 0, "maximum": maximum}


def _penilai(config: BknSimConfig, min_tahun: int, max_tahun: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The properties every SKP save shares, and the rule that an ASN penilai has an 18-digit NIP."""
    properties = {
        "nip": _NIP,
        "tahun": {"type": "integer", "minimum": min_tahun, "maximum": max_tahun},
        "unorId": _one_of([u.id for u in config.unor]),
        "jabatanId": _nullable(_one_of([j.id for j in config.jabatan])),
        **{name: _FILLED for name in _PENILAI},
        "statusPenilai": _one_of(["ASN", "NON ASN"]),
    }
    asn_nip = {
        "anyOf": [
            {"required": ["statusPenilai"], "properties": {"statusPenilai": {"const": "NON ASN"}}},
            {"properties": {"penilaiNipNrp": _NIP}},
        ]
    }
    return properties, asn_nip


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "parameters": [_IDEMPOTENCY_KEY],
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        },
    }


def skp_body(config: BknSimConfig, max_tahun: int) -> dict[str, Any]:
    properties, asn_nip = _penilai(config, config.skp_min_tahun, max_tahun)
    ratings = list(RATING_NAMA)
    matrix = [
        {
            "properties": {
                "hasilKinerjaNilai": {"const": hasil},
                "perilakuKerjaNilai": {"const": perilaku},
                "kuadranKinerjaNilai": {"const": kuadran},
            }
        }
        for (hasil, perilaku), kuadran in KUADRAN_BY_RATINGS.items()
    ]
    schema = {
        "type": "object",
        "required": [
            "nip",
            "tahun",
            "hasilKinerjaNilai",
            "perilakuKerjaNilai",
            "kuadranKinerjaNilai",
            "unorId",
            *_PENILAI,
        ],
        "properties": {
            **properties,
            "hasilKinerjaNilai": _one_of(ratings, "integer"),
            "perilakuKerjaNilai": _one_of(ratings, "integer"),
            "kuadranKinerjaNilai": _one_of(list(KUADRAN_NAMA), "integer"),
            "id": _nullable({"type": "string"}),
            "path": {"type": "array", "items": {"type": "object"}},
        },
        "allOf": [asn_nip, {"anyOf": matrix}],
    }
    return _body(schema, "SKP (PermenPANRB 6/2022); kuadran mengikuti matriks hasil kerja x perilaku")


def skp_pp46_body(config: BknSimConfig, max_tahun: int) -> dict[str, Any]:
    properties, asn_nip = _penilai(config, config.skp_pp46_min_tahun, max_tahun)
    schema = {
        "type": "object",
        "required": ["nip", "tahun", "nilaiPrestasiKerja", "unorId", *_PENILAI],
        "properties": {
            **properties,
            "nilaiSkp": _nullable(_score(100)),
            "nilaiPerilakuKerja": _nullable(_score(100)),
            "nilaiPrestasiKerja": _score(100),
        },
        "allOf": [asn_nip],
    }
    # JSON Schema has no arithmetic: the weighted sum is checked by the gateway alone (422)
    return _body(
        schema,
        "SKP PP 46/2011. Bila nilaiSkp dan nilaiPerilakuKerja keduanya ada, nilaiPrestasiKerja harus "
        "60% nilaiSkp + 40% nilaiPerilakuKerja (toleransi 0,01), selain itu 422 PRESTASI_MISMATCH",
    )


def ipasn_body(config: BknSimConfig, max_tahun: int) -> dict[str, Any]:
    bands = [(KATEGORI_BANDS[-1][0], KATEGORI_TERENDAH, None), *_upper_bands()]
    kategori = [
        {
            "properties": {
                "nilaiTotal": {"minimum": 0, "maximum": upper}
                if lower is None
                else {"exclusiveMinimum": lower, "maximum": upper},
                "kategori": {"const": name},
            }
        }
        for upper, name, lower in bands
    ]
    schema = {
        "type": "object",
        "required": ["nip", "periode", "unorId", *DIMENSI_MAKS, "nilaiTotal", "kategori"],
        "properties": {
            "nip": _NIP,
            "periode": _one_of([str(year) for year in range(config.ipasn_min_tahun, max_tahun + 1)]),
            "unorId": _one_of([u.id for u in config.unor]),
            "jabatanId": _nullable(_one_of([j.id for j in config.jabatan])),
            "tingkatPendidikanId": _nullable(_one_of([p.id for p in config.tingkat_pendidikan])),
            **{name: _score(maximum) for name, maximum in DIMENSI_MAKS.items()},
            "nilaiTotal": _score(100),
            "kategori": _one_of([name for _, name in KATEGORI_BANDS] + [KATEGORI_TERENDAH]),
        },
        "allOf": [{"anyOf": kategori}],
    }
    # JSON Schema has no arithmetic: the total is checked by the gateway alone (422)
    return _body(
        schema,
        "IP-ASN (Permenpan-RB 38/2018). nilaiTotal harus jumlah keempat dimensi (toleransi 0,01), "
        "selain itu 422 TOTAL_MISMATCH",
    )


def _upper_bands() -> list[tuple[float, str, float | None]]:
    # KATEGORI_BANDS holds (exclusive lower bound, name) from the top: each band ends where the next begins
    uppers = [100.0] + [lower for lower, _ in KATEGORI_BANDS[:-1]]
    return [(upper, name, lower) for upper, (lower, name) in zip(uppers, KATEGORI_BANDS, strict=True)]


def form(required: list[str], grant_type: str, fields: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": required,
                        "properties": {
                            "grant_type": {"type": "string", "enum": [grant_type]},
                            **{name: {"type": "string"} for name in fields},
                        },
                    }
                }
            },
        }
    }
