"""The public dashboard's figures. IKM comes from complaints for those who may read it (its
`/api/v1/ikm` is for the complaints officer, the Sekretaris and the Kepala Badan); volumes and SLA
compliance wait for a statistics API of routing. What is missing is said, not invented."""

from __future__ import annotations

from datetime import date
from typing import Any

from bkpsdm.console.adapters.services import ComplaintsApi, ServiceRefused
from bkpsdm.console.domain.complaints import IKM_READERS, semester
from bkpsdm.console.entrypoints.web import Viewer


class Dashboard:
    def __init__(self, complaints: ComplaintsApi) -> None:
        self._complaints = complaints

    async def figures(self, viewer: Viewer | None, today: date) -> dict[str, Any]:
        period = semester(today)
        ikm: list[dict[str, Any]] = []
        if viewer is None or not viewer.has_any(IKM_READERS):
            ikm_note = (
                "Nilai IKM diterbitkan oleh Sekretariat; layanan survei belum menyediakan angka untuk publik."
            )
        else:
            try:
                ikm = await self._complaints.ikm(viewer.token(), period)
                ikm_note = f"Belum ada jawaban survei pada periode {period}." if not ikm else ""
            except ServiceRefused as refused:
                ikm_note = refused.refusal.message
        return {
            "period": period,
            "volumes": [],
            "volumes_note": "Angka volume dan kepatuhan waktu layanan belum diterbitkan oleh layanan alur kerja.",
            "ikm": ikm,
            "ikm_note": ikm_note,
        }
