"""python -m bkpsdm.simulators.oidc_provider --port 8092 [--users builtin|FILE.json]
[--client ID:SECRET ...] [--redirect-uri URL ...] [--issuer URL]"""

from __future__ import annotations

import argparse

import uvicorn

from bkpsdm.simulators.oidc_provider.app import DEFAULT_REDIRECT_URIS, Client, SimConfig, create_app
from bkpsdm.simulators.oidc_provider.users import load_users


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bkpsdm.simulators.oidc_provider", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--issuer", help="default http://HOST:PORT")
    parser.add_argument("--users", default="builtin", help="'builtin' or a JSON file of test users")
    parser.add_argument("--client", action="append", help="ID:SECRET (repeatable; default the local one)")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help="registered for every client (repeatable; default the local console)",
    )
    parser.add_argument("--code-ttl-s", type=float, default=60.0)
    parser.add_argument("--token-ttl-s", type=float, default=300.0)
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> SimConfig:
    config = SimConfig(
        issuer=args.issuer or f"http://{args.host}:{args.port}",
        users=load_users(args.users),
        code_ttl_s=args.code_ttl_s,
        token_ttl_s=args.token_ttl_s,
    )
    redirects = list(args.redirect_uri or DEFAULT_REDIRECT_URIS)
    if args.client:
        config.clients = {}
        for spec in args.client:
            client_id, _, secret = spec.partition(":")
            config.clients[client_id] = Client(secret=secret, redirect_uris=redirects)
    else:
        for client in config.clients.values():
            client.redirect_uris = redirects
    return config


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    uvicorn.run(create_app(build_config(args)), host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
