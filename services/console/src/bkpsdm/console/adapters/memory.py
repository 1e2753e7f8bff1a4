"""In-memory adapters for the console's use cases: unit tests run the real use cases on them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from bkpsdm.common.memory import InMemoryUnitOfWork
from bkpsdm.console.domain.users import User
from bkpsdm.console.service import SsoFlow, SubmissionEntry


@dataclass
class InMemoryUserRepository:
    users: dict[str, User] = field(default_factory=dict)  # by username

    async def get(self, username: str, *, for_update: bool = False) -> User | None:
        return self.users.get(username)

    async def by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users.values() if u.user_id == user_id), None)

    async def add(self, user: User) -> bool:
        if user.username in self.users:
            return False
        self.users[user.username] = user
        return True

    async def replace(self, user: User) -> None:
        self.users[user.username] = replace(user, failed_attempts=0, locked_until=None, disabled=False)

    async def save_sign_in_state(self, user: User) -> None:
        self.users[user.username] = user

    async def all(self) -> list[User]:
        return sorted(self.users.values(), key=lambda u: u.username)

    async def save_sso(self, user: User) -> User:
        existing = next(
            (
                u
                for u in self.users.values()
                if (u.sso_issuer, u.sso_subject) == (user.sso_issuer, user.sso_subject)
            ),
            None,
        )
        if existing is not None:
            user = replace(existing, name=user.name, roles=user.roles, unit=user.unit)
        self.users[user.username] = user
        return user


@dataclass
class InMemorySsoFlowRepository:
    flows: dict[bytes, SsoFlow] = field(default_factory=dict)

    async def add(self, flow: SsoFlow) -> None:
        self.flows[flow.browser_sha256] = flow

    async def take(self, browser_sha256: bytes) -> SsoFlow | None:
        return self.flows.pop(browser_sha256, None)

    async def delete_expired(self, now: datetime) -> int:
        expired = [k for k, f in self.flows.items() if f.expires_at <= now]
        for k in expired:
            del self.flows[k]
        return len(expired)


@dataclass
class InMemorySessionRepository:
    sessions: dict[bytes, tuple[str, datetime]] = field(default_factory=dict)

    async def add(
        self, token_sha256: bytes, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None:
        self.sessions[token_sha256] = (user_id, expires_at)

    async def user_id(self, token_sha256: bytes, now: datetime) -> str | None:
        found = self.sessions.get(token_sha256)
        return found[0] if found is not None and found[1] > now else None

    async def delete(self, token_sha256: bytes) -> None:
        self.sessions.pop(token_sha256, None)

    async def delete_expired(self, now: datetime) -> int:
        expired = [k for k, (_, until) in self.sessions.items() if until <= now]
        for k in expired:
            del self.sessions[k]
        return len(expired)


@dataclass
class InMemorySubmissionIndex:
    entries: dict[str, SubmissionEntry] = field(default_factory=dict)

    async def add(self, entry: SubmissionEntry) -> None:
        self.entries.setdefault(entry.submission_id, entry)

    async def of_unit(self, unit: str, limit: int) -> list[SubmissionEntry]:
        own = [e for e in self.entries.values() if e.unit == unit]
        return sorted(own, key=lambda e: e.submitted_at, reverse=True)[:limit]


class InMemoryConsoleUnitOfWork(InMemoryUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.users = InMemoryUserRepository()
        self.sessions = InMemorySessionRepository()
        self.submissions = InMemorySubmissionIndex()
        self.sso_flows = InMemorySsoFlowRepository()
