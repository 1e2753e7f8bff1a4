"""The console's use cases over its own store: accounts, sign-in with lockout, sessions, and the
list of submissions each applicant unit sent through it."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bkpsdm.common.auth import Role
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import get_logger
from bkpsdm.common.uow import UnitOfWork
from bkpsdm.console.domain import errors
from bkpsdm.console.domain.sso import SsoIdentity
from bkpsdm.console.domain.users import (
    LockoutPolicy,
    User,
    after_failure,
    after_success,
    check_new_user,
    is_locked,
    normalise_username,
)

log = get_logger(__name__)


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...


@dataclass(frozen=True)
class SubmissionEntry:
    submission_id: str
    unit: str
    receipt_number: str | None
    service_code: str
    title: str
    submitted_at: datetime
    replaces: str | None = None


class UserRepository(Protocol):
    async def get(self, username: str, *, for_update: bool = False) -> User | None: ...
    async def by_id(self, user_id: str) -> User | None: ...
    async def add(self, user: User) -> bool: ...
    async def replace(self, user: User) -> None: ...
    async def save_sign_in_state(self, user: User) -> None: ...
    async def all(self) -> list[User]: ...
    async def save_sso(self, user: User) -> User: ...


class SessionRepository(Protocol):
    async def add(
        self, token_sha256: bytes, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None: ...
    async def user_id(self, token_sha256: bytes, now: datetime) -> str | None: ...
    async def delete(self, token_sha256: bytes) -> None: ...
    async def delete_expired(self, now: datetime) -> int: ...


@dataclass(frozen=True)
class SsoFlow:
    """One browser's sign-in at the provider, from the redirect there until the way back."""

    browser_sha256: bytes  # of the flow cookie: the answer must come back to the same browser
    state: str
    nonce: str
    code_verifier: str
    next_path: str
    redirect_uri: str
    expires_at: datetime


class SsoFlowRepository(Protocol):
    async def add(self, flow: SsoFlow) -> None: ...
    async def take(self, browser_sha256: bytes) -> SsoFlow | None: ...
    async def delete_expired(self, now: datetime) -> int: ...


class SubmissionIndex(Protocol):
    async def add(self, entry: SubmissionEntry) -> None: ...
    async def of_unit(self, unit: str, limit: int) -> list[SubmissionEntry]: ...


class ConsoleUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def submissions(self) -> SubmissionIndex: ...

    @property
    def sso_flows(self) -> SsoFlowRepository: ...


async def save_user(
    uow: ConsoleUnitOfWork,
    hasher: PasswordHasher,
    *,
    username: str,
    name: str,
    password: str,
    roles: Sequence[Role],
    unit: str | None,
    overwrite: bool = False,
) -> User:
    """A new account; with `overwrite` an existing one gets these roles, unit and password and
    is unlocked (how `seed-demo` resets the demo accounts)."""
    role_set = frozenset(roles)
    check_new_user(username, password, role_set, unit)
    user = User(
        user_id=str(uuid.uuid4()),
        username=normalise_username(username),
        name=name.strip() or normalise_username(username),
        roles=role_set,
        unit=(unit or "").strip().upper() or None,
        password_hash=await asyncio.to_thread(hasher.hash, password),
    )
    async with uow:
        existing = await uow.users.get(user.username, for_update=True)
        if existing is None:
            await uow.users.add(user)
        elif not overwrite:
            raise DomainError(errors.USER_EXISTS)
        else:
            user = replace(user, user_id=existing.user_id)
            await uow.users.replace(user)
    log.info("user.saved", user_id=user.user_id, roles=sorted(r.value for r in user.roles))
    return user


async def sign_in(
    uow: ConsoleUnitOfWork,
    hasher: PasswordHasher,
    username: str,
    password: str,
    *,
    now: datetime,
    policy: LockoutPolicy,
) -> User:
    """The account behind a correct password. A locked account is refused before its password
    is looked at; an unknown name costs the same hashing time as a known one."""
    async with uow:
        user = await uow.users.get(normalise_username(username), for_update=True)
        # An account of the provider has no console password, whatever is typed.
        if user is None or user.disabled or user.sso_subject is not None:
            await asyncio.to_thread(lambda: hasher.verify(_DUMMY_HASH.get(hasher), password))
            log.info("sign_in.refused", reason="unknown_user")
            raise DomainError(errors.SIGN_IN_FAILED)
        if is_locked(user, now):
            log.info("sign_in.refused", reason="locked", user_id=user.user_id)
            raise DomainError(errors.ACCOUNT_LOCKED)
        # Hashing takes tens of milliseconds by design: off the event loop.
        if not await asyncio.to_thread(hasher.verify, user.password_hash, password):
            user = after_failure(user, now, policy)
            await uow.users.save_sign_in_state(user)
            log.info(
                "sign_in.refused", reason="password", user_id=user.user_id, attempts=user.failed_attempts
            )
            failed = DomainError(errors.ACCOUNT_LOCKED if is_locked(user, now) else errors.SIGN_IN_FAILED)
        else:
            failed = None
            user = after_success(user)
            if hasher.needs_rehash(user.password_hash):
                user = replace(user, password_hash=await asyncio.to_thread(hasher.hash, password))
            await uow.users.save_sign_in_state(user)
    # Raised after the unit of work committed: the failed attempt must count.
    if failed is not None:
        raise failed
    log.info("sign_in.accepted", user_id=user.user_id)
    return user


