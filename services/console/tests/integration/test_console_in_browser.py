"""The console in a real browser (headless Chromium through Selenium) against intake, routing and
the attendance gateway running as processes: what an applicant unit, a technician and the
officials do in the console, each signed in as themselves. Screenshots go to .artifacts/console/."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from bkpsdm.common.auth import Role
from bkpsdm.console.domain.demo import DEMO_PASSWORD
from bkpsdm.intake import samples
from bkpsdm.simulators.oidc_provider.users import BUILTIN_PASSWORD as SSO_PASSWORD
from bkpsdm.testing.auth import bearer
from bkpsdm.testing.processes import ServiceProcess

pytestmark = pytest.mark.integration


def _next_page_loaded(driver: webdriver.Chrome) -> bool:
    """The page a form was sent from is gone and its answer has loaded (a new document has no
    mark of the earlier one)."""
    try:
        return bool(
            driver.execute_script(
                "return window.__earlierPage !== true && document.readyState === 'complete'"
            )
        )
    except WebDriverException:
        return False  # between two documents


class Browser:
    """A person at the console: opens pages, fills labelled fields, sends forms, takes screenshots."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, artifacts: Path) -> None:
        self.driver, self.base_url, self.artifacts = driver, base_url, artifacts

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base_url)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str = "main") -> str:
        return str(self.find(css).text)

    def field(self, label: str) -> WebElement:
        """The input a <label> names, as a keyboard or screen-reader user finds it."""
        for element in self.all("label"):
            if element.text.strip() == label:
                return self.driver.find_element(By.ID, element.get_attribute("for"))
        raise AssertionError(f"no field labelled {label!r} on {self.path}")

    def fill(self, label: str, value: str) -> None:
        element = self.field(label)
        element.clear()
        element.send_keys(value)

    def attach(self, label: str, path: Path) -> None:
        self.field(label).send_keys(str(path))

    def press(self, button_text: str, within: str = "main") -> None:
        """Click the submit button with this text and wait for the next page."""
        buttons = [b for b in self.all(f"{within} button[type=submit]") if b.text.strip() == button_text]
        assert buttons, f"no button {button_text!r} on {self.path}"
        self.driver.execute_script("window.__earlierPage = true")
        # chromedriver may report a click whose page was already replaced (a quick answer).
        with contextlib.suppress(WebDriverException):
            buttons[0].click()
        WebDriverWait(self.driver, 20).until(_next_page_loaded)

    def until(self, path: str, text: str, css: str = "main", timeout: float = 45) -> None:
        """Open `path` until it shows `text`: what another service does arrives by events."""
        deadline = time.monotonic() + timeout
        while True:
            self.open(path)
            if text in self.text(css):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} never showed {text!r}:\n{self.text()}")
            time.sleep(0.5)

    def open_case(self, title: str) -> str:
        """From the inbox, the case with this title; its id."""
        self.until("/kotak-masuk", title)
        link = next(a for a in self.all("#kotak-masuk a") if a.text.strip() == title)
        link.click()
        case_id = self.path.removeprefix("/perkara/")
        assert len(case_id) == 36, self.path
        return case_id

    def buttons(self, within: str = "main") -> list[str]:
        return [b.text.strip() for b in self.all(f"{within} button[type=submit]")]

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.driver.delete_all_cookies()
        self.open("/masuk")
        self.fill("Nama pengguna", username)
        self.fill("Kata sandi", password)
        self.press("Masuk")
        assert not self.path.startswith("/masuk"), self.text()

    def sign_out(self) -> None:
        self.press("Keluar", within="header")
        assert self.path.startswith("/masuk")

    def shot(self, name: str, *, width: int = 1280) -> Path:
        """A full-page screenshot kept as a test artifact (the path is printed)."""
        self.driver.set_window_size(width, 900)
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
        self.driver.set_window_size(width, min(max(height, 600), 6000))
        path = self.artifacts / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 900)
        print(f"screenshot: {path}")
        return path


