"""A complaint (pengaduan, aspirasi, permintaan informasi, whistle-blowing): what it says, who
sent it, through which channel, and the lifecycle an official moves it through.

Decisions (DOMAIN.md, SP4N-LAPOR!):
- The lifecycle is a table of actions: each names the statuses it may start from, the status
  it leads to, the roles that may take it, and whether it needs a note or a unit. Nothing
  else moves a complaint.
- The reporter's identity is seen by the complaints officer (pengelola-pengaduan) only; every
  other reader, the public and every event get the complaint without it (`reporter_visible`).
- The ticket code is the reporter's key to follow and answer a complaint: random (60 bits),
  never on a topic, never in a log.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bkpsdm.common.auth.roles import Role
from bkpsdm.complaints.domain import errors

TITLE_MAX = 200
CONTENT_MAX = 5000
NOTE_MAX = 5000
NAME_MAX = 120
REFERENCE_MAX = 120
UNIT_PATTERN = r"^[A-Z0-9][A-Z0-9.-]{1,39}$"
SEKRETARIAT = "SEKRETARIAT"  # the Sekretaris Badan may keep a complaint and follow it up himself


class Channel(StrEnum):
    WEBSITE = "WEBSITE"
    EMAIL = "EMAIL"
    SMS = "SMS"
    TATAP_MUKA = "TATAP_MUKA"
    KOTAK_SARAN = "KOTAK_SARAN"
    SURAT = "SURAT"
    TELEPON = "TELEPON"
    FAKSIMILE = "FAKSIMILE"
    SP4N_LAPOR = "SP4N_LAPOR"

    @property
    def label(self) -> str:
        return _CHANNEL_LABELS[self]


# The seeds' list: "Datang Langsung/Tatap Muka, Kotak Saran, Surat, E-mail, Website,
# Telepon/Faximile, SMS, Aplikasi SPAN LAPOR".
_CHANNEL_LABELS = {
    Channel.WEBSITE: "Website",
    Channel.EMAIL: "E-mail",
    Channel.SMS: "SMS",
    Channel.TATAP_MUKA: "Datang langsung/tatap muka",
    Channel.KOTAK_SARAN: "Kotak saran",
    Channel.SURAT: "Surat",
    Channel.TELEPON: "Telepon",
    Channel.FAKSIMILE: "Faksimile",
    Channel.SP4N_LAPOR: "Aplikasi SP4N-LAPOR!",
}
# Recorded by the officer; the paper ones carry the paper's own reference (letter number, slip).
OFFICER_CHANNELS = frozenset(
    {Channel.TATAP_MUKA, Channel.KOTAK_SARAN, Channel.SURAT, Channel.TELEPON, Channel.FAKSIMILE}
)
PAPER_CHANNELS = frozenset({Channel.KOTAK_SARAN, Channel.SURAT, Channel.FAKSIMILE})


class Classification(StrEnum):
    ASPIRASI = "ASPIRASI"
    PENGADUAN = "PENGADUAN"
    PERMINTAAN_INFORMASI = "PERMINTAAN_INFORMASI"
    WHISTLE_BLOWING = "WHISTLE_BLOWING"


class Status(StrEnum):
    DITERIMA = "DITERIMA"
    TERVERIFIKASI = "TERVERIFIKASI"
    DITUNDA = "DITUNDA"
    BUKAN_WEWENANG = "BUKAN_WEWENANG"
    DIARSIPKAN = "DIARSIPKAN"
    DIDISPOSISI = "DIDISPOSISI"
    DITINDAKLANJUTI = "DITINDAKLANJUTI"
    DIJAWAB = "DIJAWAB"
    SELESAI = "SELESAI"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def final(self) -> bool:
        return self in FINAL


_STATUS_LABELS = {
    Status.DITERIMA: "Diterima, menunggu verifikasi",
    Status.TERVERIFIKASI: "Terverifikasi, menunggu disposisi Sekretaris Badan",
    Status.DITUNDA: "Ditunda",
    Status.BUKAN_WEWENANG: "Bukan wewenang BKPSDM",
    Status.DIARSIPKAN: "Diarsipkan",
    Status.DIDISPOSISI: "Didisposisikan kepada unit kerja",
    Status.DITINDAKLANJUTI: "Sedang ditindaklanjuti",
    Status.DIJAWAB: "Dijawab, menunggu tanggapan pelapor",
    Status.SELESAI: "Selesai",
}
FINAL = frozenset({Status.BUKAN_WEWENANG, Status.DIARSIPKAN, Status.SELESAI})


class Action(StrEnum):
    RECEIVE = "RECEIVE"
    VERIFY = "VERIFY"
    POSTPONE = "POSTPONE"
    NOT_AUTHORITY = "NOT_AUTHORITY"
    ARCHIVE = "ARCHIVE"
    ASSIGN = "ASSIGN"
    FOLLOW_UP = "FOLLOW_UP"
    ANSWER = "ANSWER"
    CLOSE = "CLOSE"
    AUTO_CLOSE = "AUTO_CLOSE"
    REPLY = "REPLY"
    SLA_WARNING = "SLA_WARNING"  # the clock's own history rows (they move nothing)
    SLA_BREACH = "SLA_BREACH"


# Officials' actions (RECEIVE, AUTO_CLOSE and REPLY come from channels, the clock and the reporter).
OFFICIAL_ACTIONS = (
    Action.VERIFY,
    Action.POSTPONE,
    Action.NOT_AUTHORITY,
    Action.ARCHIVE,
    Action.ASSIGN,
    Action.FOLLOW_UP,
    Action.ANSWER,
    Action.CLOSE,
)
UNIT_OFFICIALS = frozenset({Role.KEPALA_BIDANG, Role.UNIT_PENGOLAH})


@dataclass(frozen=True)
class Step:
    starts: frozenset[Status]
    leads_to: Status
    roles: frozenset[Role]
    note_required: bool = False
    public_note: bool = False  # the note is part of what the reporter reads (an answer, a reason)
    unit_required: bool = False  # the unit it is disposed to
    label: str = ""  # what an official's button says


_OFFICER = frozenset({Role.PENGELOLA_PENGADUAN})
LIFECYCLE: dict[Action, Step] = {
    Action.VERIFY: Step(
        frozenset({Status.DITERIMA, Status.DITUNDA}), Status.TERVERIFIKASI, _OFFICER, label="Verifikasi"
    ),
    Action.POSTPONE: Step(
        frozenset({Status.DITERIMA}), Status.DITUNDA, _OFFICER, note_required=True, label="Tunda"
    ),
    Action.NOT_AUTHORITY: Step(
        frozenset({Status.DITERIMA, Status.DITUNDA}),
        Status.BUKAN_WEWENANG,
        _OFFICER,
        note_required=True,
        public_note=True,
        label="Bukan wewenang BKPSDM",
    ),
    Action.ARCHIVE: Step(
        frozenset({Status.DITERIMA, Status.DITUNDA}),
        Status.DIARSIPKAN,
        _OFFICER,
        note_required=True,
        label="Arsipkan",
    ),
    # A disposition may be redirected to another unit while no follow-up is posted yet.
    Action.ASSIGN: Step(
        frozenset({Status.TERVERIFIKASI, Status.DIDISPOSISI}),
        Status.DIDISPOSISI,
        frozenset({Role.SEKRETARIS}),
        unit_required=True,
        label="Disposisi ke unit kerja",
    ),
    Action.FOLLOW_UP: Step(
        frozenset({Status.DIDISPOSISI, Status.DITINDAKLANJUTI}),
        Status.DITINDAKLANJUTI,
        UNIT_OFFICIALS | {Role.SEKRETARIS},
        note_required=True,
        label="Catat tindak lanjut",
    ),
    Action.ANSWER: Step(
        frozenset({Status.DITINDAKLANJUTI}),
        Status.DIJAWAB,
        _OFFICER,
        note_required=True,
        public_note=True,
        label="Jawab pelapor",
    ),
    Action.CLOSE: Step(frozenset({Status.DIJAWAB}), Status.SELESAI, _OFFICER, label="Selesaikan"),
    Action.AUTO_CLOSE: Step(frozenset({Status.DIJAWAB}), Status.SELESAI, frozenset()),
    # A reply to an answer reopens it; a reply earlier is recorded and changes nothing.
    Action.REPLY: Step(frozenset({Status.DIJAWAB}), Status.DITINDAKLANJUTI, frozenset(), public_note=True),
}


@dataclass(frozen=True)
class Reporter:
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    ticket_code: str
    channel: Channel
    classification: Classification
    title: str
    content: str
    status: Status
    received_at: datetime
    verify_due_at: datetime
    anonim: bool = False
    rahasia: bool = False
    reporter: Reporter | None = None
    receipt_number: str | None = None
    reference: str | None = None  # the paper's own number (letter, suggestion slip, fax)
    external_id: str | None = None  # the channel's id: e-mail Message-ID, SMS parts, LAPOR id
    lapor_id: str | None = None
    assigned_unit: str | None = None
    follow_up_due_at: datetime | None = None
    answered_at: datetime | None = None
    auto_close_at: datetime | None = None
    closed_at: datetime | None = None
    paused_verify_s: float | None = None  # service time the verify clock had left when postponed
    sla_breaches: tuple[str, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True)
class AttachmentRef:
    attachment_id: str
    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: Action
    status: Status
    actor_role: str | None = None  # None: the clock or the reporter
    note: str | None = None
    unit: str | None = None
    public: bool = True  # the note is for the reporter too (an answer, a reason, their reply)


# ---- text and contact checks (every channel goes through them) ----

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_PHONE = re.compile(r"^\+?(62|0)[0-9]{6,13}$")


def clean_text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str | None:
    """Trimmed text; refused when empty (if required), too long or holding control characters.
    Script or HTML is text like any other: stored as typed and escaped where it is shown."""
    text = (value or "").strip()
    if not text:
        if required:
            raise errors.refuse(errors.TEXT_EMPTY, field=field)
        return None
    if len(text) > max_length:
        raise errors.refuse(errors.TEXT_TOO_LONG, field=field, max_length=max_length)
    if _CONTROL.search(text):
        raise errors.refuse(errors.TEXT_INVALID, field=field)
    return text


def normalise_phone(value: str) -> str:
    """+62 / 62 / 0 prefixes as the gateway and people write them; refused when not a phone number."""
    compact = _PHONE_SEPARATORS.sub("", value)
    if not _PHONE.match(compact):
        raise errors.refuse(errors.CONTACT_INVALID, field="telepon")
    if compact.startswith("+62"):
        return "0" + compact[3:]
    return "0" + compact[2:] if compact.startswith("62") else compact


def check_reporter(name: str | None, email: str | None, phone: str | None) -> Reporter | None:
    """The reporter as given (all optional: a suggestion box slip may carry no name)."""
    clean_name = clean_text(name, "nama pelapor", NAME_MAX, required=False)
    clean_email = (email or "").strip() or None
    if clean_email is not None and (len(clean_email) > 254 or not _EMAIL.match(clean_email)):
        raise errors.refuse(errors.CONTACT_INVALID, field="e-mail")
    clean_phone = normalise_phone(phone) if phone and phone.strip() else None
    reporter = Reporter(clean_name, clean_email.lower() if clean_email else None, clean_phone)
    return None if reporter.empty else reporter


def check_reference(channel: Channel, reference: str | None) -> str | None:
    if channel not in OFFICER_CHANNELS:
        raise errors.refuse(errors.CHANNEL_NOT_FOR_OFFICER)
    clean = clean_text(reference, "rujukan", REFERENCE_MAX, required=False)
    if clean is None and channel in PAPER_CHANNELS:
        raise errors.refuse(errors.REFERENCE_REQUIRED, channel=channel.label)
    return clean


def title_from(text: str) -> str:
    """A title for channels that have none (SMS, an e-mail without subject): the first line, cut."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


