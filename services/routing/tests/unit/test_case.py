from __future__ import annotations

from datetime import UTC, datetime

from bkpsdm.routing.domain.case import WORKFLOW_VERSION, open_case


def test_a_case_records_the_workflow_version_it_runs_under() -> None:
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    case = open_case("sub-1", "E-LAPKIN", "Dinas Pendidikan", now)
    assert case.workflow_version == WORKFLOW_VERSION
    assert case.submission_id == "sub-1"
    assert case.opened_at == now


def test_each_case_gets_its_own_id() -> None:
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert open_case("s", "IP-ASN", "BKPSDM", now).case_id != open_case("s", "IP-ASN", "BKPSDM", now).case_id