@pytest.fixture(scope="module")
def browser(driver: webdriver.Chrome, stack: dict[str, ServiceProcess], artifacts: Path) -> Browser:
    return Browser(driver, stack["console"].base_url, artifacts)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("berkas")
    bad = samples.elapkin_recap(3, "2026-10").decode().splitlines()
    bad[2] = bad[2].replace(samples.nip(1), "19800101ABC")  # the second data row's NIP is broken
    contents = {
        "surat.pdf": samples.PDF,
        "skp.png": samples.PNG,
        "rekap.csv": samples.elapkin_recap(3, "2026-10"),
        "rekap-salah.csv": ("\n".join(bad) + "\n").encode(),
        "rekap-november.csv": samples.elapkin_recap(3, "2026-11", first=10),
        "rekap-september.csv": samples.elapkin_recap(3, "2026-09", first=20),
    }
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in contents}


def test_an_applicant_is_told_what_is_wrong_keeps_what_was_typed_and_then_submits(
    browser: Browser, files: dict[str, Path]
) -> None:
    browser.open("/katalog")
    assert "Pelayanan Pelaporan Kinerja PNS" in browser.text()
    browser.shot("katalog-publik")
    browser.open("/dasbor")
    assert "Indeks Kepuasan Masyarakat" in browser.text()
    # routing's and complaints' public statistics, read for real (no case yet: zeros, no "-" made up)
    assert "Pelayanan Pelaporan Kinerja PNS" in browser.text("#volume-layanan")
    assert "Data belum tersedia" not in browser.text()
    browser.shot("dasbor-publik")

    browser.sign_in("disdik")
    assert browser.path == "/pengajuan"
    browser.open("/pengajuan/baru/E-LAPKIN")
    assert "Surat Pengantar dari Perangkat Daerah" in browser.text(".checklist")
    browser.fill("Perihal pengajuan", "Rekap SKP Oktober 2026")
    browser.fill("Periode laporan (TTTT atau TTTT-BB)", "2026-10")
    browser.attach("Surat Pengantar dari Perangkat Daerah", files["surat.pdf"])
    browser.attach("Rekap Nilai Laporan Kinerja Pegawai", files["rekap-salah.csv"])
    browser.press("Kirim pengajuan")

    # Intake refused: its message on top, "required" beside the missing SKP, typing kept.
    assert "Persyaratan pengajuan belum lengkap" in browser.text("#galat-form")
    assert browser.text("#galat-skp") == "Wajib diisi."
    assert browser.field("Perihal pengajuan").get_attribute("value") == "Rekap SKP Oktober 2026"
    assert (
        browser.field("Sasaran Kerja Pegawai (SKP, Penilaian SKP, Penilaian Prestasi)").get_attribute(
            "aria-invalid"
        )
        == "true"
    )
    browser.shot("pengajuan-ditolak")

    browser.attach("Surat Pengantar dari Perangkat Daerah", files["surat.pdf"])
    browser.attach("Sasaran Kerja Pegawai (SKP, Penilaian SKP, Penilaian Prestasi)", files["skp.png"])
    browser.attach("Rekap Nilai Laporan Kinerja Pegawai", files["rekap-salah.csv"])
    browser.press("Kirim pengajuan")
    # Every row error of the recap beside the recap field, with its row and column.
    recap_errors = browser.text("#galat-rekap-nilai-laporan-kinerja")
    assert "Baris 3" in recap_errors
    assert "NIP" in recap_errors

    browser.attach("Surat Pengantar dari Perangkat Daerah", files["surat.pdf"])
    browser.attach("Sasaran Kerja Pegawai (SKP, Penilaian SKP, Penilaian Prestasi)", files["skp.png"])
    browser.attach("Rekap Nilai Laporan Kinerja Pegawai", files["rekap.csv"])
    browser.press("Kirim pengajuan")
    assert "Pengajuan diterima. Nomor tanda terima: E-LAPKIN/" in browser.text()
    assert "surat.pdf" in browser.text()
    assert "Rekap: 3 baris" in browser.text()
    browser.shot("pengajuan-diterima")

    browser.open("/pengajuan")
    assert "Rekap SKP Oktober 2026" in browser.text()
    browser.shot("pengajuan-daftar-ponsel", width=390)


