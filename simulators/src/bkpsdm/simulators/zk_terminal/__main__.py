"""python -m bkpsdm.simulators.zk_terminal: N terminals on consecutive ports, optional control endpoint."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import TypeAdapter

from bkpsdm.simulators.zk_terminal.control import create_control_app
from bkpsdm.simulators.zk_terminal.records import RecordLayout, UserLayout
from bkpsdm.simulators.zk_terminal.server import Fleet
from bkpsdm.simulators.zk_terminal.terminal import Terminal, TerminalConfig

log = logging.getLogger("bkpsdm.simulators.zk_terminal")


def parse_fault(text: str) -> tuple[str, str, Any]:
    """'4371:silent=true' or '*:reply_delay_s=2' -> (port or '*', name, value)."""
    try:
        target, assignment = text.split(":", 1)
        name, raw = assignment.split("=", 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected PORT:NAME=VALUE, got {text!r}") from None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # bare words such as fin, rst, silent
    return target, name, value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bkpsdm.simulators.zk_terminal", description=__doc__)
    p.add_argument("--count", type=int, default=1, help="number of terminals")
    p.add_argument("--base-port", type=int, default=4370, help="terminal i listens on base+i, TCP and UDP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--config", type=Path, help="JSON list of terminal configs (overrides the flags below)")
    p.add_argument("--seed", type=int, default=0, help="terminal i uses seed+i")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--days", type=int, default=10, help="working days of generated punches")
    p.add_argument("--user-layout", type=int, choices=[int(v) for v in UserLayout], default=72)
    p.add_argument("--record-layout", type=int, choices=[int(v) for v in RecordLayout], default=40)
    p.add_argument("--comm-key", type=int, default=0)
    p.add_argument("--time-zone", default="Asia/Jakarta")
    p.add_argument("--fault", type=parse_fault, action="append", default=[], metavar="PORT:NAME=VALUE")
    p.add_argument("--control-port", type=int, default=0, help="JSON control endpoint (0: none)")
    p.add_argument("--live-every", type=float, default=0.0, help="record a punch on each terminal every N s")
    return p


def build_configs(args: argparse.Namespace) -> list[TerminalConfig]:
    if args.config is not None:
        adapter = TypeAdapter(list[TerminalConfig])
        return adapter.validate_json(args.config.read_bytes())
    zk6 = args.user_layout == UserLayout.ZK6
    return [
        TerminalConfig(
            serial=f"ZKSIM{i + 1:04d}",
            mac=f"00:17:61:11:45:{i % 256:02x}",
            seed=args.seed + i,
            users=args.users,
            days=args.days,
            user_layout=UserLayout(args.user_layout),
            record_layout=RecordLayout(args.record_layout),
            event_size=12 if zk6 else 52,
            comm_key=args.comm_key,
            time_zone=args.time_zone,
        )
        for i in range(args.count)
    ]


async def _live_punches(fleet: Fleet, every: float, seed: int) -> None:
    rng = random.Random(seed)
    while True:
        await asyncio.sleep(every)
        for server in fleet.servers:
            t = server.terminal
            if t.users:
                t.record_punch(rng.choice(t.users).user_id, punch=0 if t.now().hour < 12 else 1)


async def serve(args: argparse.Namespace) -> None:
    fleet = Fleet([Terminal(c) for c in build_configs(args)], args.host, args.base_port)
    await fleet.start()
    for target, name, value in args.fault:
        for server in fleet.servers:
            if target == "*" or target == str(server.port):
                await server.set_faults(**{name: value})
    for s in fleet.servers:
        log.info("terminal.listening port=%s serial=%s faults=%s", s.port, s.terminal.config.serial,
                 s.terminal.faults.model_dump(exclude_defaults=True))  # fmt: skip
    live = asyncio.create_task(_live_punches(fleet, args.live_every, args.seed)) if args.live_every else None
    try:
        if args.control_port:
            config = uvicorn.Config(
                create_control_app(fleet), host=args.host, port=args.control_port, log_level="warning"
            )
            await uvicorn.Server(config).serve()
        else:
            await asyncio.Event().wait()
    finally:
        if live is not None:
            live.cancel()
        await fleet.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
