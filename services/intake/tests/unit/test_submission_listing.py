"""Listing submissions: cursors go round unchanged and refuse what intake never handed out; an
applicant sees its own unit only; pages newest first, ties broken by id, with no gaps or
repeats, also when submissions arrive between pages."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.intake import service
from bkpsdm.intake.adapters.memory import InMemoryIntakeUnitOfWork
from bkpsdm.intake.domain.catalogue import load_catalogue
from bkpsdm.intake.domain.listing import (
    CURSOR_PATTERN,
    PageKey,
    SubmissionFilter,
    decode_cursor,
    encode_cursor,
    scoped_unit,
)
from bkpsdm.intake.domain.submission import Submission, SubmissionStatus, TimelineEntry
from bkpsdm.intake.service import IntakeRules

RULES = IntakeRules(catalogue=load_catalogue(), calendar=load_calendar())
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(5000, 1, 1), timezones=st.just(UTC)),
    st.uuids(),
)
def test_a_cursor_gives_back_exactly_the_key_it_was_made_from(at: datetime, submission_id: uuid.UUID) -> None:
    key = PageKey(at, str(submission_id))
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    assert re.fullmatch(CURSOR_PATTERN, cursor)


@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_the_published_pattern_admits_decodes(cursor: str) -> None:
    decode_cursor(cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "1762070400000000",  # no id
        "1762070400000000_",  # empty id
        "-1_" + "0" * 32,  # negative time
        "1762070400000000_" + "0" * 31,  # short id
        "1762070400000000_" + "G" * 32,  # not hex
        "1762070400000000_" + "A" * 32,  # upper case: not what intake hands out
        "123456789012345678_" + "0" * 32,  # 18 digits: past any date
        "1762070400000000_" + "0" * 32 + "\n",
        "1762070400000000-" + "0" * 32,
    ],
)
def test_a_cursor_intake_never_handed_out_is_refused(cursor: str) -> None:
    with pytest.raises(DomainError) as refused:
        decode_cursor(cursor)
    assert refused.value.error.code == "CURSOR_INVALID"


@pytest.mark.parametrize(
    ("scope", "requested", "expected"),
    [
        (None, None, (True, None)),  # an official, every unit
        (None, "DINKES", (True, "DINKES")),  # an official filtering by unit
        ("DISDIK", None, (True, "DISDIK")),  # an applicant: its own unit
        ("DISDIK", "DISDIK", (True, "DISDIK")),
        ("DISDIK", "DINKES", (False, "DISDIK")),  # another unit: nothing, never its data
    ],
)
def test_the_callers_scope_decides_the_unit(
    scope: str | None, requested: str | None, expected: tuple[bool, str | None]
) -> None:
    assert scoped_unit(scope, requested) == expected


def submission(
    unit: str,
    at: datetime,
    code: str = "ABSENSI-FINGER",
    status: SubmissionStatus = SubmissionStatus.RECEIVED,
) -> Submission:
    return Submission(
        submission_id=str(uuid.uuid4()),
        service_code=code,
        perangkat_daerah=unit,
        title="Mesin rusak",
        status=status,
        received_at=at,
        receipt_number=f"R-{uuid.uuid4().hex[:6]}",
    )


async def store(uow: InMemoryIntakeUnitOfWork, *submissions: Submission) -> None:
    for s in submissions:
        await uow.submissions.add(s, "cid", received=TimelineEntry(s.received_at, "DITERIMA", "diterima"))


async def all_pages(
    uow: InMemoryIntakeUnitOfWork, wanted: SubmissionFilter, scope: str | None, between: list[Submission]
) -> list[list[str]]:
    """Every page's ids, storing one of `between` after each page (a submission arriving)."""
    pages: list[list[str]] = []
    while True:
        page = await service.list_submissions(uow, RULES, wanted, scope)
        pages.append([s.submission_id for s in page.items])
        if between:
            await store(uow, between.pop())
        if page.next_cursor is None:
            return pages
        wanted = replace(wanted, after=decode_cursor(page.next_cursor))


async def test_pages_are_newest_first_without_gaps_or_repeats_even_with_ties_and_new_arrivals() -> None:
    uow = InMemoryIntakeUnitOfWork()
    # Seven of DISDIK's, three received at the same microsecond; three of DINKES's.
    disdik = [submission("DISDIK", T0 + timedelta(minutes=max(n, 2))) for n in range(7)]
    await store(uow, *disdik, *(submission("DINKES", T0 + timedelta(minutes=n)) for n in range(3)))
    later = [submission("DISDIK", T0 + timedelta(days=1, minutes=n)) for n in range(3)]
    pages = await all_pages(uow, SubmissionFilter(limit=3), "DISDIK", between=list(later))
    assert [len(p) for p in pages] == [3, 3, 1]
    seen = [i for p in pages for i in p]
    newest_first = sorted(disdik, key=lambda s: (s.received_at, s.submission_id), reverse=True)
    assert seen == [s.submission_id for s in newest_first]


async def test_an_applicant_sees_only_its_unit_and_an_official_sees_every_unit_or_the_one_asked() -> None:
    uow = InMemoryIntakeUnitOfWork()
    disdik = submission("DISDIK", T0)
    dinkes = submission("DINKES", T0 + timedelta(minutes=1))
    await store(uow, disdik, dinkes)

    async def ids(wanted: SubmissionFilter, scope: str | None) -> list[str]:
        return [s.submission_id for s in (await service.list_submissions(uow, RULES, wanted, scope)).items]

    assert await ids(SubmissionFilter(), "DISDIK") == [disdik.submission_id]
    assert await ids(SubmissionFilter(unit="DINKES"), "DISDIK") == []
    assert await ids(SubmissionFilter(), None) == [dinkes.submission_id, disdik.submission_id]
    assert await ids(SubmissionFilter(unit="DINKES"), None) == [dinkes.submission_id]


async def test_filters_by_service_and_status_and_the_last_page_has_no_cursor() -> None:
    uow = InMemoryIntakeUnitOfWork()
    repair = submission("DISDIK", T0)
    report = submission("DISDIK", T0 + timedelta(minutes=1), "E-LAPKIN")
    returned = submission("DISDIK", T0 + timedelta(minutes=2), status=SubmissionStatus.RETURNED)
    await store(uow, repair, report, returned)

    async def ids(wanted: SubmissionFilter) -> list[str]:
        page = await service.list_submissions(uow, RULES, wanted, "DISDIK")
        assert page.next_cursor is None
        return [s.submission_id for s in page.items]

    assert await ids(SubmissionFilter(service_code="e-lapkin")) == [report.submission_id]
    assert await ids(SubmissionFilter(status=SubmissionStatus.RETURNED)) == [returned.submission_id]
    assert await ids(SubmissionFilter(service_code="ABSENSI-FINGER", status=SubmissionStatus.RECEIVED)) == [
        repair.submission_id
    ]
    assert await ids(SubmissionFilter(limit=3)) == [s.submission_id for s in (returned, report, repair)]


async def test_an_unknown_service_code_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        await service.list_submissions(
            InMemoryIntakeUnitOfWork(), RULES, SubmissionFilter(service_code="NOPE"), None
        )
    assert refused.value.error.code == "SERVICE_UNKNOWN"
