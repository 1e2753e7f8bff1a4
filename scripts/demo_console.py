"""The console's part of `make demo`: seed one demo account per role and print where to sign in.

`run()` creates (or resets and unlocks) the demo accounts in the console's user store, then prints
the console's address, whether it answers, and each account with its roles and unit. It reads the
console's own settings (DATABASE_URL, BKPSDM_CONSOLE_DB_SCHEMA, BKPSDM_CONSOLE_HTTP_*), so it seeds
the store the running console reads. When `make up` runs the OpenID Connect provider simulator,
its built-in users (for "Masuk dengan SSO") are listed too.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from bkpsdm.common.errors import describe
from bkpsdm.common.logs import configure_logging
from bkpsdm.common.settings import ConfigurationError, load_settings
from bkpsdm.console.domain.demo import DEMO_PASSWORD
from bkpsdm.console.domain.users import User
from bkpsdm.console.settings import IDENTITY, ConsoleSettings
from bkpsdm.console.users import open_store, seed_demo
from bkpsdm.simulators.oidc_provider.users import BUILTIN_PASSWORD, load_users

SSO_PROVIDER = "http://127.0.0.1:8092"  # deploy/local/simulators.conf


async def _seed(settings: ConsoleSettings) -> list[User]:
    database = await open_store(settings)
    try:
        return await seed_demo(database, DEMO_PASSWORD)
    finally:
        await database.close()


def run() -> bool:
    configure_logging(IDENTITY.name, "WARNING")  # what is printed below is the demo's output
    try:
        settings = load_settings(ConsoleSettings)
    except ConfigurationError:
        return False  # the one line naming the setting was printed
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    address = f"http://{host}:{settings.http_port or IDENTITY.port}"
    try:
        users = asyncio.run(_seed(settings))
    except Exception as exc:  # unreachable database, refused login or schema: said, not raised
        print(f"  konsol: akun demo tidak dapat dibuat ({type(exc).__name__}: {describe(exc)})")
        return False
    try:
        up = httpx.get(f"{address}/health/ready", timeout=3).status_code == 200
    except httpx.HTTPError:
        up = False
    print("\n== Konsol (staff web console) ==")
    print(f"  {address}/masuk   {'siap' if up else 'belum berjalan (python -m bkpsdm.console)'}")
    print(f"  kata sandi setiap akun demo: {DEMO_PASSWORD}")
    for user in users:
        roles = ", ".join(sorted(r.label for r in user.roles))
        unit = f" · unit {user.unit}" if user.unit else ""
        print(f"  {user.username:<16} {roles}{unit}")
    _print_sso_users()
    print(f"  publik (tanpa masuk): {address}/katalog  {address}/dasbor")
    return True


def _print_sso_users() -> None:
    """The OpenID Connect provider simulator `make up` runs (deploy/local/simulators.conf)."""
    try:
        up = httpx.get(f"{SSO_PROVIDER}/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        up = False
    if not up:
        return
    print(f"  Masuk dengan SSO (penyedia simulasi {SSO_PROVIDER}), kata sandi: {BUILTIN_PASSWORD}")
    for user in load_users("builtin"):
        groups = ", ".join(user.claims.get("groups", []))
        unit = f" · unit {user.claims['unit']}" if user.claims.get("unit") else ""
        print(f"  {user.username:<16} grup {groups}{unit}")


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
