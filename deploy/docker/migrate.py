"""Apply one service's migrations and exit: the Kubernetes init container's step.

    python /app/migrate.py            (APP_MODULE names the service, as in the image)

The service is wired by its own bootstrap from its own settings (DATABASE_URL, its schema,
its migrations folder), so exactly what the service would apply at start is applied here,
the same way (`bkpsdm.common.db.migrate_service`): under the PostgreSQL advisory lock of the
schema, so replicas starting together wait for each other and apply each file once; an
applied file that changed stops them all.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys

from bkpsdm.common.db import MigrationError, migrate_service


async def migrate(module: str) -> list[str]:
    runtime, _ = importlib.import_module(f"{module}.bootstrap").bootstrap()
    await runtime.db.connect()
    try:
        applied: list[str] = await migrate_service(
            runtime.db.pool, runtime.schema, runtime.service, runtime.migrations
        )
        return applied
    finally:
        await runtime.db.close()


def main() -> int:
    module = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("APP_MODULE", "")
    if not module:
        print("usage: migrate.py MODULE (or APP_MODULE=bkpsdm.<service>)", file=sys.stderr)
        return 2
    try:
        applied = asyncio.run(migrate(module))
    except MigrationError as exc:
        print(f"migration error: {exc}", file=sys.stderr)
        return 1
    print(f"{module}: {len(applied)} migration(s) applied: {', '.join(applied) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
