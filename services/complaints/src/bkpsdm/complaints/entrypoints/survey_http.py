"""The satisfaction survey over HTTP: a QR code per service leading to its survey page, the
answers (public, rate-limited, once per delivered product), the officer's record of a delivery,
and IKM per service and semester, also as the periodic XLSX report."""

# No `from __future__ import annotations`: FastAPI reads the routes' signatures at runtime.
import html
import io
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from bkpsdm.common.auth import Principal, Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.http import JsonInteger, error_responses
from bkpsdm.common.runtime import ServiceRuntime
from bkpsdm.complaints import survey
from bkpsdm.complaints.adapters.ikm_report import ikm_workbook
from bkpsdm.complaints.domain import errors
from bkpsdm.complaints.domain.complaint import NOTE_MAX
from bkpsdm.complaints.domain.ikm import IkmResult
from bkpsdm.complaints.entrypoints.http import JSON_BODY, SIGNED_IN, TEXT_PATTERN
from bkpsdm.complaints.entrypoints.limits import RATE_LIMITED, ClientRateLimiter
from bkpsdm.complaints.service import ComplaintsContext, ComplaintsUnitOfWork
from bkpsdm.complaints.survey import SurveyContext

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD_PATTERN = r"^\d{4}-S[12]$"
# The answer scale as PermenPANRB 14/2017's questionnaire words it (1 worst .. 4 best).
SCALE = {1: "Tidak baik", 2: "Kurang baik", 3: "Baik", 4: "Sangat baik"}


class AnsweredView(BaseModel):
    response_id: str
    period: str


class DeliveryIn(BaseModel):
    receipt_number: str = Field(min_length=1, max_length=64, pattern=TEXT_PATTERN)
    service_code: str = Field(min_length=1, max_length=40)
    perangkat_daerah: str | None = Field(
        default=None,
        max_length=120,
        pattern=TEXT_PATTERN,
        description="Wajib bila tanda terima belum dikenal",
    )


class DeliveryView(BaseModel):
    submission_id: str
    receipt_number: str
    service_code: str
    delivered_at: datetime


def _answers_model(ctx: SurveyContext) -> type[BaseModel]:
    """The answers as OpenAPI shows them: the nine elements, each an integer on the scale."""
    rules = ctx.rules
    fields: dict[str, Any] = {
        e.code: (JsonInteger, Field(ge=rules.lowest_answer, le=rules.highest_answer, description=e.label))
        for e in rules.elements
    }
    answers = create_model("SurveyAnswers", __config__=ConfigDict(extra="forbid"), **fields)
    return create_model(
        "SurveyResponseIn",
        __config__=ConfigDict(extra="forbid"),
        receipt_number=(str, Field(min_length=1, max_length=64, pattern=TEXT_PATTERN)),
        answers=(answers, ...),
        suggestion=(str | None, Field(default=None, max_length=NOTE_MAX, pattern=TEXT_PATTERN)),
    )


