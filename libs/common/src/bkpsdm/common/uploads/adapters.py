"""How rows reach BKN: over its API (HTTP), or in the import file an operator uploads by hand
(export-file, for when the API is down or absent). Both answer per row; the pipeline does not
care which one it has.

Rows carry canonical records (our field names); a target names BKN's path and field names
for one kind of record, so base URLs, paths and field mappings stay configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bkpsdm.common.uploads.bkn_client import BknClient
from bkpsdm.common.uploads.cells import squash
from bkpsdm.common.uploads.model import Reason, RowResult, RowState

UNIT_NAME = "unit_kerja"  # canonical: the unit's name as the recap gives it
UNIT_ID = "unor_id"  # canonical: BKN's id of that unit, looked up by name when not given


class BknTarget(BaseModel):
    """One kind of BKN record: where it is saved and how our fields are named there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(pattern=r"^/")
    fields: dict[str, str] = Field(min_length=1, description="canonical field -> BKN field")


@dataclass(frozen=True)
class PendingRow:
    row_no: int
    target: str
    payload: Mapping[str, Any]
    idempotency_key: str


class UploadAdapter(Protocol):
    name: str

    async def send(self, row: PendingRow) -> RowResult: ...


def bkn_body(target: BknTarget, payload: Mapping[str, Any], unor_id: str | None) -> dict[str, Any]:
    """The record as BKN names its fields; fields with no value are left out."""
    values = {**payload, UNIT_ID: payload.get(UNIT_ID) or unor_id}
    return {bkn: values[ours] for ours, bkn in target.fields.items() if values.get(ours) is not None}


class HttpAdapter:
    name = "http"

    def __init__(
        self,
        client: BknClient,
        targets: Mapping[str, BknTarget],
        *,
        unor_path: str,
        unor_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.targets = dict(targets)
        self._unor_path = unor_path
        self._overrides = {squash(name): uid for name, uid in (unor_ids or {}).items()}
        self._units: dict[str, str] | None = None
        self._units_lock = asyncio.Lock()

    async def send(self, row: PendingRow) -> RowResult:
        target = self.targets.get(row.target)
        if target is None:
            reason = Reason("TARGET_NOT_CONFIGURED", f"Tujuan unggah {row.target} tidak dikonfigurasi")
            return RowResult(RowState.FAILED, reasons=(reason,))
        unor_id: str | None = None
        if UNIT_ID in target.fields and not row.payload.get(UNIT_ID):
            name = str(row.payload.get(UNIT_NAME) or "")
            found = await self._unit_id(name)
            if found is None:
                reason = Reason(
                    "BKN_REFERENCE_UNAVAILABLE", "Daftar unit kerja (ref-unor) BKN tidak dapat diambil"
                )
                return RowResult(RowState.FAILED, reasons=(reason,))
            # An unknown unit is sent by name: BKN's own refusal (UNOR_NOT_FOUND) is the reason.
            unor_id = found or name
        return await self.client.save(
            target.path, bkn_body(target, row.payload, unor_id), row.idempotency_key
        )

    async def _unit_id(self, name: str) -> str | None:
        """BKN's id of a unit by name ("" when BKN does not know it); None when the list is unavailable."""
        key = squash(name)
        if key in self._overrides:
            return self._overrides[key]
        if self._units is None:
            async with self._units_lock:
                if self._units is None:
                    data = await self.client.get_data(self._unor_path)
                    if data is None:
                        return None
                    self._units = {
                        squash(str(u.get("nama", ""))): str(u.get("id"))
                        for u in data
                        if isinstance(u, dict) and u.get("id")
                    }
        return self._units.get(key, "")


class ExportFileAdapter:
    """Nothing is sent: each row goes into the import file (see `export_file`)."""

    name = "export-file"

    async def send(self, row: PendingRow) -> RowResult:
        return RowResult(RowState.EXPORTED)