def test_a_forged_post_is_refused_and_changes_nothing(browser: Browser, files: dict[str, Path]) -> None:
    browser.sign_in("dinkes")
    browser.open("/pengajuan/baru/ABSENSI-FINGER")
    browser.fill("Perihal pengajuan", "Mesin absensi lobi mati")
    browser.fill("Identitas mesin absensi (nomor seri, merek atau lokasi)", "X100C lobi")
    browser.fill("Uraian kerusakan atau kebutuhan instalasi", "Layar tidak menyala")
    browser.fill("Nama dan nomor telepon yang dapat dihubungi", "Sari, 0812")
    # The form's CSRF token replaced, as a page on another site would have to guess it.
    browser.driver.execute_script("document.querySelector('main input[name=csrf_token]').value = 'palsu'")
    browser.press("Kirim pengajuan")
    assert "CSRF_INVALID" in browser.text()
    assert "Formulir ini tidak sah atau sudah kedaluwarsa" in browser.text()
    browser.open("/pengajuan")
    assert "Belum ada pengajuan dari unit ini." in browser.text()


def test_a_technician_sees_the_terminal_board_and_an_applicant_does_not(
    browser: Browser, stack: dict[str, ServiceProcess]
) -> None:
    gateway = stack["attendance-gateway"].base_url
    registered = httpx.post(
        f"{gateway}/api/v1/terminals",
        json={
            "name": "Lobi Kantor BKPSDM",
            "address": "127.0.0.1",
            "port": 9,
            "unit": "BKPSDM",
            "poll_interval_s": 30,
        },
        headers=bearer(Role.PETUGAS_TEKNIS),
        timeout=10,
    )
    assert registered.status_code == 201, registered.text

    browser.sign_in("disdik")
    assert "Mesin Absensi" not in browser.text("header")
    browser.open("/mesin-absensi")
    assert "Halaman ini bukan untuk peran Anda." in browser.text()

    browser.sign_in("teknisi")
    browser.open("/mesin-absensi")
    assert "Lobi Kantor BKPSDM" in browser.text()
    browser.shot("mesin-absensi")
    browser.sign_out()


def test_an_official_signs_in_through_the_agencys_sso_and_lands_on_the_inbox(browser: Browser) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/masuk")
    browser.find("#masuk-sso").click()
    WebDriverWait(browser.driver, 20).until(lambda d: d.title == "Masuk SSO")  # the provider's page
    browser.fill("Nama pengguna", "kabid")
    browser.fill("Kata sandi", SSO_PASSWORD)
    browser.shot("sso-penyedia")
    browser.press("Masuk")
    assert browser.path == "/kotak-masuk", browser.text()
    assert browser.find("h1").text.strip() == "Kotak Masuk"
    assert "Kabid PKA-PKK (SSO)" in browser.text("header")
    assert "Kepala Bidang · BIDANG-PKA-PKK" in browser.text("header")
    browser.shot("sso-kotak-masuk")
    browser.sign_out()


def submit_elapkin(browser: Browser, title: str, period: str, files: dict[str, Path], recap: str) -> str:
    browser.open("/pengajuan/baru/E-LAPKIN")
    browser.fill("Perihal pengajuan", title)
    browser.fill("Periode laporan (TTTT atau TTTT-BB)", period)
    browser.attach("Surat Pengantar dari Perangkat Daerah", files["surat.pdf"])
    browser.attach("Sasaran Kerja Pegawai (SKP, Penilaian SKP, Penilaian Prestasi)", files["skp.png"])
    browser.attach("Rekap Nilai Laporan Kinerja Pegawai", files[recap])
    browser.press("Kirim pengajuan")
    assert "Pengajuan diterima" in browser.text()
    return browser.path.removeprefix("/pengajuan/").split("?")[0]