# ---- ticket codes ----

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread on paper or SMS
TICKET_PATTERN = r"^PGD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$"
_TICKET_IN_TEXT = re.compile(r"\bPGD-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", re.IGNORECASE)


def new_ticket_code() -> str:
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(12))
    return f"PGD-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def ticket_in(text: str | None) -> str | None:
    """A ticket code quoted in a subject or an SMS ("PGD-.... saya tambahkan ..."), upper-cased."""
    found = _TICKET_IN_TEXT.search(text or "")
    return found.group(0).upper() if found else None


# ---- the lifecycle ----


def step_for(action: Action, complaint: Complaint) -> Step:
    step = LIFECYCLE[action]
    if complaint.status not in step.starts:
        raise errors.refuse(errors.ACTION_NOT_ALLOWED, action=action.value, status=complaint.status.value)
    return step


def may_take(action: Action, roles: Iterable[Role], unit: str | None, complaint: Complaint) -> bool:
    """A unit official acts only on what is disposed to their own unit; the Sekretaris follows
    up only what he kept for the secretariat."""
    held = set(roles) & LIFECYCLE[action].roles
    if action is not Action.FOLLOW_UP:
        return bool(held)
    if held & UNIT_OFFICIALS and unit is not None and unit == complaint.assigned_unit:
        return True
    return Role.SEKRETARIS in held and complaint.assigned_unit == SEKRETARIAT


