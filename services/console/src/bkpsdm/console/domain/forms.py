"""Forms the console shows: what a submission form asks for (from intake's published OpenAPI and
catalogue, so a new standard or field needs no console change), and a service's refusal turned
into messages beside the fields they concern. Pure: the documents are handed in."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

# The parts of intake's submission body that are not the applicant's own typing.
_NOT_TYPED = frozenset({"service_code", "replaces"})
_ACCEPT = {"pdf": ".pdf,application/pdf", "image": "image/png,image/jpeg", "xlsx": ".xlsx", "csv": ".csv"}
_KIND_LABEL = {"pdf": "PDF", "image": "gambar PNG/JPEG", "xlsx": "Excel (.xlsx)", "csv": "CSV"}
_MULTILINE_FROM = 500  # characters: a field this long is a description, typed over lines
_ROW_MESSAGES_SHOWN = 50
# What a service's request validation says of a field (pydantic's problem types), as the form says it.
_PROBLEMS = {
    "control_characters": "Berisi karakter yang tidak diizinkan.",
    "missing": "Wajib diisi.",
    "string_too_short": "Wajib diisi.",
    "too_short": "Pilih atau isi paling sedikit satu.",
    "string_too_long": "Isian terlalu panjang.",
    "too_long": "Terlalu banyak isian.",
    "string_pattern_mismatch": "Isian tidak sesuai format (atau hanya berisi spasi).",
    "enum": "Pilihan tidak dikenal.",
    "datetime_from_date_parsing": "Tanggal dan jam tidak sah.",
    "datetime_parsing": "Tanggal dan jam tidak sah.",
    "timezone_aware": "Tanggal dan jam tidak sah.",
}


@dataclass(frozen=True)
class TextField:
    name: str
    label: str
    max_length: int | None
    pattern: str | None = None

    @property
    def multiline(self) -> bool:
        return self.max_length is not None and self.max_length >= _MULTILINE_FROM


@dataclass(frozen=True)
class FileField:
    name: str
    label: str
    kinds: tuple[str, ...]
    recap: bool

    @property
    def accept(self) -> str:
        return ",".join(_ACCEPT.get(k, "") for k in self.kinds if k in _ACCEPT)

    @property
    def kinds_text(self) -> str:
        return ", ".join(_KIND_LABEL.get(k, k) for k in self.kinds)


@dataclass(frozen=True)
class SubmissionFormSpec:
    service_code: str
    service_name: str
    text_fields: tuple[TextField, ...]
    file_fields: tuple[FileField, ...]
    brought_in_person: tuple[str, ...]  # requirements handed over at the office, not uploaded

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset([f.name for f in self.text_fields] + [f.name for f in self.file_fields])


def submission_form(openapi: Mapping[str, Any], standard: Mapping[str, Any]) -> SubmissionFormSpec | None:
    """The form for `standard` (intake's catalogue entry) as intake's OpenAPI declares its body;
    None when intake does not take submissions for it."""
    code = standard["code"]
    variant = next((v for v in _submission_variants(openapi) if v.get("title") == code), None)
    if variant is None:
        return None
    properties: Mapping[str, Any] = variant.get("properties", {})
    required = set(variant.get("required", ()))
    texts = tuple(
        TextField(name, str(p.get("description") or name), p.get("maxLength"), p.get("pattern"))
        for name, p in properties.items()
        if name not in _NOT_TYPED and p.get("format") != "binary" and name in required
    )
    files = tuple(
        FileField(r["id"], r["text"], tuple(r.get("file_kinds", ())), bool(r.get("recap")))
        for r in standard.get("requirements", ())
        if r.get("kind") == "document" and r["id"] in properties
    )
    physical = tuple(r["text"] for r in standard.get("requirements", ()) if r.get("kind") == "physical")
    return SubmissionFormSpec(code, standard["name"], texts, files, physical)


def _submission_variants(openapi: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    try:
        body = openapi["paths"]["/api/v1/submissions"]["post"]["requestBody"]
        schema = body["content"]["multipart/form-data"]["schema"]
    except KeyError:
        return []
    variants = schema.get("oneOf", [schema])
    return [v for v in variants if isinstance(v, Mapping)]


@dataclass(frozen=True)
class Refusal:
    """A service said no: its status, stable code, Indonesian message and details."""

    status: int
    code: str
    message: str
    details: Any = None


@dataclass
class FormErrors:
    """What to show: the refusal's message on top, and messages beside the fields they concern."""

    message: str | None = None
    code: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        self.fields.setdefault(name, []).append(text)

    def __bool__(self) -> bool:
        return self.message is not None or bool(self.fields)


def form_errors(refusal: Refusal, field_names: Collection[str]) -> FormErrors:
    """Each detail naming a field of the form (`field` or `requirement`) goes beside that field;
    the message stays on top either way, so nothing the service said is lost."""
    result = FormErrors(message=refusal.message, code=refusal.code)
    details = refusal.details if isinstance(refusal.details, list) else []
    for detail in details:
        if not isinstance(detail, Mapping):
            continue
        name = detail.get("field") or detail.get("requirement")
        if isinstance(name, str):
            name = name.split(".")[0]  # "reasons.0": the first reason is the reasons field
            if name in field_names:
                result.add(name, _detail_text(refusal, detail))
    for name, texts in result.fields.items():
        if len(texts) > _ROW_MESSAGES_SHOWN:
            hidden = len(texts) - _ROW_MESSAGES_SHOWN
            result.fields[name] = [*texts[:_ROW_MESSAGES_SHOWN], f"... dan {hidden} kesalahan lain."]
    return result


def _detail_text(refusal: Refusal, detail: Mapping[str, Any]) -> str:
    if refusal.code == "REQUIREMENTS_MISSING":
        return "Wajib diisi."
    if isinstance(detail.get("message"), str):
        where = []
        if detail.get("row") is not None:
            where.append(f"baris {detail['row']}")
        if detail.get("column"):
            where.append(f"kolom {detail['column']}")
        prefix = ", ".join(where)
        prefix = prefix[:1].upper() + prefix[1:]
        return f"{prefix}: {detail['message']}" if prefix else str(detail["message"])
    if isinstance(detail.get("max_length"), int):
        return f"Paling banyak {detail['max_length']} karakter."
    if isinstance(detail.get("max_bytes"), int):
        return f"Ukuran berkas paling besar {detail['max_bytes'] // 1024} KiB."
    if isinstance(detail.get("allowed"), list):
        kinds = ", ".join(_KIND_LABEL.get(str(k), str(k)) for k in detail["allowed"])
        return f"Jenis berkas yang diterima: {kinds}."
    problem = detail.get("problem")
    if isinstance(problem, str) and problem in _PROBLEMS:
        return _PROBLEMS[problem]
    return refusal.message