class _DummyHashes:
    """One hash per hasher of a password nobody has, to spend the verify time on unknown names."""

    def __init__(self) -> None:
        self._by_hasher: dict[int, str] = {}

    def get(self, hasher: PasswordHasher) -> str:
        key = id(hasher)
        if key not in self._by_hasher:
            self._by_hasher[key] = hasher.hash(secrets.token_urlsafe(16))
        return self._by_hasher[key]


_DUMMY_HASH = _DummyHashes()


async def begin_sso(
    uow: ConsoleUnitOfWork, *, next_path: str, redirect_uri: str, now: datetime, ttl: timedelta
) -> tuple[str, SsoFlow]:
    """A new flow (fresh state, nonce and PKCE verifier) and the browser's cookie value for it."""
    browser_token = secrets.token_urlsafe(32)
    flow = SsoFlow(
        browser_sha256=token_digest(browser_token),
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),  # 86 characters: within RFC 7636's 43-128
        next_path=next_path,
        redirect_uri=redirect_uri,
        expires_at=now + ttl,
    )
    async with uow:
        await uow.sso_flows.delete_expired(now)
        await uow.sso_flows.add(flow)
    return browser_token, flow


async def take_sso_flow(uow: ConsoleUnitOfWork, browser_token: str, state: str, *, now: datetime) -> SsoFlow:
    """The browser's flow, used up whatever happens next: a replayed answer finds nothing."""
    async with uow:
        flow = await uow.sso_flows.take(token_digest(browser_token))
    if flow is None or flow.expires_at <= now:
        raise DomainError(errors.SSO_FLOW_EXPIRED)
    if not secrets.compare_digest(flow.state, state):
        log.warning("sso.state_mismatch")
        raise DomainError(errors.SSO_STATE_MISMATCH)
    return flow


async def sso_account(uow: ConsoleUnitOfWork, identity: SsoIdentity) -> User:
    """The console account of the person the provider signed in, created on the first sign-in;
    name, roles and unit follow the provider's claims each time."""
    async with uow:
        user = await uow.users.save_sso(
            User(
                user_id=str(uuid.uuid4()),
                username=identity.username,
                name=identity.name,
                roles=identity.roles,
                unit=identity.unit,
                password_hash="!sso",  # no password signs it in (and no argon2 hash looks like this)
                sso_issuer=identity.issuer,
                sso_subject=identity.subject,
            )
        )
    if user.disabled:
        raise DomainError(errors.SSO_NO_ROLE)
    log.info("sso.accepted", user_id=user.user_id, roles=sorted(r.value for r in user.roles))
    return user


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def open_session(uow: ConsoleUnitOfWork, user: User, *, now: datetime, ttl: timedelta) -> str:
    """A new session token (the cookie's value); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    async with uow:
        await uow.sessions.delete_expired(now)
        await uow.sessions.add(token_digest(token), user.user_id, now, now + ttl)
    return token


async def session_user(uow: ConsoleUnitOfWork, token: str, *, now: datetime) -> User | None:
    async with uow:
        user_id = await uow.sessions.user_id(token_digest(token), now)
        user = await uow.users.by_id(user_id) if user_id is not None else None
    if user is None or user.disabled:
        return None
    return user


async def close_session(uow: ConsoleUnitOfWork, token: str) -> None:
    async with uow:
        await uow.sessions.delete(token_digest(token))


async def list_users(uow: ConsoleUnitOfWork) -> list[User]:
    async with uow:
        return await uow.users.all()


async def remember_submission(uow: ConsoleUnitOfWork, entry: SubmissionEntry) -> None:
    async with uow:
        await uow.submissions.add(entry)


async def unit_submissions(uow: ConsoleUnitOfWork, unit: str, limit: int = 100) -> list[SubmissionEntry]:
    async with uow:
        return await uow.submissions.of_unit(unit, limit)
