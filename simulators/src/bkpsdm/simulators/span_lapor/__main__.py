"""python -m bkpsdm.simulators.span_lapor --port 8091 [--client ID:SECRET:AGENCY ...] [--token-ttl-s 300]"""

from __future__ import annotations

import argparse

import uvicorn

from bkpsdm.simulators.span_lapor.app import SimConfig, create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bkpsdm.simulators.span_lapor", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument(
        "--client", action="append", help="ID:SECRET:AGENCY (repeatable; default the local one)"
    )
    parser.add_argument("--token-ttl-s", type=float, default=300.0)
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> SimConfig:
    config = SimConfig(token_ttl_s=args.token_ttl_s)
    for spec in args.client or []:
        client_id, secret, agency = spec.split(":", 2)
        config.clients[client_id] = secret
        config.agencies[client_id] = agency
    return config


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    uvicorn.run(create_app(build_config(args)), host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