def _survey_page(ctx: SurveyContext, code: str, name: str) -> str:
    # Every value is escaped: the names come from configuration, but a page never trusts text.
    e = html.escape
    rows = []
    for element in ctx.rules.elements:
        options = "".join(
            f'<label><input type="radio" name="{e(element.code)}" value="{value}" required> {e(label)}</label> '
            for value, label in SCALE.items()
        )
        rows.append(f"<fieldset><legend>{e(element.label)}</legend>{options}</fieldset>")
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Survei Kepuasan: {e(name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Survei Kepuasan Masyarakat</h1><h2>{e(name)}</h2>
<form id="survei" data-service="{e(code)}">
<p><label>Nomor tanda terima <input name="receipt_number" required maxlength="64"></label></p>
{"".join(rows)}
<p><label>Saran <textarea name="suggestion" maxlength="{NOTE_MAX}"></textarea></label></p>
<button type="submit">Kirim</button></form><p id="hasil" role="status"></p>
<script>
document.getElementById("survei").addEventListener("submit", async (ev) => {{
  ev.preventDefault();
  const form = new FormData(ev.target), answers = {{}};
  for (const [k, v] of form.entries()) if (!["receipt_number", "suggestion"].includes(k)) answers[k] = Number(v);
  const body = {{receipt_number: form.get("receipt_number"), answers}};
  if (form.get("suggestion")) body.suggestion = form.get("suggestion");
  const r = await fetch("/api/v1/survey/" + encodeURIComponent(ev.target.dataset.service) + "/responses",
    {{method: "POST", headers: {{"content-type": "application/json"}}, body: JSON.stringify(body)}});
  const answer = await r.json();
  document.getElementById("hasil").textContent = r.ok ? "Terima kasih atas penilaian Anda." : answer.message;
}});
</script></body></html>"""


def build_survey_router(
    runtime: ServiceRuntime,
    unit_of_work: Callable[[], ComplaintsUnitOfWork],
    ctx: ComplaintsContext,
    survey_ctx: SurveyContext,
    limiter: ClientRateLimiter,
    public_base_url: str,
) -> APIRouter:
    router = APIRouter(tags=["survei kepuasan (IKM)"])
    limited = Depends(limiter.dependency())
    recorder = runtime.require(Role.PENGELOLA_PENGADUAN, Role.INTERNAL_SERVICE)
    officials = runtime.require(Role.PENGELOLA_PENGADUAN, Role.SEKRETARIS, Role.KEPALA_BADAN)
    ServiceCode = Annotated[
        str, Path(description="Kode layanan", json_schema_extra={"enum": sorted(survey_ctx.services)})
    ]
    Period = Annotated[str, Query(pattern=PERIOD_PATTERN, description="Semester, mis. 2026-S1")]
    ResponseIn = _answers_model(survey_ctx)

    def known(code: str) -> str:
        name = survey_ctx.services.get(code)
        if name is None:
            raise DomainError(errors.SURVEY_SERVICE_UNKNOWN)
        return name

    @router.get(
        "/survei/{service_code}",
        response_class=Response,
        responses={
            200: {"description": "Formulir survei", "content": {"text/html": {"schema": {"type": "string"}}}},
            **error_responses(errors.SURVEY_SERVICE_UNKNOWN),
        },
    )
    async def page(service_code: ServiceCode) -> HTMLResponse:
        return HTMLResponse(
            _survey_page(survey_ctx, service_code, known(service_code)),
            headers={"Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'"},
        )

    @router.get(
        "/api/v1/survey/{service_code}/qr.svg",
        response_class=Response,
        responses={
            200: {
                "description": "QR code ke formulir survei",
                "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            },
            **error_responses(errors.SURVEY_SERVICE_UNKNOWN),
        },
    )
    async def qr(service_code: ServiceCode) -> Response:
        known(service_code)
        buffer = io.BytesIO()
        segno.make(f"{public_base_url.rstrip('/')}/survei/{service_code}", error="m").save(
            buffer, kind="svg", scale=4, title=f"Survei kepuasan {service_code}"
        )
        return Response(buffer.getvalue(), media_type="image/svg+xml")

    @router.post(
        "/api/v1/survey/{service_code}/responses",
        status_code=201,
        response_model=AnsweredView,
        dependencies=[limited],
        responses=error_responses(
            errors.SURVEY_SERVICE_UNKNOWN,
            errors.SURVEY_NOT_AVAILABLE,
            errors.SURVEY_ALREADY_ANSWERED,
            errors.IKM_ELEMENT_MISSING,
            errors.IKM_ELEMENT_UNKNOWN,
            errors.IKM_ANSWER_OUT_OF_RANGE,
            errors.TEXT_INVALID,
            RATE_LIMITED,
            *JSON_BODY,
        ),
    )
    async def answer(service_code: ServiceCode, body: ResponseIn) -> AnsweredView:  # type: ignore[valid-type]
        given = body.model_dump()  # type: ignore[attr-defined]
        answered = await survey.answer_survey(
            unit_of_work(),
            ctx,
            survey_ctx,
            service_code,
            given["receipt_number"].strip(),
            given["answers"],
            given.get("suggestion"),
        )
        return AnsweredView(response_id=answered.response_id, period=answered.period)

    @router.post(
        "/api/v1/survey/deliveries",
        response_model=DeliveryView,
        responses=error_responses(
            errors.SURVEY_SERVICE_UNKNOWN, errors.DELIVERY_RECEIPT_UNKNOWN, *SIGNED_IN, *JSON_BODY
        ),
    )
    async def delivery(body: DeliveryIn, _: Annotated[Principal, Depends(recorder)]) -> DeliveryView:
        """Record a product handed over (the survey opens for it); routing's last step does the same."""
        done = await survey.record_delivery(
            unit_of_work(),
            ctx,
            survey_ctx,
            body.receipt_number.strip(),
            body.service_code,
            body.perangkat_daerah,
        )
        return DeliveryView(**vars(done))

    @router.get(
        "/api/v1/ikm",
        response_model=list[IkmResult],
        responses=error_responses(
            errors.IKM_PERIOD_INVALID, errors.IKM_NO_RESPONSES, errors.SURVEY_SERVICE_UNKNOWN, *SIGNED_IN
        ),
    )
    async def index(
        period: Period,
        _: Annotated[Principal, Depends(officials)],
        service_code: Annotated[
            str | None, Query(max_length=40, json_schema_extra={"enum": sorted(survey_ctx.services)})
        ] = None,
    ) -> list[IkmResult]:
        return await survey.ikm(unit_of_work(), survey_ctx, period, service_code)

    @router.get(
        "/api/v1/ikm/report",
        response_class=Response,
        responses={
            200: {
                "description": "Laporan IKM periode (XLSX)",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            },
            **error_responses(errors.IKM_PERIOD_INVALID, *SIGNED_IN),
        },
    )
    async def report(period: Period, _: Annotated[Principal, Depends(officials)]) -> Response:
        results = await survey.ikm(unit_of_work(), survey_ctx, period, None)
        return Response(
            ikm_workbook(period, results, survey_ctx.rules, survey_ctx.services),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="ikm-{period}.xlsx"'},
        )

    return router
