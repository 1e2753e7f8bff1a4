"""`python -m bkpsdm.lapkin_uploader`: serve lapkin-uploader's handlers and HTTP API."""

from bkpsdm.common.runtime import run_service
from bkpsdm.lapkin_uploader.bootstrap import bootstrap


def main() -> None:
    run_service(*bootstrap())


if __name__ == "__main__":
    main()
