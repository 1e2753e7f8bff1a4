"""The local document store: content-addressed, written atomically, the same content once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bkpsdm.intake import samples
from bkpsdm.intake.adapters.document_store import LocalDocumentStore
from bkpsdm.intake.domain.catalogue import load_catalogue
from bkpsdm.intake.entrypoints.catalogue_page import render_standard


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_a_document_is_kept_under_its_sha256_and_read_back(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)
    digest = await store.put(samples.PDF)
    assert digest == hashlib.sha256(samples.PDF).hexdigest()
    assert (tmp_path / digest[:2] / digest[2:4] / digest).read_bytes() == samples.PDF
    assert await store.get(digest) == samples.PDF
    assert await store.put(samples.PDF) == digest
    assert stored_files(tmp_path) == [tmp_path / digest[:2] / digest[2:4] / digest], (
        "stored once, no temporary left"
    )


async def test_an_unknown_or_malformed_hash_is_not_a_path(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)
    assert await store.get("0" * 64) is None
    with pytest.raises(ValueError, match="SHA-256"):
        await store.get("../../etc/passwd")


async def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalDocumentStore(tmp_path)

    def refuse(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        await store.put(samples.PNG)
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize("code", ["E-LAPKIN", "IP-ASN", "ABSENSI-FINGER", "PORTAL-INFO"])
def test_each_standard_reads_as_a_public_page(code: str) -> None:
    standard = load_catalogue().services[code]
    page = render_standard(standard)
    assert page.startswith("<!doctype html>")
    assert standard.requirements[0].text.split("(")[0].strip().replace("&", "&amp;") in page
    assert "<script" not in page
