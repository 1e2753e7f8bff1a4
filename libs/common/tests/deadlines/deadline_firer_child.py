"""A DeadlineFirer loop as a real process, for the kill test (run by path, not collected).

    python deadline_firer_child.py SCHEMA      (DATABASE_URL from the environment)

Its handler records an effect in SCHEMA.effects and takes a couple of milliseconds, so a
SIGKILL lands in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import os
import sys

from bkpsdm.common.db import Connection, create_pool, quote_schema
from bkpsdm.common.deadlines import Deadline, DeadlineFirer
from bkpsdm.common.logs import configure_logging, get_logger

log = get_logger("deadline_firer_child")


async def main(schema: str) -> None:
    pool = await create_pool(os.environ["DATABASE_URL"], 1, 4)

    async def handler(conn: Connection, deadline: Deadline) -> None:
        await conn.execute(
            f"INSERT INTO {quote_schema(schema)}.effects VALUES ($1, $2, $3, NULL)",
            deadline.deadline_id,
            deadline.aggregate_id,
            deadline.kind,
        )
        await asyncio.sleep(0.002)

    firer = DeadlineFirer(pool, schema, handler, batch_size=20)
    await firer.start()
    log.info("firer.ready")
    await asyncio.Event().wait()


if __name__ == "__main__":
    configure_logging("deadline-firer-child", "INFO")
    asyncio.run(main(sys.argv[1]))
