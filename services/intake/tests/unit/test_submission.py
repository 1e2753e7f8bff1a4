from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bkpsdm.common.domain_errors import DomainError, Problem
from bkpsdm.intake.domain.errors import CATALOGUE
from bkpsdm.intake.domain.submission import (
    SERVICE_CATALOGUE,
    SubmissionStatus,
    acknowledge,
    new_submission,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("code", sorted(SERVICE_CATALOGUE))
def test_every_catalogued_service_accepts_submissions(code: str) -> None:
    submission = new_submission(f"  {code.lower()} ", " Dinas Kesehatan ", " Rekap ", NOW)
    assert submission.service_code == code
    assert submission.perangkat_daerah == "Dinas Kesehatan"
    assert submission.status is SubmissionStatus.RECEIVED
    assert submission.received_at == NOW


def test_an_unknown_service_is_refused_with_its_code() -> None:
    with pytest.raises(DomainError) as info:
        new_submission("CUTI-TAHUNAN", "Dinas Kesehatan", "Cuti", NOW)
    assert info.value.error.code == "SERVICE_UNKNOWN"
    assert CATALOGUE["SERVICE_UNKNOWN"].message == "Kode layanan tidak dikenal."


def test_a_blank_applicant_is_refused() -> None:
    with pytest.raises(DomainError) as info:
        new_submission("E-LAPKIN", "   ", "Rekap", NOW)
    assert info.value.error.code == "APPLICANT_REQUIRED"


def test_a_blank_title_is_refused() -> None:
    with pytest.raises(DomainError) as info:
        new_submission("E-LAPKIN", "Dinas", " \t ", NOW)
    assert info.value.error.code == "TITLE_REQUIRED"


def test_acknowledging_twice_keeps_the_first_case() -> None:
    submission = new_submission("IP-ASN", "BKPSDM", "Laporan IP-ASN", NOW)
    first = acknowledge(submission, "case-1", NOW + timedelta(seconds=1))
    again = acknowledge(first, "case-2", NOW + timedelta(seconds=5))
    assert again == first
    assert first.status is SubmissionStatus.ACKNOWLEDGED
    assert first.case_id == "case-1"


def test_every_error_code_has_an_indonesian_message_and_a_kind_of_problem() -> None:
    for error in CATALOGUE:
        assert error.code.isupper()
        assert error.message.endswith(".")
        assert isinstance(error.problem, Problem)
