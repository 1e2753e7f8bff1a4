"""Workflow definitions load from versioned files and the validator refuses broken ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bkpsdm.routing.domain.workflow import (
    WORKFLOWS_DIR,
    Action,
    WorkflowDefinition,
    WorkflowError,
    load_workflows,
)

Definition = dict[str, Any]


def packaged(name: str) -> Definition:
    data: Definition = json.loads((WORKFLOWS_DIR / name).read_text(encoding="utf-8"))
    return data


def test_the_packaged_definitions_cover_the_service_codes_intake_uses() -> None:
    workflows = load_workflows()
    assert workflows.codes == ("ABSENSI-FINGER", "E-LAPKIN", "IP-ASN", "PORTAL-INFO")
    catalogue = Path(__file__).parents[3] / "intake" / "src" / "bkpsdm" / "intake" / "catalogue"
    intake_codes = {json.loads(p.read_text(encoding="utf-8"))["code"] for p in catalogue.glob("*.json")}
    assert set(workflows.codes) == intake_codes


def test_the_report_flows_follow_the_seed_procedure_in_order() -> None:
    flow = load_workflows().current("E-LAPKIN")
    assert flow is not None
    path, step = [], flow.step(flow.initial_step)
    while not step.final:
        path.append((step.code, step.holder.role if step.holder else None))
        nxt = next(t for t in step.transitions if t.action not in (Action.RETURN, Action.UPLOAD_FAILED))
        step = flow.step(nxt.to)
    assert path == [
        ("PENERIMAAN", "petugas-administrasi"),
        ("PEMILAHAN", "petugas-administrasi"),
        ("KASUBBAG", "kasubbag-umum-kepegawaian-aset"),
        ("PARAF-SEKRETARIS", "sekretaris"),
        ("DISPOSISI-KEPALA-BADAN", "kepala-badan"),
        ("KEPALA-BIDANG", "kepala-bidang"),
        ("PEMERIKSAAN", "unit-pengolah"),
        ("UNGGAH", "system"),
        ("LAPORAN", "unit-pengolah"),
        ("LAPORAN-KEPALA-BIDANG", "kepala-bidang"),
        ("LAPORAN-KEPALA-BADAN", "kepala-badan"),
    ]


def test_the_portal_cycle_has_the_seeds_16_steps_and_its_loops_back() -> None:
    flow = load_workflows().current("PORTAL-INFO")
    assert flow is not None
    assert sorted(s.seed_step for s in flow.steps if s.seed_step) == list(range(1, 17))
    loops = {
        (s.seed_step, flow.step(t.to).seed_step)
        for s in flow.steps
        for t in s.transitions
        if t.action is Action.SEND_BACK
    }
    assert loops == {(8, 1), (12, 8), (13, 5)}
    assert flow.started_by_role == "pengolah-data"


def _small() -> Definition:
    return {
        "code": "UJI",
        "version": 1,
        "name": "Uji",
        "sources": ["seed"],
        "initial_step": "A",
        "steps": [
            {
                "code": "A",
                "label": "a",
                "holder": {"role": "sekretaris"},
                "transitions": [{"action": "forward", "to": "B", "label": "x"}],
            },
            {
                "code": "B",
                "label": "b",
                "holder": {"role": "kepala-badan"},
                "transitions": [{"action": "complete", "to": "Z", "label": "y"}],
            },
            {"code": "Z", "label": "z", "final": True},
        ],
    }


def _step(d: Definition, code: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in d["steps"] if s["code"] == code)
    return step


def _unknown_role(d: Definition) -> None:
    _step(d, "A")["holder"]["role"] = "lurah"


def _unreachable(d: Definition) -> None:
    d["steps"].append(
        {
            "code": "C",
            "label": "c",
            "holder": {"role": "sekretaris"},
            "transitions": [{"action": "forward", "to": "Z", "label": "x"}],
        }
    )


def _dead_end(d: Definition) -> None:
    _step(d, "B")["transitions"] = []


def _loop_without_exit(d: Definition) -> None:
    _step(d, "B")["transitions"] = [{"action": "send-back", "to": "A", "label": "x"}]


def _unknown_target(d: Definition) -> None:
    _step(d, "A")["transitions"][0]["to"] = "Q"


def _final_with_transitions(d: Definition) -> None:
    _step(d, "Z")["transitions"] = [{"action": "forward", "to": "A", "label": "x"}]


def _official_action_on_system_step(d: Definition) -> None:
    _step(d, "B")["holder"] = {"role": "system"}


def _upload_without_failure_answer(d: Definition) -> None:
    b = _step(d, "B")
    b["holder"] = {"role": "system"}
    b["on_enter"] = "REQUEST_UPLOAD"
    b["transitions"] = [{"action": "upload-completed", "to": "Z", "label": "ok"}]


def _return_to_a_step_without_resubmission(d: Definition) -> None:
    _step(d, "A")["transitions"].append({"action": "return", "to": "B", "label": "x"})


def _applicant_step_in_an_internal_workflow(d: Definition) -> None:
    d["started_by_role"] = "pengolah-data"
    _step(d, "B")["holder"] = {"role": "perangkat-daerah", "unit": "@pemohon"}


def _step_twice(d: Definition) -> None:
    d["steps"].append(dict(_step(d, "B")))


def _unknown_action(d: Definition) -> None:
    _step(d, "A")["transitions"][0]["action"] = "approve"


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (_unknown_role, "unknown role 'lurah'"),
        (_unreachable, "unreachable steps: C"),
        (_dead_end, "dead end: step B has no transitions"),
        (_loop_without_exit, "dead end: no way to a final step from A, B"),
        (_unknown_target, "transition to unknown step Q"),
        (_final_with_transitions, "final step Z has transitions"),
        (_official_action_on_system_step, "nobody can take complete on a system step"),
        (_upload_without_failure_answer, "REQUEST_UPLOAD cannot take ['upload-failed']"),
        (_return_to_a_step_without_resubmission, "B cannot take a resubmission"),
        (_applicant_step_in_an_internal_workflow, "'@pemohon' needs a submitted case"),
        (_step_twice, "step B declared twice"),
        (_unknown_action, "Input should be"),
    ],
)
def test_a_broken_definition_is_refused_when_loaded(
    tmp_path: Path, break_it: Callable[[Definition], None], problem: str
) -> None:
    (tmp_path / "uji.json").write_text(json.dumps(_small()))
    assert load_workflows(tmp_path).current("UJI") is not None
    broken = _small()
    break_it(broken)
    (tmp_path / "uji.json").write_text(json.dumps(broken))
    with pytest.raises(WorkflowError) as info:
        load_workflows(tmp_path)
    assert "uji.json" in str(info.value)
    assert problem in str(info.value)


def test_a_new_version_applies_to_new_cases_and_the_old_one_stays_loaded(tmp_path: Path) -> None:
    first = packaged("e-lapkin.v1.json")
    second = packaged("e-lapkin.v1.json")
    second["version"] = 2
    second["steps"][0]["label"] = "Diterima loket terpadu"
    (tmp_path / "e-lapkin.v1.json").write_text(json.dumps(first))
    (tmp_path / "e-lapkin.v2.json").write_text(json.dumps(second))
    workflows = load_workflows(tmp_path)
    current = workflows.current("E-LAPKIN")
    assert current is not None
    assert current.key == "E-LAPKIN/2"
    old = workflows.by_key("E-LAPKIN/1")
    assert old is not None
    assert old.step("PENERIMAAN").label != "Diterima loket terpadu"
    assert workflows.by_key("E-LAPKIN/9") is None
    assert workflows.by_key("E-LAPKIN") is None


def test_the_same_version_twice_and_an_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="no workflow definitions"):
        load_workflows(tmp_path)
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(_small()))
    with pytest.raises(WorkflowError, match="UJI/1 appears twice"):
        load_workflows(tmp_path)


def test_every_packaged_definition_is_sound() -> None:
    for path in sorted(WORKFLOWS_DIR.glob("*.json")):
        WorkflowDefinition.model_validate_json(path.read_bytes())
