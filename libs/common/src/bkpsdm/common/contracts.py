"""Event contracts between services, and the registry of every topic.

Services never import each other; they share only these models. Each model names its
CloudEvents type; each topic names its key (which keeps order per submission) and the
events it carries. Evolve by adding optional fields; a breaking change is a new type.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from bkpsdm.common.events import Event
from bkpsdm.common.topics import TopicRegistry, TopicSpec


class SubmissionReceived(Event):
    """An applicant unit (Perangkat Daerah) submitted a request to a service standard."""

    event_type: ClassVar[str] = "id.go.bkpsdm.intake.submission-received.v1"

    submission_id: str = Field(description="Intake's id of the submission (the Kafka key)")
    service_code: str = Field(description="Service standard, e.g. E-LAPKIN or IP-ASN")
    perangkat_daerah: str = Field(description="Applicant unit")
    title: str
    received_at: datetime


class SubmissionAcknowledged(Event):
    """Routing opened a case for the submission; intake shows it as acknowledged."""

    event_type: ClassVar[str] = "id.go.bkpsdm.routing.submission-acknowledged.v1"

    submission_id: str
    case_id: str
    acknowledged_at: datetime


TOPICS = TopicRegistry()

SUBMISSIONS = TOPICS.register(
    TopicSpec(
        name="public.intake.submissions.v1",
        key="submission_id",
        owner="intake",
        description="Submissions received from applicant units, keyed by submission id.",
        events=(SubmissionReceived,),
    )
)
CASES = TOPICS.register(
    TopicSpec(
        name="public.routing.cases.v1",
        key="submission_id",
        owner="routing",
        description="Workflow facts about each submission's case, keyed by submission id.",
        events=(SubmissionAcknowledged,),
    )
)
