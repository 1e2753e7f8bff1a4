"""`python -m bkpsdm.attendance_gateway`: serve attendance-gateway's handlers and HTTP API."""

from bkpsdm.attendance_gateway.bootstrap import bootstrap
from bkpsdm.common.runtime import run_service


def main() -> None:
    run_service(*bootstrap())


if __name__ == "__main__":
    main()
