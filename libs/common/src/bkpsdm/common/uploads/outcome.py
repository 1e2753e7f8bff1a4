"""What an upload came to, from its rows' counts: the outcome and its reasons in Indonesian."""

from __future__ import annotations

from collections.abc import Sequence

from bkpsdm.common.uploads.model import Outcome, RowState


def outcome_of(counts: dict[RowState, int]) -> Outcome:
    done = counts[RowState.STORED] + counts[RowState.EXPORTED]
    total = sum(counts.values())
    if total and done == total:
        return Outcome.COMPLETED
    return Outcome.FAILED if done == 0 else Outcome.PARTIALLY_COMPLETED


def reasons_of(
    counts: dict[RowState, int],
    by_reason: Sequence[tuple[str, str, str, int]],
    adapter: str,
    notes: Sequence[str] = (),
    limit: int = 3,
) -> list[str]:
    """One line per kind of trouble, the most frequent reasons named (all are in the report)."""
    lines: list[str] = []
    total = sum(counts.values())
    if total == 0:
        lines.append("Rekap tidak berisi baris data.")
    if counts[RowState.EXPORTED]:
        lines.append(
            f"{counts[RowState.EXPORTED]} baris dimasukkan ke berkas impor (adapter {adapter}); "
            "operator mengunggahnya secara manual ke aplikasi BKN."
        )
    for state, label in (
        (RowState.REJECTED, "ditolak sebagai data tidak valid; perbaiki datanya, mengulang tidak membantu"),
        (RowState.FAILED, "gagal dikirim karena gangguan layanan BKN; ajukan unggah ulang"),
    ):
        if not counts[state]:
            continue
        top = [f"{code} {message} ({n} baris)" for s, code, message, n in by_reason if s == state.value][
            :limit
        ]
        detail = f": {'; '.join(top)}" if top else ""
        lines.append(f"{counts[state]} dari {total} baris {label}{detail}.")
    return [*lines, *notes]
