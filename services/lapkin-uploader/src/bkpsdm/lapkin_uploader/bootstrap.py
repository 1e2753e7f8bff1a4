"""The one place that wires lapkin-uploader: its E-LAPKIN rules and recap mapping into the shared
uploader (runtime, upload-request consumer, runner, BKN client or export file, report routes)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from bkpsdm.common.contracts import LAPKIN_UPLOADS, UploadRequested
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.common.uploads.model import Plan, RecapRow
from bkpsdm.common.uploads.wiring import UploaderSpec, build_uploader
from bkpsdm.lapkin_uploader.domain.mapping import COLUMNS, DETAIL_COLUMNS, penilai_lookup, plan_recap
from bkpsdm.lapkin_uploader.domain.predikat import load_predikat_rules
from bkpsdm.lapkin_uploader.settings import IDENTITY, LapkinUploaderSettings

SERVICE_CODE = "E-LAPKIN"


def bootstrap(settings: LapkinUploaderSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(LapkinUploaderSettings)
    # Validated here: a broken rules file stops the service at start.
    rules = load_predikat_rules(settings.predikat_rules_file)
    penilai_for = penilai_lookup(
        settings.penilai.penilai(), {unit: p.penilai() for unit, p in settings.penilai_by_unit.items()}
    )

    def plan(rows: Sequence[RecapRow], request: UploadRequested) -> Plan:
        return plan_recap(rows, period=request.period, rules=rules, penilai_for=penilai_for)

    spec = UploaderSpec(
        service_code=SERVICE_CODE,
        report_title="Laporan Data E-LAPKIN",
        results_topic=LAPKIN_UPLOADS,
        columns=COLUMNS,
        plan=plan,
        detail_columns=DETAIL_COLUMNS,
    )
    uploader = build_uploader(IDENTITY, settings, spec)
    uploader.app.state.uploader = uploader
    return uploader.runtime, uploader.app
