from __future__ import annotations

import json

import pytest
import structlog

from bkpsdm.common.logs import (
    configure_logging,
    correlation_scope,
    current_correlation_id,
    get_logger,
    mask_nip,
)


@pytest.mark.parametrize(
    ("nip", "masked"),
    [("198001012005011001", "**************1001"), ("1234", "1234"), ("", ""), (None, "")],
)
def test_nips_are_masked_to_their_last_four_digits(nip: str | None, masked: str) -> None:
    assert mask_nip(nip) == masked


def test_log_lines_are_json_with_the_bound_correlation_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("unit", "INFO")
    with correlation_scope("cid-42", submission_id="s-1"):
        assert current_correlation_id() == "cid-42"
        get_logger("t").info("submission.accepted", status="DITERIMA")
    get_logger("t").info("outside.scope")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["event"] == "submission.accepted"
    assert lines[0]["correlation_id"] == "cid-42"
    assert lines[0]["service"] == "unit"
    assert "correlation_id" not in lines[1]
    structlog.reset_defaults()


def test_a_missing_correlation_id_gets_a_new_one() -> None:
    with correlation_scope(None) as cid:
        assert cid
        assert current_correlation_id() == cid
