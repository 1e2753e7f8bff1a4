"""The upload report, the service's product (Laporan Data E-LAPKIN / IP-ASN): counts per outcome,
per unit kerja, the service's own sections (IP-ASN per unit and category), every row not stored
with its reason, and the rule set used. Built from what the database holds; rendered as JSON
here, as XLSX and PDF in `report_xlsx` and `report_pdf`."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from bkpsdm.common.uploads.model import ReportCell, RowState
from bkpsdm.common.uploads.repository import StoredRow, Upload, UploadRepository
from bkpsdm.common.uploads.runner import report_url

STATE_LABELS = {
    RowState.STORED: "Tersimpan di BKN",
    RowState.EXPORTED: "Masuk berkas impor",
    RowState.REJECTED: "Ditolak",
    RowState.FAILED: "Gagal terkirim",
    RowState.PENDING: "Menunggu",
}
OUTCOME_LABELS = {
    "COMPLETED": "Selesai",
    "PARTIALLY_COMPLETED": "Selesai sebagian",
    "FAILED": "Gagal",
}
STATUS_LABELS = {"UPLOADING": "Sedang diunggah", "FINISHED": "Selesai"}


class ReasonView(BaseModel):
    code: str
    message: str = Field(description="Dalam Bahasa Indonesia")
    field: str | None = None


class RuleSetView(BaseModel):
    id: str
    version: str
    source: str


class CountsView(BaseModel):
    total: int
    stored: int = Field(description="Tersimpan di BKN (termasuk yang sudah ada: kunci idempotensi)")
    exported: int = Field(description="Masuk berkas impor (adapter export-file)")
    rejected: int = Field(description="Ditolak sebagai data tidak valid")
    failed: int = Field(description="Gagal terkirim karena gangguan layanan BKN")
    pending: int = Field(description="Belum terkirim (unggahan masih berjalan)")


class UnitCountsView(CountsView):
    unit_kerja: str | None


class RowView(BaseModel):
    row: int = Field(description="Nomor baris pada berkas rekap")
    nip: str | None
    nama: str | None
    unit_kerja: str | None
    state: str
    reasons: list[ReasonView]
    attempts: int


class TableView(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[ReportCell]]


class UploadView(BaseModel):
    request_id: str
    submission_id: str
    case_id: str
    service_code: str
    perangkat_daerah: str
    period: str | None
    attempt: int
    adapter: str = Field(description="http (API BKN) atau export-file (berkas impor)")
    status: str = Field(description="UPLOADING atau FINISHED")
    outcome: str | None = Field(description="COMPLETED, PARTIALLY_COMPLETED atau FAILED")
    rows_total: int
    rows_stored: int | None
    rows_rejected: int | None
    rows_failed: int | None
    reasons: list[str] = Field(description="Dalam Bahasa Indonesia")
    rules_version: str
    received_at: datetime
    finished_at: datetime | None
    report_url: str

    @classmethod
    def of(cls, u: Upload) -> UploadView:
        return cls(
            request_id=u.request_id,
            submission_id=u.submission_id,
            case_id=u.case_id,
            service_code=u.service_code,
            perangkat_daerah=u.perangkat_daerah,
            period=u.period,
            attempt=u.attempt,
            adapter=u.adapter,
            status=u.status,
            outcome=u.outcome.value if u.outcome else None,
            rows_total=u.rows_total,
            rows_stored=u.rows_stored,
            rows_rejected=u.rows_rejected,
            rows_failed=u.rows_failed,
            reasons=list(u.reasons),
            rules_version=u.rules.label,
            received_at=u.received_at,
            finished_at=u.finished_at,
            report_url=report_url(u.request_id),
        )


class ReportView(BaseModel):
    title: str = Field(description="Judul laporan, mis. Laporan Data E-LAPKIN")
    upload: UploadView
    rules: RuleSetView = Field(description="Aturan yang dipakai untuk setiap baris")
    counts: CountsView
    per_unit: list[UnitCountsView]
    sections: list[TableView] = Field(description="Bagian khusus layanan, mis. IP-ASN per unit dan kategori")
    rows_not_stored: list[RowView] = Field(description="Setiap baris yang tidak tersimpan, dengan alasannya")
    notes: list[str]
    generated_at: datetime


def _counts(by_state: dict[RowState, int]) -> dict[str, int]:
    return {
        "total": sum(by_state.values()),
        "stored": by_state.get(RowState.STORED, 0),
        "exported": by_state.get(RowState.EXPORTED, 0),
        "rejected": by_state.get(RowState.REJECTED, 0),
        "failed": by_state.get(RowState.FAILED, 0),
        "pending": by_state.get(RowState.PENDING, 0),
    }


def row_view(r: StoredRow) -> RowView:
    return RowView(
        row=r.row_no,
        nip=r.nip,
        nama=r.nama,
        unit_kerja=r.unit_kerja,
        state=r.state.value,
        reasons=[ReasonView(code=x.code, message=x.message, field=x.field) for x in r.reasons],
        attempts=r.attempts,
    )


async def build_report(repo: UploadRepository, upload: Upload, title: str) -> ReportView:
    units: dict[str | None, dict[RowState, int]] = {}
    for unit, state, n in await repo.unit_counts(upload.request_id):
        units.setdefault(unit, {})[state] = n
    overall: dict[RowState, int] = {}
    for by_state in units.values():
        for state, n in by_state.items():
            overall[state] = overall.get(state, 0) + n
    problems = await repo.rows(upload.request_id, problems_only=True)
    return ReportView(
        title=title,
        upload=UploadView.of(upload),
        rules=RuleSetView(**upload.rules.as_dict()),
        counts=CountsView(**_counts(overall)),
        per_unit=[UnitCountsView(unit_kerja=unit, **_counts(s)) for unit, s in units.items()],
        sections=[
            TableView(title=t.title, columns=list(t.columns), rows=[list(r) for r in t.rows])
            for t in upload.sections
        ],
        rows_not_stored=[row_view(r) for r in problems if r.state is not RowState.PENDING],
        notes=list(upload.notes),
        generated_at=datetime.now(UTC),
    )
