"""`python -m bkpsdm.ipasn_uploader`: serve ipasn-uploader's handlers and HTTP API."""

from bkpsdm.common.runtime import run_service
from bkpsdm.ipasn_uploader.bootstrap import bootstrap


def main() -> None:
    run_service(*bootstrap())


if __name__ == "__main__":
    main()
