"""`python -m bkpsdm.complaints`: serve complaints's handlers and HTTP API."""

from bkpsdm.common.runtime import run_service
from bkpsdm.complaints.bootstrap import bootstrap


def main() -> None:
    run_service(*bootstrap())


if __name__ == "__main__":
    main()
