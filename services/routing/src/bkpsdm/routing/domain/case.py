"""A case: routing's record of one submission going through its workflow. Pure: no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

# The workflow definition a case runs under is recorded with it, so a case opened under
# an older definition can be explained later. The walking skeleton has one definition.
WORKFLOW_VERSION = "skeleton-1"


@dataclass(frozen=True)
class Case:
    case_id: str
    submission_id: str
    service_code: str
    perangkat_daerah: str
    workflow_version: str
    opened_at: datetime


def open_case(submission_id: str, service_code: str, perangkat_daerah: str, now: datetime) -> Case:
    return Case(
        case_id=str(uuid.uuid4()),
        submission_id=submission_id,
        service_code=service_code,
        perangkat_daerah=perangkat_daerah,
        workflow_version=WORKFLOW_VERSION,
        opened_at=now,
    )
