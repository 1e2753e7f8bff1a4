from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from bkpsdm.intake.domain.catalogue import (
    CATALOGUE_DIR,
    CatalogueError,
    ChannelKind,
    FileKind,
    RequirementKind,
    load_catalogue,
)

CODES = ("ABSENSI-FINGER", "E-LAPKIN", "IP-ASN", "PORTAL-INFO")
SINGKAWANG_CHANNELS = (
    ChannelKind.IN_PERSON,
    ChannelKind.SUGGESTION_BOX,
    ChannelKind.LETTER,
    ChannelKind.EMAIL,
    ChannelKind.WEBSITE,
    ChannelKind.PHONE_FAX,
    ChannelKind.SP4N_LAPOR,
)


def test_the_packaged_catalogue_holds_the_four_services_under_their_existing_codes() -> None:
    catalogue = load_catalogue()
    assert catalogue.codes == CODES


def test_a_service_is_found_by_its_code_in_any_case_and_an_unknown_code_is_not() -> None:
    catalogue = load_catalogue()
    service = catalogue.get("  ip-asn ")
    assert service is not None
    assert service.code == "IP-ASN"
    assert catalogue.get("CUTI-TAHUNAN") is None
    assert "e-lapkin" in catalogue
    assert "CUTI" not in catalogue


@pytest.mark.parametrize(
    ("code", "name", "sk", "requirements", "steps", "days", "product"),
    [
        (
            "E-LAPKIN",
            "Pelayanan Pelaporan Kinerja PNS",
            "060/33/Set-A TAHUN 2022",
            3,
            4,
            1,
            "Laporan Data E-LAPKIN",
        ),
        (
            "IP-ASN",
            "Pelayanan Indeks Profesionalitas ASN (IP-ASN)",
            "060/33/Set-A TAHUN 2022",
            2,
            4,
            1,
            "Laporan Data IP-ASN",
        ),
        (
            "PORTAL-INFO",
            "Portal Informasi Kepegawaian Daerah",
            "18/BKPSDMAD-A/2024",
            2,
            16,
            0,
            "Informasi Visual",
        ),
        (
            "ABSENSI-FINGER",
            "Pelayanan Instalasi Aplikasi Absensi Elektronik",
            "060/33/Set-A TAHUN 2022",
            3,
            5,
            1,
            "Aplikasi Absensi Elektronik (attendance) yang telah terinstall lengkap dengan pengaturan sesuai"
            " Perwako Nomor 62 Tahun 2019 tentang Pedoman Pelaksanaan Absensi Sidik Jari di Lingkungan"
            " Pemerintah Kota Singkawang",
        ),
    ],
)
def test_each_standard_carries_the_seed_facts(
    code: str, name: str, sk: str, requirements: int, steps: int, days: int, product: str
) -> None:
    service = load_catalogue().get(code)
    assert service is not None
    assert service.version == 1
    assert service.name == name
    assert service.sk_number == sk
    assert len(service.requirements) == requirements
    assert len(service.procedure) == steps
    assert service.completion_time is not None
    assert service.completion_time.working_days == days
    assert service.fee == "Tidak dipungut biaya"
    assert service.products == (product,)


def test_requirement_text_is_the_seed_text_word_for_word() -> None:
    elapkin = load_catalogue().get("E-LAPKIN")
    assert elapkin is not None
    assert [r.text for r in elapkin.requirements] == [
        "Surat Pengantar dari Perangkat Daerah",
        "Sasaran Kerja Pegawai (SKP, Penilaian SKP, Penilaian Prestasi)",
        "Rekap Nilai Laporan Kinerja Pegawai",
    ]
    assert elapkin.procedure[0] == "Pemohon menyampaikan Rekap Nilai Laporan Kinerja Pegawai"
    assert elapkin.completion_time is not None
    assert elapkin.completion_time.text == "1 Hari"


@pytest.mark.parametrize(
    ("code", "requirement_id"), [("E-LAPKIN", "rekap-nilai-laporan-kinerja"), ("IP-ASN", "rekap-data-asn")]
)
def test_the_recap_requirement_takes_spreadsheets_only(code: str, requirement_id: str) -> None:
    service = load_catalogue().get(code)
    assert service is not None
    recap = service.recap_requirement
    assert recap is not None
    assert recap.id == requirement_id
    assert recap.kind is RequirementKind.DOCUMENT
    assert recap.file_kinds == (FileKind.XLSX, FileKind.CSV)
    assert service.requirement("surat-pengantar").file_kinds == (FileKind.PDF, FileKind.IMAGE)


