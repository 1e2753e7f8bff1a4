"""Local keys and tokens for the demo and tests.

python -m bkpsdm.common.auth keygen --dir DIR
python -m bkpsdm.common.auth issue --key DIR/private.pem --sub ID --name NAME --role ROLE [--unit UNIT]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bkpsdm.common.auth.keys import write_key_pair
from bkpsdm.common.auth.roles import Role
from bkpsdm.common.auth.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, issue_token


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bkpsdm.common.auth")
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="write an EC P-256 key pair and its JWKS")
    keygen.add_argument("--dir", type=Path, required=True)
    keygen.add_argument("--force", action="store_true", help="overwrite an existing private.pem")

    issue = commands.add_parser("issue", help="print a signed token")
    issue.add_argument("--key", type=Path, required=True, help="private key PEM")
    issue.add_argument("--sub", required=True)
    issue.add_argument("--name", required=True)
    issue.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    issue.add_argument("--unit")
    issue.add_argument("--ttl-minutes", type=float, default=60.0)
    issue.add_argument("--issuer", default=DEFAULT_ISSUER)
    issue.add_argument("--audience", default=DEFAULT_AUDIENCE)
    issue.add_argument("--kid", help="key id (default: the key's thumbprint, as in jwks.json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "keygen":
        try:
            files = write_key_pair(args.dir, overwrite=args.force)
        except FileExistsError:
            parser.error(f"{args.dir / 'private.pem'} exists; pass --force to replace it")
        summary = {
            "kid": files.key_id,
            "private_key": str(files.private_key),
            "public_key": str(files.public_key),
            "jwks": str(files.jwks),
        }
        print(json.dumps(summary))
        return 0
    try:
        token = issue_token(
            args.key.read_bytes(),
            subject=args.sub,
            name=args.name,
            roles=[Role(r) for r in args.role],
            unit=args.unit,
            ttl=timedelta(minutes=args.ttl_minutes),
            issuer=args.issuer,
            audience=args.audience,
            key_id=args.kid,
        )
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