def act(browser: Browser, case_id: str, button: str, expect_step: str) -> None:
    browser.open(f"/perkara/{case_id}")
    browser.press(button)
    assert "Tindakan tercatat" in browser.text(), browser.text()
    assert browser.text("#tahap") == expect_step


def test_an_elapkin_case_goes_from_submission_to_report_with_each_role_in_turn(
    browser: Browser, files: dict[str, Path]
) -> None:
    title = "Rekap SKP November 2026"
    browser.sign_in("disdik")
    submission_id = submit_elapkin(browser, title, "2026-11", files, "rekap-november.csv")
    browser.until(f"/pengajuan/{submission_id}", "Lihat alur berkas")

    browser.sign_in("admin.desk")
    case_id = browser.open_case(title)
    browser.open("/kotak-masuk")
    assert "waktu layanan" in browser.text("#kotak-masuk")  # time left, in service hours
    browser.shot("kotak-masuk-petugas-administrasi")
    act(browser, case_id, "Agendakan (beri nomor agenda)", "Dipilah Petugas Administrasi")
    agenda = browser.text("#nomor-agenda")
    assert agenda.endswith("/BKPSDM/XI/2026"), agenda
    act(
        browser,
        case_id,
        "Teruskan ke Kasubbag Umum, Kepegawaian dan Aset",
        "Diterima Kasubbag Umum, Kepegawaian dan Aset",
    )

    # Not the holder of the step: the case is visible, no action is offered, and a post made by
    # hand with a valid form token is still refused by routing.
    browser.sign_in("sekretaris")
    browser.open(f"/perkara/{case_id}")
    assert browser.buttons() == []
    assert "Tidak ada tindakan untuk Anda pada tahap ini" in browser.text("#tanpa-tindakan")
    browser.shot("perkara-peran-lain")
    browser.driver.execute_script(
        """const form = document.createElement('form');
        form.method = 'post';
        form.action = location.pathname + '/tindakan/forward--PARAF-SEKRETARIS';
        for (const [name, value] of [['csrf_token', document.querySelector('header input[name=csrf_token]').value],
                                     ['idempotency_key', 'paksa-1']]) {
          const input = document.createElement('input');
          input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
        }
        const button = document.createElement('button'); button.type = 'submit'; button.textContent = 'Paksa';
        form.appendChild(button); document.querySelector('main').appendChild(form);"""
    )
    browser.press("Paksa")
    assert "NOT_STEP_HOLDER" in browser.text()
    assert browser.text("#tahap") == "Diterima Kasubbag Umum, Kepegawaian dan Aset"

    browser.sign_in("kasubbag")
    act(browser, case_id, "Teruskan ke Sekretaris", "Menunggu paraf Sekretaris")
    browser.sign_in("sekretaris")
    act(browser, case_id, "Paraf dan teruskan ke Kepala Badan", "Menunggu disposisi Kepala Badan")

    browser.sign_in("kaban")
    browser.open(f"/perkara/{case_id}")
    disposisi = "Disposisi ke Kepala Bidang Penilaian Kinerja Aparatur, Pengembangan Karir dan Kompetensi"
    browser.fill("Catatan (boleh kosong)", "Mohon segera diproses")
    browser.press(disposisi)
    # No instruction chosen: routing refuses; the note typed stays and the reason is beside the field.
    assert "paling sedikit satu" in browser.text("[id$='-instructions']")
    assert browser.field("Catatan (boleh kosong)").get_attribute("value") == "Mohon segera diproses"
    browser.shot("perkara-disposisi-ditolak")
    next(
        x for x in browser.all("input[name=instructions]") if x.get_attribute("value") == "PROSES-LANJUT"
    ).click()
    browser.press(disposisi)
    assert browser.text("#tahap").startswith("Diterima Kepala Bidang")
    assert "Proses lebih lanjut" in browser.text()

    browser.sign_in("kabid")
    act(
        browser,
        case_id,
        "Teruskan ke Unit Pengolah (Analis Kepegawaian)",
        "Pemeriksaan dokumen oleh Unit Pengolah (Analis Kepegawaian)",
    )

    browser.sign_in("analis")
    browser.open(f"/perkara/{case_id}")
    browser.shot("perkara-pemeriksaan")
    browser.press("Dokumen sesuai: proses dan unggah ke BKN melalui aplikasi E-LAPKIN")
    # The uploader answers through Kafka; routing moves the case to the report step.
    browser.until(
        f"/perkara/{case_id}", "Unit Pengolah membuat laporan hasil upload data E-LAPKIN", css="#tahap"
    )
    assert "Laporan Data E-LAPKIN" in browser.text("#laporan-unggah")
    xlsx = browser.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const link = [...document.querySelectorAll('#laporan-unggah a')].find(a => a.href.endsWith('.xlsx'));
        fetch(link.href).then(r => done([r.status, r.headers.get('content-type')]));"""
    )
    assert xlsx[0] == 200
    assert "spreadsheetml" in xlsx[1]
    browser.shot("perkara-laporan-unggah")
    browser.fill("Laporan hasil", "3 data E-LAPKIN DISDIK November 2026 masuk berkas impor BKN.")
    browser.press("Sampaikan laporan kepada Kepala Bidang")
    assert browser.text("#tahap") == "Laporan hasil upload data E-LAPKIN di Kepala Bidang"

    browser.sign_in("kabid")
    act(
        browser,
        case_id,
        "Teruskan laporan kepada Kepala BKPSDM",
        "Laporan hasil upload data E-LAPKIN disampaikan kepada Kepala BKPSDM",
    )
    browser.sign_in("kaban")
    act(browser, case_id, "Terima laporan: layanan selesai", "Selesai: Laporan Data E-LAPKIN")
    history = browser.text("#riwayat")
    for done in (
        "Diagendakan",
        "Diparaf",
        "Didisposisi",
        "Unggahan selesai",
        "Laporan disampaikan",
        "Diselesaikan",
    ):
        assert done in history
    browser.shot("perkara-selesai")

    browser.sign_in("disdik")
    browser.until(f"/pengajuan/{submission_id}", "SELESAI")
    browser.shot("pengajuan-selesai")


def case_of(routing: str, submission_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = httpx.get(
            f"{routing}/api/v1/cases/by-submission/{submission_id}",
            headers=bearer(Role.PETUGAS_ADMINISTRASI),
            timeout=10,
        )
        if found.status_code == 200:
            return str(found.json()["case_id"])
        time.sleep(0.5)
    raise AssertionError(f"routing opened no case for {submission_id}")


def test_a_returned_submission_shows_its_reasons_to_the_applicant_and_is_resubmitted(
    browser: Browser, files: dict[str, Path], stack: dict[str, ServiceProcess]
) -> None:
    title = "Rekap SKP September 2026"
    browser.sign_in("disdik")
    submission_id = submit_elapkin(browser, title, "2026-09", files, "rekap-september.csv")
    routing = stack["routing"].base_url
    case_id = case_of(routing, submission_id)
    # The steps before the check through routing's API, as those officials would take them
    # (the test above takes them in the browser).
    bidang = "BIDANG-PKA-PKK"
    for role, unit, action, body in (
        (Role.PETUGAS_ADMINISTRASI, None, "register", {}),
        (Role.PETUGAS_ADMINISTRASI, None, "forward", {}),
        (Role.KASUBBAG_UMUM, None, "forward", {}),
        (Role.SEKRETARIS, None, "paraf", {}),
        (
            Role.KEPALA_BADAN,
            None,
            "disposisi",
            {"instructions": ["TELITI-LAPORKAN"], "recipients": [{"role": "kepala-bidang"}]},
        ),
        (Role.KEPALA_BIDANG, bidang, "forward", {}),
    ):
        moved = httpx.post(
            f"{routing}/api/v1/cases/{case_id}/{action}",
            json=body,
            headers=bearer(role, unit=unit),
            timeout=10,
        )
        assert moved.status_code == 200, moved.text

    browser.sign_in("analis")
    browser.open(f"/perkara/{case_id}")
    reasons = ["NIP baris 2 bukan pegawai DISDIK", "Surat pengantar belum ditandatangani"]
    browser.fill("Alasan pengembalian (satu alasan per baris)", "\n".join(reasons))
    browser.press("Dokumen tidak sesuai: kembalikan kepada pemohon")
    assert browser.text("#tahap") == "Dikembalikan kepada Perangkat Daerah untuk diperbaiki"

    browser.sign_in("disdik")
    browser.until(f"/pengajuan/{submission_id}", "Pengajuan dikembalikan")
    assert browser.text("#alasan-pengembalian").splitlines() == reasons
    browser.shot("pengajuan-dikembalikan")
    browser.find("a[href*='ganti=']").click()
    assert browser.field("Perihal pengajuan").get_attribute("value") == title
    assert reasons[0] in browser.text(".alert.info")
    browser.attach("Surat Pengantar dari Perangkat Daerah", files["surat.pdf"])
    browser.attach("Sasaran Kerja Pegawai (SKP, Penilaian SKP, Penilaian Prestasi)", files["skp.png"])
    browser.attach("Rekap Nilai Laporan Kinerja Pegawai", files["rekap-september.csv"])
    browser.press("Kirim pengajuan ulang")
    assert "Pengajuan diterima" in browser.text()
    assert "mengganti" in browser.text()

    browser.sign_in("analis")
    browser.until(f"/perkara/{case_id}", "Perbaikan dari pemohon diterima", css="#riwayat")
    assert browser.text("#tahap") == "Pemeriksaan dokumen oleh Unit Pengolah (Analis Kepegawaian)"
    browser.shot("perkara-diajukan-ulang")


def test_the_complaints_desk_records_a_letter_and_the_sekretaris_disposes_it(browser: Browser) -> None:
    browser.sign_in("pengaduan")
    assert browser.path == "/pengaduan"
    browser.find("#channel option[value=SURAT]").click()
    browser.fill("Isi pengaduan", "Antrian loket layanan kepegawaian terlalu lama pada hari Senin.")
    browser.fill("Nama", "Budi Santoso")
    browser.press("Catat pengaduan")
    # A letter needs its number: complaints refuses, the typing stays, the reason is by the field.
    assert "REFERENCE_REQUIRED" in browser.text()
    assert "wajib diisi" in browser.text("#galat-reference")
    assert str(browser.field("Isi pengaduan").get_attribute("value")).startswith("Antrian loket")
    browser.fill("Nomor surat, slip kotak saran atau catatan telepon", "Surat 045/XI/2026")
    browser.press("Catat pengaduan")
    assert "Pengaduan tercatat. Kode tiket pelapor: PGD-" in browser.text()
    complaint_path = browser.path.split("?")[0]
    browser.press("Verifikasi")
    assert browser.text("#status-pengaduan").startswith("Terverifikasi")
    assert browser.buttons() == []  # disposing it is the Sekretaris's
    browser.open("/pengaduan")
    browser.shot("pengaduan-daftar")

    browser.sign_in("sekretaris")
    browser.open(complaint_path)
    assert "Budi Santoso" not in browser.text()  # the reporter is the complaints officer's to see
    browser.fill("Unit tujuan", "BIDANG-PKA-PKK")
    browser.press("Disposisi ke unit")
    assert browser.text("#status-pengaduan").startswith("Didisposisi")
    browser.shot("pengaduan-didisposisi")