def test_attendance_requirements_are_items_brought_in_not_uploads() -> None:
    service = load_catalogue().get("ABSENSI-FINGER")
    assert service is not None
    assert service.recap_requirement is None
    assert {r.kind for r in service.requirements} == {RequirementKind.PHYSICAL}
    assert all(r.file_kinds == () for r in service.requirements)
    assert [r.text for r in service.requirements] == [
        "Mesin absensi yang mengalami gangguan/masalah",
        "Flashdisk/kabel LAN",
        "Personal Komputer/Laptop",
    ]


def test_ip_asn_takes_legal_basis_hours_and_the_rest_from_the_fuller_standard() -> None:
    service = load_catalogue().get("IP-ASN")
    assert service is not None
    assert service.sources == ("001_d5792f6afbfb6818.txt", "003_5810174f5aae19d7.txt")
    assert (
        service.legal_basis[0] == "Peraturan Menpan-RB Nomor 38 Tahun 2018 tentang Indeks Profesionalitas ASN"
    )
    hours = service.service_hours
    assert hours is not None
    assert hours.timezone == "Asia/Jakarta"
    assert hours.text[0] == "Senin s/d Kamis : 08.00 s/d 15.30 Wiba"
    monday_to_thursday, friday = hours.windows
    assert monday_to_thursday.days == ("mon", "tue", "wed", "thu")
    assert (monday_to_thursday.open, monday_to_thursday.close) == (time(8), time(15, 30))
    assert monday_to_thursday.breaks == ((time(11, 30), time(13)),)
    assert friday.days == ("fri",)
    assert (friday.open, friday.breaks) == (time(8, 30), ((time(11), time(13)),))
    assert service.staffing is not None
    assert (service.staffing.text, service.staffing.count) == ("8 (delapan) orang", 8)
    assert len(service.facilities) == 11
    assert service.facilities[-1] == "ATK"
    assert len(service.competences) == 5
    assert service.internal_supervision == (
        "Pengawasan secara berjenjang oleh Kepala Bidang dan Kepala Badan",
        "Supervisi dari atasan langsung",
    )
    assert service.service_guarantee is not None
    assert service.service_guarantee.startswith("Pelayanan diberikan secara cepat, tepat, lengkap")
    assert len(service.security_guarantees) == 2
    assert service.evaluation == (
        "Dilakukan rapat staf per triwulan",
        "Survey Kepuasan Masyarakat 2 (dua) kali setahun",
    )


@pytest.mark.parametrize("code", ["E-LAPKIN", "PORTAL-INFO", "ABSENSI-FINGER"])
def test_what_a_seed_does_not_give_stays_empty(code: str) -> None:
    service = load_catalogue().get(code)
    assert service is not None
    assert service.legal_basis == ()
    assert service.service_hours is None
    assert service.staffing is None
    assert service.facilities == service.competences == service.internal_supervision == ()
    assert service.service_guarantee is None
    assert service.security_guarantees == service.evaluation == ()


@pytest.mark.parametrize(
    ("code", "kinds", "officers", "room"),
    [
        ("E-LAPKIN", SINGKAWANG_CHANNELS, ("Sekretaris Badan",), "Ruang Kerja Sekretaris"),
        ("IP-ASN", SINGKAWANG_CHANNELS, ("Sekretaris Badan",), "Ruang Kerja Sekretaris"),
        ("ABSENSI-FINGER", SINGKAWANG_CHANNELS, ("Sekretaris Badan",), "Ruang Kerja Sekretaris"),
        ("PORTAL-INFO", (ChannelKind.SUGGESTION_BOX, ChannelKind.SMS), (), None),
    ],
)
def test_complaint_channels_officer_and_room(
    code: str, kinds: tuple[ChannelKind, ...], officers: tuple[str, ...], room: str | None
) -> None:
    service = load_catalogue().get(code)
    assert service is not None
    assert service.complaints is not None
    assert tuple(c.kind for c in service.complaints.channels) == kinds
    assert service.complaints.officers == officers
    assert service.complaints.room == room


