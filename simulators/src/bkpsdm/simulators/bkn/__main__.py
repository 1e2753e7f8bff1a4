"""python -m bkpsdm.simulators.bkn --port 8090 [--config sim.json] [--fault drop:0.1:after:save] ..."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn

from bkpsdm.simulators.bkn.app import create_app
from bkpsdm.simulators.bkn.config import BknSimConfig


def _fault(spec: str) -> dict[str, Any]:
    # KIND:RATE[:PHASE[:SCOPE]], e.g. timeout:0.2:after:save
    parts = spec.split(":")
    if not 2 <= len(parts) <= 4:
        raise argparse.ArgumentTypeError("expected KIND:RATE[:PHASE[:SCOPE]]")
    rule: dict[str, Any] = {"kind": parts[0], "rate": float(parts[1])}
    if len(parts) > 2:
        rule["phase"] = parts[2]
    if len(parts) > 3:
        rule["scope"] = parts[3]
    return rule


def build_config(args: argparse.Namespace) -> BknSimConfig:
    data: dict[str, Any] = json.loads(Path(args.config).read_text()) if args.config else {}
    faults: dict[str, Any] = data.setdefault("faults", {})
    for name in ("seed", "latency_ms", "latency_jitter_ms", "rate_limit_rps", "rate_limit_burst"):
        if getattr(args, name) is not None:
            faults[name] = getattr(args, name)
    if args.fault:
        faults["rules"] = [*faults.get("rules", []), *args.fault]
    for name in ("gateway_token_ttl_s", "sso_token_ttl_s"):
        if getattr(args, name) is not None:
            data[name] = getattr(args, name)
    return BknSimConfig.model_validate(data)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bkpsdm.simulators.bkn", description="BKN API gateway simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--config", help="JSON file holding a BknSimConfig")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--latency-jitter-ms", type=float)
    parser.add_argument("--rate-limit-rps", type=float)
    parser.add_argument("--rate-limit-burst", type=int)
    parser.add_argument("--fault", type=_fault, action="append", help="KIND:RATE[:PHASE[:SCOPE]], repeatable")
    parser.add_argument("--gateway-token-ttl-s", type=float)
    parser.add_argument("--sso-token-ttl-s", type=float)
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    uvicorn.run(
        create_app(build_config(args)),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=1,  # a sleeping "timeout" fault must not hold the shutdown
    )


if __name__ == "__main__":
    main()
