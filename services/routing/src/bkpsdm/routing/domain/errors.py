"""Routing's error catalogue: stable codes, their Indonesian messages, the kind of problem."""

from __future__ import annotations

from bkpsdm.common.domain_errors import ErrorCatalogue, ErrorSpec, Problem

CASE_NOT_FOUND = ErrorSpec("CASE_NOT_FOUND", "Berkas untuk pengajuan ini belum tercatat.", Problem.NOT_FOUND)

CATALOGUE = ErrorCatalogue(CASE_NOT_FOUND)
