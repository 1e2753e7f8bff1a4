"""A service standard as a readable HTML page: the public face the agency's website shows."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from bkpsdm.intake.domain.catalogue import RequirementKind, ServiceStandard


def _list(items: Iterable[str], ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    rows = "".join(f"<li>{escape(i)}</li>" for i in items)
    return f"<{tag}>{rows}</{tag}>" if rows else "<p>-</p>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{body}</section>"


def _text(value: str | None) -> str:
    return f"<p>{escape(value)}</p>" if value else "<p>-</p>"


def render_standard(s: ServiceStandard) -> str:
    requirements = [
        r.text + (" (berkas diunggah)" if r.kind is RequirementKind.DOCUMENT else " (dibawa langsung)")
        for r in s.requirements
    ]
    complaints = s.complaints
    parts = [
        _section("Dasar Hukum", _list(s.legal_basis)),
        _section("Persyaratan", _list(requirements, ordered=True)),
        _section("Prosedur", _list(s.procedure, ordered=True)),
        _section("Jangka Waktu Penyelesaian", _text(s.completion_time.text if s.completion_time else None)),
        _section("Waktu Pelayanan", _list(s.service_hours.text if s.service_hours else ())),
        _section("Biaya/Tarif", _text(s.fee)),
        _section("Produk Pelayanan", _list(s.products)),
        _section(
            "Penanganan Pengaduan, Saran dan Masukan",
            _list(c.text for c in complaints.channels) + _list(complaints.officers)
            if complaints
            else "<p>-</p>",
        ),
        _section("Sarana dan Prasarana", _list(s.facilities)),
        _section("Jumlah Pelaksana", _text(s.staffing.text if s.staffing else None)),
        _section("Kompetensi Pelaksana", _list(s.competences)),
        _section("Jaminan Pelayanan", _text(s.service_guarantee)),
        _section("Jaminan Keamanan dan Keselamatan", _list(s.security_guarantees)),
        _section("Evaluasi Kinerja Pelaksana", _list(s.evaluation)),
    ]
    sk = f"<p>{escape(s.sk_number)}</p>" if s.sk_number else ""
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        f"<title>{escape(s.name)} - {escape(s.agency.name)}</title></head><body>"
        f"<header><p>{escape(s.agency.name)}</p><h1>Standar Pelayanan: {escape(s.name)}</h1>{sk}</header>"
        f"<main>{''.join(parts)}</main>"
        f"<footer><p>Versi {s.version}</p></footer></body></html>"
    )
