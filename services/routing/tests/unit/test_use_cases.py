"""Routing's use cases on in-memory adapters: opening, officials' actions, client keys,
returns and resubmissions, uploads, diagnoses, and the SLA clock (the real use cases, a
moved clock, milliseconds)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bkpsdm.common.auth.roles import Role
from bkpsdm.common.contracts import (
    CaseDeadlineApproaching,
    CaseDeadlineBreached,
    CaseEscalated,
    CaseStepChanged,
    NotificationRaised,
    RecapReference,
    SubmissionAcknowledged,
    SubmissionReceived,
    SubmissionReturned,
    TerminalDiagnosed,
    TerminalDiagnosisRequested,
    UploadFinished,
    UploadRequested,
)
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.events import Event, EventMetadata
from bkpsdm.common.subscriptions import handle_once
from bkpsdm.routing import clocks, reactions, service
from bkpsdm.routing.adapters.memory import InMemoryRoutingUnitOfWork
from bkpsdm.routing.domain.case import Case
from bkpsdm.routing.domain.delegation import DelegationKind
from bkpsdm.routing.domain.disposisi import Addressee
from bkpsdm.routing.domain.engine import Actor
from bkpsdm.routing.domain.workflow import Action, Workflows
from bkpsdm.routing.ports import RoutingContext
from bkpsdm.routing.service import ActionInput

Clock = Any  # the FakeClock fixture
PKA = "BIDANG-PKA-PKK"
RECAP = RecapReference(url="/internal/v1/submissions/x/recap", sha256="ab" * 32, rows=3, format="csv")


def received(service_code: str = "E-LAPKIN", **extra: Any) -> SubmissionReceived:
    fields: dict[str, Any] = {
        "submission_id": str(uuid.uuid4()),
        "service_code": service_code,
        "perangkat_daerah": "DISDIK",
        "title": f"Laporan {service_code}",
        "received_at": datetime(2026, 11, 23, 2, 0).astimezone(),
        "receipt_number": "E-LAPKIN/2026/000001",
        "recap": RECAP if service_code in ("E-LAPKIN", "IP-ASN") else None,
    }
    return SubmissionReceived(**{**fields, **extra})


async def opened(uow: InMemoryRoutingUnitOfWork, ctx: RoutingContext, event: SubmissionReceived) -> Case:
    meta = EventMetadata(type=event.event_type, source="/bkpsdm/intake", correlation_id="cid-1")

    async def use_case(u: Any, e: SubmissionReceived, c: str | None) -> None:
        await service.open_case_for_submission(u, ctx, e, c)

    assert await handle_once(uow, "routing.case-opening", use_case, event, meta)
    case = await uow.cases.by_submission(event.submission_id)
    assert case is not None
    return case


async def act(
    uow: InMemoryRoutingUnitOfWork,
    ctx: RoutingContext,
    who: Actor,
    case: Case | str,
    action: Action,
    key: str | None = None,
    **data: Any,
) -> dict[str, Any]:
    case_id = case if isinstance(case, str) else case.case_id
    outcome = await service.act(
        uow, ctx, who, case_id, action, ActionInput(**data), client_key=key, correlation_id="cid-2"
    )
    return outcome.response


def events(uow: InMemoryRoutingUnitOfWork, kind: type[Event]) -> list[Any]:
    return [e for e in uow.outbox.events() if isinstance(e, kind)]


async def refused(code: str, work: Any) -> None:
    with pytest.raises(DomainError) as info:
        await work
    assert info.value.error.code == code


DISPOSISI: dict[str, Any] = {
    "instructions": ("PROSES-LANJUT",),
    "recipients": (Addressee("kepala-bidang", PKA),),
}


async def to_processing_unit(
    uow: InMemoryRoutingUnitOfWork, ctx: RoutingContext, people: dict[str, Actor], case: Case
) -> None:
    await act(uow, ctx, people["admin"], case, Action.REGISTER)
    await act(uow, ctx, people["admin"], case, Action.FORWARD)
    await act(uow, ctx, people["kasubbag"], case, Action.FORWARD)
    await act(uow, ctx, people["sekretaris"], case, Action.PARAF)
    await act(uow, ctx, people["kaban"], case, Action.DISPOSISI, **DISPOSISI)
    await act(uow, ctx, people["kabid"], case, Action.FORWARD)


async def test_a_submission_opens_one_case_at_the_admin_desk_and_is_acknowledged(
    ctx: RoutingContext, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    event = received()
    case = await opened(uow, ctx, event)
    assert (case.step, case.holder_role, case.workflow_version) == (
        "PENERIMAAN",
        "petugas-administrasi",
        "E-LAPKIN/1",
    )
    assert case.step_due_at == ctx.clock() + timedelta(minutes=30)
    assert case.case_due_at is not None
    assert case.case_due_at.isoformat().startswith("2026-11-24T09:00")
    [ack] = events(uow, SubmissionAcknowledged)
    assert ack.case_id == case.case_id
    assert not events(uow, CaseStepChanged), "the acknowledgement stands for the first step"
    [note] = events(uow, NotificationRaised)
    assert (note.kind, note.recipient_role, note.link) == (
        "INBOX",
        "petugas-administrasi",
        f"/api/v1/cases/{case.case_id}",
    )
    assert set(uow.deadlines.pending) == {
        (case.case_id, k) for k in ("STEP_WARNING", "STEP_BREACH", "CASE_WARNING", "CASE_BREACH")
    }
    # The same submission again (a re-sent event with a new id) opens nothing more.
    again = EventMetadata(type=event.event_type, source="/bkpsdm/intake")
    assert await handle_once(
        uow,
        "routing.case-opening",
        lambda u, e, c: service.open_case_for_submission(u, ctx, e, c),
        event,
        again,
    )
    assert len(events(uow, SubmissionAcknowledged)) == 1
    inbox = await service.inbox(uow, ctx, people["admin"], 50, 0)
    assert [c.case_id for c, _, _ in inbox] == [case.case_id]


async def test_a_submission_to_an_unknown_service_is_refused_for_good(ctx: RoutingContext) -> None:
    uow = InMemoryRoutingUnitOfWork()
    # A domain error in a consumer is dead-lettered at once: a retry would not change the answer.
    await refused("WORKFLOW_UNKNOWN", service.open_case_for_submission(uow, ctx, received("TIDAK-ADA"), None))


async def test_the_full_report_flow_with_an_agenda_number_per_year(
    ctx: RoutingContext, clock: Clock, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())
    first = await act(uow, ctx, people["admin"], case, Action.REGISTER)
    assert first["agenda_number"] == "001/BKPSDM/XI/2026"
    other = await opened(uow, ctx, received())
    assert (await act(uow, ctx, people["admin"], other, Action.REGISTER))[
        "agenda_number"
    ] == "002/BKPSDM/XI/2026"
    clock.set(datetime(2027, 1, 4, 9, tzinfo=clock.now.tzinfo))
    january = await opened(uow, ctx, received())
    assert (await act(uow, ctx, people["admin"], january, Action.REGISTER))[
        "agenda_number"
    ] == "001/BKPSDM/I/2027"

    for who, action, data in [
        ("admin", Action.FORWARD, {}),
        ("kasubbag", Action.FORWARD, {}),
        ("sekretaris", Action.PARAF, {}),
        ("kaban", Action.DISPOSISI, DISPOSISI),
        ("kabid", Action.FORWARD, {}),
        ("pengolah", Action.ACCEPT, {}),
    ]:
        await act(uow, ctx, people[who], case, action, **data)
    [upload] = events(uow, UploadRequested)
    assert (upload.case_id, upload.attempt, upload.recap.sha256) == (case.case_id, 1, RECAP.sha256)
    await reactions.record_upload_result(uow, ctx, finished(upload, "COMPLETED"), "cid")
    await act(uow, ctx, people["pengolah"], case, Action.REPORT, summary="25 baris tersimpan di BKN")
    await act(uow, ctx, people["kabid"], case, Action.FORWARD)
    done = await act(uow, ctx, people["kaban"], case, Action.COMPLETE)
    assert (done["status"], done["step"]) == ("SELESAI", "SELESAI")
    steps = [e for e in events(uow, CaseStepChanged) if e.case_id == case.case_id]
    assert [e.step for e in steps] == [
        "PEMILAHAN",
        "KASUBBAG",
        "PARAF-SEKRETARIS",
        "DISPOSISI-KEPALA-BADAN",
        "KEPALA-BIDANG",
        "PEMERIKSAAN",
        "UNGGAH",
        "LAPORAN",
        "LAPORAN-KEPALA-BIDANG",
        "LAPORAN-KEPALA-BADAN",
        "SELESAI",
    ]
    assert steps[-1].completed
    assert not any(e.completed for e in steps[:-1])
    history = await uow.cases.history(case.case_id)
    assert [h.seq for h in history] == list(range(1, len(history) + 1))
    assert not [k for k in uow.deadlines.pending if k[0] == case.case_id], "a finished case has no clock"


def finished(upload: UploadRequested, outcome: str, reasons: tuple[str, ...] = ()) -> UploadFinished:
    stored = upload.recap.rows if outcome == "COMPLETED" else 0
    return UploadFinished(
        request_id=upload.request_id,
        submission_id=upload.submission_id,
        case_id=upload.case_id,
        service_code=upload.service_code,
        outcome=outcome,
        rows_total=upload.recap.rows,
        rows_stored=stored,
        rows_rejected=0,
        rows_failed=upload.recap.rows - stored,
        reasons=list(reasons),
        adapter="http",
        finished_at=upload.requested_at,
    )


async def test_who_may_act_wrong_state_is_409_and_wrong_holder_is_403(
    ctx: RoutingContext, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())
    await refused("ACTION_NOT_ALLOWED", act(uow, ctx, people["sekretaris"], case, Action.PARAF))
    await refused("ACTION_NOT_ALLOWED", act(uow, ctx, people["admin"], case, Action.PARAF))
    await refused("NOT_STEP_HOLDER", act(uow, ctx, people["kaban"], case, Action.REGISTER))
    await refused("CASE_NOT_FOUND", act(uow, ctx, people["admin"], str(uuid.uuid4()), Action.REGISTER))
    await to_processing_unit(uow, ctx, people, case)
    other_unit = Actor("nip-x", "Analis lain", frozenset({"unit-pengolah"}), "BIDANG-LAIN")
    await refused("NOT_STEP_HOLDER", act(uow, ctx, other_unit, case, Action.ACCEPT))
    await refused("NOT_STEP_HOLDER", act(uow, ctx, people["disdik"], case, Action.ACCEPT))


async def test_a_client_key_makes_a_double_click_one_action_and_refuses_reuse(
    ctx: RoutingContext, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())
    first = await service.act(
        uow,
        ctx,
        people["admin"],
        case.case_id,
        Action.REGISTER,
        ActionInput(),
        client_key="k-1",
        correlation_id=None,
    )
    again = await service.act(
        uow,
        ctx,
        people["admin"],
        case.case_id,
        Action.REGISTER,
        ActionInput(),
        client_key="k-1",
        correlation_id=None,
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.response == first.response
    assert len(await uow.cases.history(case.case_id)) == 2  # opened + registered, once
    await refused("CLIENT_KEY_REUSED", act(uow, ctx, people["admin"], case, Action.FORWARD, key="k-1"))
    await refused(
        "CLIENT_KEY_REUSED", act(uow, ctx, people["admin"], case, Action.REGISTER, key="k-1", note="lain")
    )
    # The same key from another official is theirs to use.
    await refused("NOT_STEP_HOLDER", act(uow, ctx, people["kaban"], case, Action.FORWARD, key="k-1"))


async def test_disposisi_checks_instructions_recipients_and_its_deadline(
    ctx: RoutingContext, clock: Clock, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())
    for who, action in [
        ("admin", Action.REGISTER),
        ("admin", Action.FORWARD),
        ("kasubbag", Action.FORWARD),
        ("sekretaris", Action.PARAF),
    ]:
        await act(uow, ctx, people[who], case, action)
    kaban = people["kaban"]
    await refused(
        "INSTRUCTION_UNKNOWN",
        act(uow, ctx, kaban, case, Action.DISPOSISI, **{**DISPOSISI, "instructions": ("TERSERAH",)}),
    )
    await refused(
        "RECIPIENT_REQUIRED",
        act(
            uow, ctx, kaban, case, Action.DISPOSISI, **{**DISPOSISI, "recipients": (Addressee("sekretaris"),)}
        ),
    )
    await refused(
        "RECIPIENT_INVALID",
        act(
            uow,
            ctx,
            kaban,
            case,
            Action.DISPOSISI,
            **DISPOSISI,
            tembusan=(Addressee("perangkat-daerah", "DISDIK"),),
        ),
    )
    await refused(
        "DEADLINE_PAST",
        act(uow, ctx, kaban, case, Action.DISPOSISI, **DISPOSISI, due_at=clock.now - timedelta(minutes=1)),
    )
    due = clock.now + timedelta(hours=3)
    done = await act(
        uow,
        ctx,
        kaban,
        case,
        Action.DISPOSISI,
        **DISPOSISI,
        tembusan=(Addressee("sekretaris"),),
        note="Segera",
        due_at=due,
    )
    assert done["due_at"] == due.isoformat(), "the disposisi's own deadline is the next step's"
    kinds = {(n.kind, n.recipient_role) for n in events(uow, NotificationRaised)}
    assert {("DISPOSISI", "kepala-bidang"), ("TEMBUSAN", "sekretaris")} <= kinds


async def test_a_disposisi_is_withdrawn_while_unread_and_not_after_it_was_read(
    ctx: RoutingContext, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())
    for who, action in [
        ("admin", Action.REGISTER),
        ("admin", Action.FORWARD),
        ("kasubbag", Action.FORWARD),
        ("sekretaris", Action.PARAF),
    ]:
        await act(uow, ctx, people[who], case, action)
    issued = await act(uow, ctx, people["kaban"], case, Action.DISPOSISI, **DISPOSISI)
    await refused(
        "DISPOSISI_NOT_ISSUER",
        service.withdraw_disposisi(
            uow, ctx, people["sekretaris"], issued["disposisi_id"], client_key=None, correlation_id=None
        ),
    )
    back = await service.withdraw_disposisi(
        uow, ctx, people["kaban"], issued["disposisi_id"], client_key=None, correlation_id=None
    )
    assert back.response["step"] == "DISPOSISI-KEPALA-BADAN"
    await refused(
        "DISPOSISI_WITHDRAWN",
        service.withdraw_disposisi(
            uow, ctx, people["kaban"], issued["disposisi_id"], client_key=None, correlation_id=None
        ),
    )
    again = await act(uow, ctx, people["kaban"], case, Action.DISPOSISI, **DISPOSISI)
    await refused(
        "DISPOSISI_NOT_RECIPIENT", service.read_disposisi(uow, ctx, people["pengolah"], again["disposisi_id"])
    )
    read = await service.read_disposisi(uow, ctx, people["kabid"], again["disposisi_id"])
    assert [r.reader_subject for r in read.reads] == ["nip-kepala-bidang"]
    await refused(
        "DISPOSISI_ALREADY_READ",
        service.withdraw_disposisi(
            uow, ctx, people["kaban"], again["disposisi_id"], client_key=None, correlation_id=None
        ),
    )


async def test_a_returned_case_continues_with_the_resubmission(
    ctx: RoutingContext, clock: Clock, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    first = received()
    case = await opened(uow, ctx, first)
    await to_processing_unit(uow, ctx, people, case)
    back = await act(uow, ctx, people["pengolah"], case, Action.RETURN, reasons=("Rekap tanpa tanda tangan",))
    assert (back["status"], back["step"], back["holder_role"], back["holder_unit"]) == (
        "DIKEMBALIKAN",
        "DIKEMBALIKAN",
        "perangkat-daerah",
        "DISDIK",
    )
    [returned] = events(uow, SubmissionReturned)
    assert (returned.submission_id, returned.reasons) == (first.submission_id, ["Rekap tanpa tanda tangan"])
    assert (case.case_id, "CASE_BREACH") not in uow.deadlines.pending, "the applicant's time does not count"
    clock.advance(days=2)
    again = received(replaces=first.submission_id)
    resumed = await opened(uow, ctx, again)
    assert (resumed.case_id, resumed.step, resumed.status.value) == (case.case_id, "PEMERIKSAAN", "AKTIF")
    assert resumed.current_submission_id == again.submission_id
    assert resumed.case_due_at is not None
    assert resumed.case_due_at > clock.now
    assert await uow.cases.submissions_of(case.case_id) == [first.submission_id, again.submission_id]
    acks = [a.submission_id for a in events(uow, SubmissionAcknowledged)]
    assert acks == [first.submission_id, again.submission_id]
    assert events(uow, CaseStepChanged)[-1].submission_id == again.submission_id


async def test_a_failed_upload_is_retried_and_a_late_answer_changes_nothing(
    ctx: RoutingContext, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received("IP-ASN"))
    await to_processing_unit(uow, ctx, people, case)
    await act(uow, ctx, people["pengolah"], case, Action.ACCEPT)
    [first] = events(uow, UploadRequested)
    await reactions.record_upload_result(uow, ctx, finished(first, "FAILED", ("BKN tidak menjawab",)), None)
    failed = await uow.cases.get(case.case_id)
    assert failed is not None
    assert (failed.step, failed.holder_role) == ("UNGGAH-GAGAL", "unit-pengolah")
    await act(uow, ctx, people["pengolah"], case, Action.RETRY_UPLOAD)
    second = events(uow, UploadRequested)[-1]
    assert (second.attempt, second.request_id != first.request_id) == (2, True)
    await reactions.record_upload_result(uow, ctx, finished(first, "COMPLETED"), None)  # late, for attempt 1
    waiting = await uow.cases.get(case.case_id)
    assert waiting is not None
    assert waiting.step == "UNGGAH"
    await reactions.record_upload_result(uow, ctx, finished(second, "PARTIALLY_COMPLETED"), None)
    await reactions.record_upload_result(uow, ctx, finished(second, "COMPLETED"), None)  # a second answer
    reported = await uow.cases.get(case.case_id)
    assert reported is not None
    assert reported.step == "LAPORAN"
    outcomes = [
        h.details.get("outcome")
        for h in await uow.cases.history(case.case_id)
        if h.action.startswith("upload")
    ]
    assert outcomes == ["FAILED", "PARTIALLY_COMPLETED"]


async def fire_due(uow: InMemoryRoutingUnitOfWork, ctx: RoutingContext) -> list[str]:
    fired = []
    for aggregate_id, kind, payload in uow.deadlines.due(ctx.clock()):
        async with uow:
            await clocks.on_deadline(uow, ctx, aggregate_id=aggregate_id, kind=kind, payload=payload)
        fired.append(kind)
    return fired


async def test_a_repair_case_goes_on_after_its_diagnosis_or_without_it(
    ctx: RoutingContext, clock: Clock, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    answered = await opened(
        uow, ctx, received("ABSENSI-FINGER", request={"terminal": "TRM-1", "problem": "mati"})
    )
    silent = await opened(
        uow, ctx, received("ABSENSI-FINGER", request={"terminal": "TRM-2", "problem": "mati"})
    )
    requests = {r.terminal_id: r for r in events(uow, TerminalDiagnosisRequested)}
    assert answered.step == "DIAGNOSA"
    assert answered.holder_role is None
    diagnosed = TerminalDiagnosed(
        request_id=requests["TRM-1"].request_id,
        terminal_id="TRM-1",
        case_id=answered.case_id,
        reachable=True,
        firmware="Ver 6.60",
        diagnosed_at=clock.now,
    )
    await reactions.record_diagnosis(uow, ctx, diagnosed, None)
    after = await uow.cases.get(answered.case_id)
    assert after is not None
    assert (after.step, after.diagnosis and after.diagnosis["firmware"]) == ("PEMERIKSAAN-TEKNIS", "Ver 6.60")
    clock.advance(seconds=121)
    assert "DIAGNOSIS_TIMEOUT" in await fire_due(uow, ctx)
    timed_out = await uow.cases.get(silent.case_id)
    assert timed_out is not None
    assert (timed_out.step, timed_out.diagnosis) == ("PEMERIKSAAN-TEKNIS", None)
    late = TerminalDiagnosed(
        request_id=requests["TRM-2"].request_id,
        terminal_id="TRM-2",
        case_id=silent.case_id,
        reachable=True,
        diagnosed_at=clock.now,
    )
    await reactions.record_diagnosis(uow, ctx, late, None)
    assert (await uow.cases.get(silent.case_id)) == timed_out, "a late diagnosis changes nothing"
    await act(uow, ctx, people["teknis"], answered, Action.FORWARD)
    await act(uow, ctx, people["teknis"], answered, Action.FORWARD)
    await refused("NOT_STEP_HOLDER", act(uow, ctx, people["dinkes"], answered, Action.COMPLETE))
    await act(uow, ctx, people["disdik"], answered, Action.SEND_BACK, note="Masih gagal membaca jari")
    await act(uow, ctx, people["teknis"], answered, Action.FORWARD)
    assert (await act(uow, ctx, people["disdik"], answered, Action.COMPLETE))["status"] == "SELESAI"


async def test_a_late_step_warns_then_breaches_and_escalates_one_level_at_a_time(
    ctx: RoutingContext, clock: Clock, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())  # Monday 09:00, admin desk due 09:30
    clock.advance(minutes=23)
    assert await fire_due(uow, ctx) == ["STEP_WARNING"]
    clock.advance(minutes=10)
    assert await fire_due(uow, ctx) == ["STEP_BREACH"]
    [breach] = events(uow, CaseDeadlineBreached)
    assert (breach.scope, breach.step, breach.holder_role) == ("STEP", "PENERIMAAN", "petugas-administrasi")
    [up] = events(uow, CaseEscalated)
    assert (up.escalated_to_role, up.level) == ("kasubbag-umum-kepegawaian-aset", 1)
    inbox = await service.inbox(uow, ctx, people["kasubbag"], 50, 0)
    assert [(c.case_id, escalated) for c, escalated, _ in inbox] == [(case.case_id, True)]
    clock.advance(minutes=31)
    assert await fire_due(uow, ctx) == ["STEP_ESCALATION"]
    assert [e.escalated_to_role for e in events(uow, CaseEscalated)] == [
        "kasubbag-umum-kepegawaian-aset",
        "sekretaris",
    ]
    await act(uow, ctx, people["admin"], case, Action.REGISTER)  # moving on stops the step's clock
    clock.advance(hours=1)
    assert await fire_due(uow, ctx) == ["STEP_WARNING", "STEP_BREACH"], "the next step's own clock"
    clock.set(datetime(2026, 11, 24, 9, 1, tzinfo=clock.now.tzinfo))
    fired = await fire_due(uow, ctx)
    assert "CASE_WARNING" in fired
    assert "CASE_BREACH" in fired
    assert [e.scope for e in events(uow, CaseDeadlineApproaching)] == ["STEP", "STEP", "CASE"]
    kinds = [n.kind for n in events(uow, NotificationRaised)]
    assert {"SLA_WARNING", "SLA_BREACH", "ESKALASI"} <= set(kinds)


async def test_an_acting_official_holds_the_role_for_the_period_and_the_history_says_for_whom(
    ctx: RoutingContext, clock: Clock, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received())
    for who, action in [("admin", Action.REGISTER), ("admin", Action.FORWARD), ("kasubbag", Action.FORWARD)]:
        await act(uow, ctx, people[who], case, action)
    plh = Actor("nip-plh", "Budi", frozenset({"kepala-bidang"}), "BIDANG-INFORMASI")
    await refused("NOT_STEP_HOLDER", act(uow, ctx, plh, case, Action.PARAF))
    await refused(
        "DELEGATION_FORBIDDEN",
        service.grant_delegation(
            uow,
            ctx,
            people["kabid"],
            role=Role.SEKRETARIS,
            unit=None,
            delegate_subject="nip-plh",
            delegate_name="Budi",
            kind=DelegationKind.PLH,
            starts_at=clock.now,
            ends_at=clock.now + timedelta(days=2),
            for_name=None,
        ),
    )
    granted = await service.grant_delegation(
        uow,
        ctx,
        people["kaban"],
        role=Role.SEKRETARIS,
        unit=None,
        delegate_subject="nip-plh",
        delegate_name="Budi",
        kind=DelegationKind.PLH,
        starts_at=clock.now,
        ends_at=clock.now + timedelta(days=2),
        for_name="Sri (cuti)",
    )
    inbox = await service.inbox(uow, ctx, plh, 50, 0)
    assert [(c.case_id, via.title if via else None) for c, _, via in inbox] == [
        (case.case_id, "Plh. Sekretaris")
    ]
    await act(uow, ctx, plh, case, Action.PARAF)
    entry = (await uow.cases.history(case.case_id))[-1]
    assert (entry.actor_subject, entry.actor_role, entry.acting_for and entry.acting_for["for_name"]) == (
        "nip-plh",
        "sekretaris",
        "Sri (cuti)",
    )
    assert events(uow, CaseStepChanged)[-1].acting_for == "Plh. Sekretaris"
    await service.revoke_delegation(uow, ctx, people["kaban"], granted.delegation_id)
    clock.advance(days=3)
    assert await service.inbox(uow, ctx, plh, 50, 0) == []


async def test_a_running_case_keeps_its_workflow_version_and_new_cases_take_the_new_one(
    ctx: RoutingContext, people: dict[str, Actor]
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    old = await opened(uow, ctx, received())
    v1 = ctx.workflows.by_key("E-LAPKIN/1")
    assert v1 is not None
    steps = tuple(
        s.model_copy(update={"label": "Dipilah di loket terpadu"}) if s.code == "PEMILAHAN" else s
        for s in v1.steps
    )
    v2 = v1.model_copy(update={"version": 2, "steps": steps})
    newer = replace(ctx, workflows=Workflows({"E-LAPKIN": {1: v1, 2: v2}}))
    new = await opened(uow, newer, received())
    assert (old.workflow_version, new.workflow_version) == ("E-LAPKIN/1", "E-LAPKIN/2")
    await act(uow, newer, people["admin"], old, Action.REGISTER)
    await act(uow, newer, people["admin"], new, Action.REGISTER)
    labels = {e.case_id: e.step_label for e in events(uow, CaseStepChanged)}
    assert labels == {old.case_id: "Dipilah Petugas Administrasi", new.case_id: "Dipilah di loket terpadu"}


async def test_a_repair_request_naming_no_terminal_goes_straight_to_the_technician(
    ctx: RoutingContext,
) -> None:
    uow = InMemoryRoutingUnitOfWork()
    case = await opened(uow, ctx, received("ABSENSI-FINGER", request={"problem": "aplikasi tidak terpasang"}))
    assert (case.step, case.holder_role) == ("PEMERIKSAAN-TEKNIS", "petugas-teknis")
    assert not events(uow, TerminalDiagnosisRequested)
    last = (await uow.cases.history(case.case_id))[-1]
    assert (last.action, last.note) == (
        "diagnosis-timed-out",
        "Permohonan tidak menyebut mesin absensi: diagnosis dilewati.",
    )
