"""The console's accounts from the command line (reads the console's settings: DATABASE_URL,
BKPSDM_CONSOLE_DB_SCHEMA):

python -m bkpsdm.console.users add USERNAME --name NAME --role ROLE [--role ROLE] [--unit UNIT]
    (the password from BKPSDM_CONSOLE_NEW_PASSWORD, else asked for)
python -m bkpsdm.console.users seed-demo [--password PASSWORD]
python -m bkpsdm.console.users list
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence

from bkpsdm.common.auth import Role
from bkpsdm.common.db import Database, migrate_service
from bkpsdm.common.domain_errors import DomainError
from bkpsdm.common.logs import configure_logging
from bkpsdm.common.settings import load_settings
from bkpsdm.console import service
from bkpsdm.console.adapters.passwords import Argon2Hasher
from bkpsdm.console.adapters.repository import PostgresConsoleUnitOfWork
from bkpsdm.console.bootstrap import MIGRATIONS
from bkpsdm.console.domain.demo import DEMO_PASSWORD, DEMO_USERS
from bkpsdm.console.domain.users import HUMAN_ROLES, User
from bkpsdm.console.service import PasswordHasher
from bkpsdm.console.settings import IDENTITY, ConsoleSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bkpsdm.console.users")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account (or reset it with --replace)")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in HUMAN_ROLES])
    add.add_argument("--unit", help="the applicant unit (perangkat-daerah accounts)")
    add.add_argument("--replace", action="store_true", help="overwrite an existing account")
    seed = commands.add_parser("seed-demo", help="create or reset one demo account per role")
    seed.add_argument("--password", default=DEMO_PASSWORD)
    commands.add_parser("list", help="list the accounts")
    return parser


async def seed_demo(
    database: Database, password: str = DEMO_PASSWORD, hasher: PasswordHasher | None = None
) -> list[User]:
    """Every demo account, created or reset to `password` (and unlocked)."""
    hasher = hasher or Argon2Hasher()
    return [
        await service.save_user(
            PostgresConsoleUnitOfWork(database, IDENTITY.source),
            hasher,
            username=demo.username,
            name=demo.name,
            password=password,
            roles=[demo.role],
            unit=demo.unit,
            overwrite=True,
        )
        for demo in DEMO_USERS
    ]


async def open_store(settings: ConsoleSettings) -> Database:
    database = Database(settings.database_url, settings.db_schema or IDENTITY.schema, 1, 2)
    await database.connect()
    await migrate_service(database.pool, database.schema, IDENTITY.name, MIGRATIONS)
    return database


def describe(user: User) -> str:
    roles = ", ".join(sorted(r.value for r in user.roles))
    unit = f" unit={user.unit}" if user.unit else ""
    return f"{user.username:<16} {roles}{unit}  ({user.name})"


async def _run(args: argparse.Namespace) -> int:
    database = await open_store(load_settings(ConsoleSettings))
    try:
        if args.command == "seed-demo":
            for user in await seed_demo(database, args.password):
                print(describe(user))
            print(f"password: {args.password}")
        elif args.command == "list":
            for user in await service.list_users(PostgresConsoleUnitOfWork(database, IDENTITY.source)):
                print(describe(user))
        else:
            password = os.environ.get("BKPSDM_CONSOLE_NEW_PASSWORD") or getpass.getpass("password: ")
            user = await service.save_user(
                PostgresConsoleUnitOfWork(database, IDENTITY.source),
                Argon2Hasher(),
                username=args.username,
                name=args.name,
                password=password,
                roles=[Role(r) for r in args.role],
                unit=args.unit,
                overwrite=args.replace,
            )
            print(describe(user))
    except DomainError as refused:
        print(f"{refused.error.code}: {refused.error.message}", file=sys.stderr)
        return 1
    finally:
        await database.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(IDENTITY.name, "WARNING")  # the command's own output is the answer
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
