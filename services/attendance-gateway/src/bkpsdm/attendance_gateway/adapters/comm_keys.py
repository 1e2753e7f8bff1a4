"""Terminal comm keys sealed at rest with Fernet (cryptography: AES-128-CBC and HMAC-SHA256).

The secret is a file (`COMM_KEY_SECRET_FILE`) the database never sees, one Fernet key per
line: the first seals, any of them opens (MultiFernet). To rotate, put a new key first and
keep the old one below it until a gateway has started once: rows sealed with an older key are
sealed again with the first at start, like plaintext rows left from before sealing existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CommKeySecretInvalid(ValueError):
    """The secret file is missing, empty or holds something that is not a Fernet key."""


class CommKeyUnreadable(RuntimeError):
    """A sealed comm key none of the configured keys opens (wrong or missing secret)."""


class CommKeySealer:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise CommKeySecretInvalid("no key")
        try:
            self._keys = [Fernet(key) for key in keys]
        except ValueError as exc:  # not 32 url-safe base64-encoded bytes
            raise CommKeySecretInvalid(str(exc)) from None
        self._any = MultiFernet(self._keys)

    @classmethod
    def from_file(cls, path: Path) -> CommKeySealer:
        try:
            lines = path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommKeySecretInvalid(f"{path}: {exc}") from None
        try:
            return cls([line.encode() for line in lines])
        except CommKeySecretInvalid as exc:
            raise CommKeySecretInvalid(f"{path}: {exc}") from None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, comm_key: int) -> str:
        return self._keys[0].encrypt(str(comm_key).encode()).decode()

    def open(self, sealed: str) -> int:
        try:
            return int(self._any.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            raise CommKeyUnreadable("a sealed comm key cannot be opened with the configured keys") from None

    def sealed_with_current_key(self, sealed: str) -> bool:
        try:
            self._keys[0].decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True
