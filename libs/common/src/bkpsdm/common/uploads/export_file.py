"""The import file an operator uploads to BKN's application by hand: one row per record, BKN's
field names as the header, in XLSX (openpyxl) or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]

from bkpsdm.common.uploads.adapters import UNIT_ID, UNIT_NAME, BknTarget

LEADING = ("Baris", "Jenis", "Unit Kerja")


def export_header(targets: Mapping[str, BknTarget]) -> list[str]:
    fields: list[str] = []
    for target in targets.values():
        fields += [bkn for bkn in target.fields.values() if bkn not in fields]
    return [*LEADING, *fields]


def export_rows(
    targets: Mapping[str, BknTarget],
    rows: Iterable[tuple[int, str, Mapping[str, Any]]],
    unor_ids: Mapping[str, str] | None = None,
) -> Iterable[list[Any]]:
    """(row number, target, canonical payload) -> cells under `export_header`."""
    header = export_header(targets)
    ids = unor_ids or {}
    for row_no, target_name, payload in rows:
        target = targets.get(target_name)
        values = {**payload, UNIT_ID: payload.get(UNIT_ID) or ids.get(str(payload.get(UNIT_NAME) or ""))}
        by_bkn = {bkn: values.get(ours) for ours, bkn in target.fields.items()} if target else {}
        yield [row_no, target_name, payload.get(UNIT_NAME), *(by_bkn.get(f) for f in header[len(LEADING) :])]


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Impor BKN") -> bytes:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet)
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    # With a BOM, Excel opens the UTF-8 file with the right characters.
    return out.getvalue().encode("utf-8-sig")
