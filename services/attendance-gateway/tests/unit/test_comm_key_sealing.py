"""Comm keys sealed with Fernet: only the configured keys open them; a rotated key still opens
old rows until they are sealed again; a bad secret file is refused with its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkpsdm.attendance_gateway.adapters.comm_keys import (
    CommKeySealer,
    CommKeySecretInvalid,
    CommKeyUnreadable,
)
from bkpsdm.attendance_gateway.domain.terminal import Terminal, Transport

OLD, NEW = CommKeySealer.generate_key(), CommKeySealer.generate_key()


@pytest.mark.parametrize("comm_key", [100_001, 123_456, 999_999])
def test_a_sealed_comm_key_opens_to_itself_and_never_shows_it(comm_key: int) -> None:
    sealer = CommKeySealer([OLD.encode()])
    sealed = sealer.seal(comm_key)
    assert str(comm_key) not in sealed
    assert sealed != sealer.seal(comm_key)  # a fresh IV each time: equal keys do not show
    assert sealer.open(sealed) == comm_key


def test_another_secret_cannot_open_a_sealed_comm_key() -> None:
    sealed = CommKeySealer([OLD.encode()]).seal(4321)
    with pytest.raises(CommKeyUnreadable):
        CommKeySealer([NEW.encode()]).open(sealed)


def test_a_rotated_secret_opens_old_rows_and_says_they_need_sealing_again() -> None:
    old_row = CommKeySealer([OLD.encode()]).seal(4321)
    rotated = CommKeySealer([NEW.encode(), OLD.encode()])
    assert rotated.open(old_row) == 4321
    assert not rotated.sealed_with_current_key(old_row)
    assert rotated.sealed_with_current_key(rotated.seal(4321))


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "No such file"), ("", "no key"), ("bukan-kunci\n", "Fernet key must be")],
)
def test_a_bad_secret_file_is_refused_naming_it(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "comm-key.secret"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommKeySecretInvalid, match=problem) as refused:
        CommKeySealer.from_file(path)
    assert str(path) in str(refused.value)


def test_a_secret_file_holds_one_key_per_line_the_first_sealing(tmp_path: Path) -> None:
    path = tmp_path / "comm-key.secret"
    path.write_text(f"{NEW}\n{OLD}\n")
    sealer = CommKeySealer.from_file(path)
    assert sealer.sealed_with_current_key(sealer.seal(7))
    assert sealer.open(CommKeySealer([OLD.encode()]).seal(7)) == 7


def test_a_terminal_never_shows_its_comm_key_when_printed() -> None:
    terminal = Terminal(
        "t", "Lobi", "10.0.0.1", 4370, Transport.TCP, 987654, "Asia/Jakarta", 60, "BKPSDM", True
    )
    assert "987654" not in repr(terminal)