def allowed_actions(roles: Iterable[Role], unit: str | None, complaint: Complaint) -> list[Action]:
    """The officials' actions this reader may take on the complaint now: the ones its status
    allows (`step_for`) that their roles and unit may take (`may_take`), as `act` decides."""
    held = frozenset(roles)
    return [
        a
        for a in OFFICIAL_ACTIONS
        if complaint.status in LIFECYCLE[a].starts and may_take(a, held, unit, complaint)
    ]


def reporter_visible(roles: Iterable[Role]) -> bool:
    """Only the complaints officer sees who reported (anonim or not); everyone else never does."""
    return Role.PENGELOLA_PENGADUAN in set(roles)


def can_read(roles: Iterable[Role], unit: str | None, complaint: Complaint) -> bool:
    """Officer and Sekretaris read every complaint; a unit official only those disposed to the unit."""
    held = set(roles)
    if held & {Role.PENGELOLA_PENGADUAN, Role.SEKRETARIS}:
        return True
    return bool(held & UNIT_OFFICIALS) and unit is not None and unit == complaint.assigned_unit


def public_history(entries: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    """What the reporter (and the public) read: every move, without the clock's rows, internal
    notes or the unit a complaint is disposed to."""
    return [
        replace(e, note=e.note if e.public else None, unit=None, actor_role=None)
        for e in entries
        if e.action not in (Action.SLA_WARNING, Action.SLA_BREACH)
    ]
