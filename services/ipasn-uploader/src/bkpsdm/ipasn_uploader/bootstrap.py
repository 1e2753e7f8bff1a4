"""The one place that wires ipasn-uploader: its IP-ASN rules and recap mapping into the shared
uploader (runtime, upload-request consumer, runner, BKN client or export file, report routes)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from bkpsdm.common.contracts import IPASN_UPLOADS, UploadRequested
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.common.settings import load_settings
from bkpsdm.common.uploads.model import Plan, RecapRow
from bkpsdm.common.uploads.wiring import UploaderSpec, build_uploader
from bkpsdm.ipasn_uploader.domain.mapping import COLUMNS, DETAIL_COLUMNS, plan_recap
from bkpsdm.ipasn_uploader.domain.ruleset import load_ipasn_rules
from bkpsdm.ipasn_uploader.settings import IDENTITY, IpasnUploaderSettings

SERVICE_CODE = "IP-ASN"


def bootstrap(settings: IpasnUploaderSettings | None = None) -> tuple[ServiceRuntime, FastAPI]:
    settings = settings or load_settings(IpasnUploaderSettings)
    rules = load_ipasn_rules(settings.ipasn_rules_file)  # validated here: a broken file stops the start

    def plan(rows: Sequence[RecapRow], request: UploadRequested) -> Plan:
        return plan_recap(rows, period=request.period, rules=rules)

    spec = UploaderSpec(
        service_code=SERVICE_CODE,
        report_title="Laporan Data IP-ASN",
        results_topic=IPASN_UPLOADS,
        columns=COLUMNS,
        plan=plan,
        detail_columns=DETAIL_COLUMNS,
    )
    uploader = build_uploader(IDENTITY, settings, spec)
    uploader.app.state.uploader = uploader
    return uploader.runtime, uploader.app