def test_complaint_channel_text_is_kept_as_published() -> None:
    service = load_catalogue().get("E-LAPKIN")
    assert service is not None
    assert service.complaints is not None
    texts = {c.kind: c.text for c in service.complaints.channels}
    assert texts[ChannelKind.PHONE_FAX] == "Telepon/Faximile : 0562) – 639567 / (0562) – 639567"
    assert texts[ChannelKind.SP4N_LAPOR] == "Aplikasi SPAN LAPOR"
    portal = load_catalogue().get("PORTAL-INFO")
    assert portal is not None
    assert portal.complaints is not None
    assert portal.complaints.channels[1].text == "SMS Ke Nomor HP. 081347164830"


# ---- validation at load ----


def _elapkin() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CATALOGUE_DIR / "e-lapkin.json").read_text(encoding="utf-8"))
    return data


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (_set("requirements.1.id", "surat-pengantar"), "requirement ids repeated: surat-pengantar"),
        (_set("requirements.0.file_kinds", []), "lists no file kinds"),
        (_set("requirements.0.kind", "physical"), "cannot take files"),
        (_set("requirements.2.file_kinds", ["xlsx", "pdf"]), "accepts only xlsx and csv"),
        (_set("requirements.0.file_kinds", ["pdf", "pdf"]), "repeats a file kind"),
        (_set("requirements.0.file_kinds", ["docx"]), "requirements.0.file_kinds.0"),
        (
            lambda d: d["requirements"][1].update(recap=True, file_kinds=["xlsx"]),
            "more than one recap requirement",
        ),
        (_set("requirements.0.id", "Surat Pengantar"), "requirements.0.id"),
        (_set("completion_time.working_days", 2), "does not say 2 days"),
        (_set("completion_time.text", "Segera"), "is not a number of days"),
        (_set("version", 0), "version"),
        (_set("code", "e-lapkin"), "code"),
        (_set("procedure", []), "procedure"),
        (_set("name", "   "), "name"),
        (_set("surprise", "x"), "surprise"),
        (lambda d: d.pop("fee"), "fee"),
        (_set("staffing", {"text": "8 (delapan) orang", "count": 7}), "does not say 7"),
        (
            _set(
                "service_hours",
                {
                    "text": ["Senin"],
                    "timezone": "Asia/Jakarta",
                    "windows": [
                        {"days": ["mon"], "open": "08:00", "close": "15:30", "breaks": [["15:00", "16:00"]]}
                    ],
                },
            ),
            "is not inside",
        ),
        (
            _set(
                "service_hours",
                {
                    "text": ["Senin"],
                    "timezone": "Asia/Jakarta",
                    "windows": [
                        {"days": ["mon"], "open": "08:00", "close": "15:30", "breaks": []},
                        {"days": ["mon"], "open": "08:30", "close": "15:30", "breaks": []},
                    ],
                },
            ),
            "more than one service-hours window",
        ),
        (_set("complaints.channels.0.kind", "pigeon"), "complaints.channels.0.kind"),
    ],
)
def test_a_broken_standard_stops_the_load_naming_file_and_problem(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], complaint: str
) -> None:
    data = _elapkin()
    change(data)
    _write(tmp_path, "e-lapkin.json", data)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(tmp_path)
    assert str(info.value).startswith("e-lapkin.json: ")
    assert complaint in str(info.value)


def test_two_files_with_the_same_code_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "e-lapkin.json", _elapkin())
    _write(tmp_path, "e-lapkin-v2.json", _elapkin() | {"version": 2})
    with pytest.raises(CatalogueError, match="service code E-LAPKIN appears twice"):
        load_catalogue(tmp_path)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "e-lapkin.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"^e-lapkin\.json: "):
        load_catalogue(tmp_path)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no service standard files"):
        load_catalogue(tmp_path)


def test_an_agency_folder_replaces_the_packaged_catalogue(tmp_path: Path) -> None:
    _write(tmp_path, "e-lapkin.json", _elapkin() | {"version": 3, "fee": "Gratis"})
    catalogue = load_catalogue(tmp_path)
    assert catalogue.codes == ("E-LAPKIN",)
    service = catalogue.get("E-LAPKIN")
    assert service is not None
    assert (service.version, service.fee) == (3, "Gratis")
