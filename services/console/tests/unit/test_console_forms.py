"""The submission form follows intake's published OpenAPI and catalogue; a refusal lands beside
the fields it names, and nothing the service said is lost."""

from __future__ import annotations

from typing import Any

import pytest

from bkpsdm.console.domain.forms import Refusal, form_errors, submission_form
from bkpsdm.intake.bootstrap import bootstrap
from bkpsdm.intake.settings import IntakeSettings


@pytest.fixture(scope="module")
def intake_openapi() -> dict[str, Any]:
    # Intake's own app, built but not started: the document the console reads at /openapi.json.
    _, app = bootstrap(IntakeSettings())
    return app.openapi()


def standard(code: str, requirements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"code": code, "name": f"Layanan {code}", "requirements": requirements}


ELAPKIN = standard(
    "E-LAPKIN",
    [
        {
            "id": "surat-pengantar",
            "text": "Surat Pengantar",
            "kind": "document",
            "file_kinds": ["pdf", "image"],
            "recap": False,
        },
        {"id": "skp", "text": "SKP", "kind": "document", "file_kinds": ["pdf", "image"], "recap": False},
        {
            "id": "rekap-nilai-laporan-kinerja",
            "text": "Rekap",
            "kind": "document",
            "file_kinds": ["xlsx", "csv"],
            "recap": True,
        },
    ],
)
REPAIR = standard(
    "ABSENSI-FINGER",
    [
        {
            "id": "mesin-absensi",
            "text": "Mesin absensi yang bermasalah",
            "kind": "physical",
            "file_kinds": [],
            "recap": False,
        }
    ],
)


def test_a_recap_service_asks_for_title_period_and_each_document(intake_openapi: dict[str, Any]) -> None:
    spec = submission_form(intake_openapi, ELAPKIN)
    assert spec is not None
    assert [f.name for f in spec.text_fields] == ["title", "period"]
    assert spec.text_fields[1].pattern is not None
    assert [f.name for f in spec.file_fields] == ["surat-pengantar", "skp", "rekap-nilai-laporan-kinerja"]
    assert spec.file_fields[2].recap
    assert spec.file_fields[2].accept == ".xlsx,.csv"
    assert spec.brought_in_person == ()


def test_a_repair_request_asks_for_its_own_fields_and_lists_what_is_brought(
    intake_openapi: dict[str, Any],
) -> None:
    spec = submission_form(intake_openapi, REPAIR)
    assert spec is not None
    assert [f.name for f in spec.text_fields] == ["title", "terminal", "problem", "contact"]
    assert spec.text_fields[2].multiline  # the description of the fault is typed over lines
    assert spec.file_fields == ()
    assert spec.brought_in_person == ("Mesin absensi yang bermasalah",)


def test_a_standard_intake_takes_no_submissions_for_has_no_form(intake_openapi: dict[str, Any]) -> None:
    assert submission_form(intake_openapi, standard("BELUM-ADA", [])) is None
    assert submission_form({}, ELAPKIN) is None


FIELDS = {"title", "period", "skp", "rekap-nilai-laporan-kinerja"}


def test_missing_requirements_are_marked_on_their_fields() -> None:
    refusal = Refusal(
        422,
        "REQUIREMENTS_MISSING",
        "Persyaratan pengajuan belum lengkap.",
        [{"requirement": "skp", "text": "SKP"}, {"requirement": "period", "text": "Periode"}],
    )
    errors = form_errors(refusal, FIELDS)
    assert errors.message == "Persyaratan pengajuan belum lengkap."
    assert errors.code == "REQUIREMENTS_MISSING"
    assert errors.fields == {"skp": ["Wajib diisi."], "period": ["Wajib diisi."]}


def test_every_recap_row_error_is_listed_beside_the_recap() -> None:
    rows = [
        {
            "requirement": "rekap-nilai-laporan-kinerja",
            "row": r,
            "column": "NIP",
            "code": "NIP_INVALID",
            "message": "NIP harus 18 digit angka",
        }
        for r in range(2, 62)
    ]
    errors = form_errors(Refusal(422, "RECAP_INVALID", "Rekap belum dapat diterima.", rows), FIELDS)
    shown = errors.fields["rekap-nilai-laporan-kinerja"]
    assert shown[0] == "Baris 2, kolom NIP: NIP harus 18 digit angka"
    assert len(shown) == 51
    assert shown[-1] == "... dan 10 kesalahan lain."


@pytest.mark.parametrize(
    ("code", "detail", "text"),
    [
        ("FIELD_INVALID", {"field": "title", "max_length": 300}, "Paling banyak 300 karakter."),
        (
            "FIELD_INVALID",
            {"field": "title", "problem": "control_characters"},
            "Berisi karakter yang tidak diizinkan.",
        ),
        (
            "DOCUMENT_TOO_LARGE",
            {"requirement": "skp", "max_bytes": 4 * 1024 * 1024},
            "Ukuran berkas paling besar 4096 KiB.",
        ),
        (
            "DOCUMENT_TYPE_NOT_ALLOWED",
            {"requirement": "skp", "allowed": ["pdf", "image"]},
            "Jenis berkas yang diterima: PDF, gambar PNG/JPEG.",
        ),
        ("PERIOD_INVALID", {"field": "period"}, "Pesan layanan."),
    ],
)
def test_a_refusal_detail_is_said_beside_its_field(code: str, detail: dict[str, Any], text: str) -> None:
    errors = form_errors(Refusal(422, code, "Pesan layanan.", [detail]), FIELDS)
    name = detail.get("field") or detail["requirement"]
    assert errors.fields == {name: [text]}


def test_a_refusal_about_no_field_of_the_form_stays_on_top() -> None:
    errors = form_errors(Refusal(409, "REPLACES_ALREADY_REPLACED", "Sudah diganti.", None), FIELDS)
    assert (errors.message, errors.fields) == ("Sudah diganti.", {})
    assert errors
