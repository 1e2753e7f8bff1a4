"""The engine, step by step over every packaged definition: who may take which action where,
what it leads to, and the order of refusals (409 wrong state before 403 wrong holder)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.service_calendar import load_calendar
from bkpsdm.routing.domain.case import Case, CaseStatus, moved, open_case, place
from bkpsdm.routing.domain.delegation import Delegation, DelegationKind
from bkpsdm.routing.domain.engine import Actor, authorise, offered
from bkpsdm.routing.domain.rules import OFFICIAL_ROLES
from bkpsdm.routing.domain.sla import SlaClock
from bkpsdm.routing.domain.workflow import SYSTEM, Action, Step, WorkflowDefinition, load_workflows

WORKFLOWS = load_workflows()
SLA = SlaClock(load_calendar(), 0.25)
NOW = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Jakarta"))
ROLES = [*sorted(r.value for r in OFFICIAL_ROLES), "perangkat-daerah"]


def case_at(definition: WorkflowDefinition, step: str) -> Case:
    case, _, _ = open_case(
        definition,
        submission_id="s-1",
        perangkat_daerah="DISDIK",
        title="t",
        opened_at=NOW,
        opened_by=None,
        sla=SLA,
        rules_version="r",
    )
    return moved(case, place("DISDIK", definition.step(step), NOW, SLA), NOW)


def actor(role: str, unit: str | None) -> Actor:
    return Actor(subject=f"nip-{role}", name=role, roles=frozenset({role}), unit=unit)


STEPS = [
    (d, s)
    for versions in WORKFLOWS.definitions.values()
    for d in versions.values()
    for s in d.steps
    if not s.final and s.holder is not None and s.holder.role != SYSTEM
]


@pytest.mark.parametrize(("definition", "step"), STEPS, ids=[f"{d.code}:{s.code}" for d, s in STEPS])
def test_only_the_holder_of_a_step_is_offered_its_actions(definition: WorkflowDefinition, step: Step) -> None:
    code = step.code
    case = case_at(definition, code)
    holder = definition.step(code).holder
    assert holder is not None
    official_actions = [t for t in definition.step(code).transitions if not t.action.by_system]
    for role in ROLES:
        unit = case.holder_unit if role == holder.role else "UNIT-LAIN"
        offers = offered(definition, case, actor(role, unit), [])
        assert offers == (official_actions if role == holder.role else []), role
    if case.holder_unit is not None:
        assert offered(definition, case, actor(holder.role, "UNIT-LAIN"), []) == [], "another unit's official"


@pytest.mark.parametrize(("definition", "step"), STEPS, ids=[f"{d.code}:{s.code}" for d, s in STEPS])
def test_an_action_the_step_does_not_offer_is_a_wrong_state_for_anyone(
    definition: WorkflowDefinition, step: Step
) -> None:
    code = step.code
    case = case_at(definition, code)
    offered_actions = {t.action for t in definition.step(code).transitions}
    for action in Action:
        if action in offered_actions and not action.by_system:
            continue
        for role in ROLES:
            with pytest.raises(DomainError) as info:
                authorise(definition, case, actor(role, case.holder_unit), [], action, None)
            assert info.value.error.code == "ACTION_NOT_ALLOWED"


def test_the_holder_moves_the_case_and_a_plt_holds_it_only_in_the_period() -> None:
    flow = WORKFLOWS.current("E-LAPKIN")
    assert flow is not None
    case = case_at(flow, "PARAF-SEKRETARIS")
    transition, held = authorise(flow, case, actor("sekretaris", None), [], Action.PARAF, None)
    assert (transition.to, held.role, held.delegation) == ("DISPOSISI-KEPALA-BADAN", "sekretaris", None)
    with pytest.raises(DomainError) as info:
        authorise(flow, case, actor("kepala-bidang", "X"), [], Action.PARAF, None)
    assert info.value.error.code == "NOT_STEP_HOLDER"
    plt = Delegation(
        "d-1",
        "sekretaris",
        None,
        "nip-kepala-bidang",
        "Budi",
        DelegationKind.PLT,
        NOW,
        NOW + timedelta(days=1),
        "Sri",
        "nip-kaban",
        "Kaban",
        NOW,
    )
    assert plt.active(NOW)
    assert not plt.active(NOW + timedelta(days=1))
    _, held = authorise(flow, case, actor("kepala-bidang", "X"), [plt], Action.PARAF, None)
    assert (held.role, held.delegation) == ("sekretaris", plt)
    assert plt.title == "Plt. Sekretaris"
    closed = replace(case, status=CaseStatus.DONE)
    with pytest.raises(DomainError) as info:
        authorise(flow, closed, actor("sekretaris", None), [], Action.PARAF, None)
    assert info.value.error.code == "CASE_CLOSED"


def test_a_step_with_several_targets_needs_the_official_to_choose() -> None:
    portal = WORKFLOWS.current("PORTAL-INFO")
    assert portal is not None
    case = case_at(portal, "P07-SORTIR-VERIFIKASI")
    data = actor("pengolah-data", None)
    for to, code in [(None, "TARGET_REQUIRED"), ("P01-DRAFT-NOTA-DINAS", "TARGET_NOT_ALLOWED")]:
        with pytest.raises(DomainError) as info:
            authorise(portal, case, data, [], Action.FORWARD, to)
        assert info.value.error.code == code
    transition, _ = authorise(portal, case, data, [], Action.FORWARD, "P08-KEKURANGAN-DATA")
    assert transition.label == "Data kurang atau perlu informasi lebih lanjut"
