"""`python -m bkpsdm.console`: serve the console's pages."""

from bkpsdm.common.runtime import run_service
from bkpsdm.console.bootstrap import bootstrap


def main() -> None:
    run_service(*bootstrap())


if __name__ == "__main__":
    main()
