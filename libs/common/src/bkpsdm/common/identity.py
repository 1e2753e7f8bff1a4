"""A service's identity, declared once in its own package and found by everyone else.

Each service declares `IDENTITY = ServiceIdentity("intake", port=8001)` and names it in its
pyproject under the `bkpsdm.services` entry-point group. Its settings prefix, schema, event
source and module follow from the name. The local runner, the demo and the tests discover
the services through those entry points (`python -m bkpsdm.common.identity` prints them),
so adding a service touches its own folder and the workspace's dependency list only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic_settings import SettingsConfigDict

ENTRY_POINT_GROUP = "bkpsdm.services"


@dataclass(frozen=True)
class ServiceIdentity:
    name: str  # "lapkin-uploader": lowercase words joined by hyphens
    port: int  # the default HTTP port (local runner, demo)

    @property
    def module(self) -> str:
        return f"bkpsdm.{self.name.replace('-', '_')}"

    @property
    def env_prefix(self) -> str:
        return f"BKPSDM_{self.name.upper().replace('-', '_')}_"

    @property
    def schema(self) -> str:
        return self.name.replace("-", "_")

    @property
    def source(self) -> str:
        """CloudEvents `source` of the events the service publishes."""
        return f"/bkpsdm/{self.name}"

    def settings_config(self) -> SettingsConfigDict:
        return SettingsConfigDict(env_prefix=self.env_prefix, extra="ignore", validate_default=True)


def discover() -> list[ServiceIdentity]:
    """Every installed service, ordered by port (the order they start in)."""
    # The class as services import it (this file may be running as __main__).
    from bkpsdm.common.identity import ServiceIdentity as Declared

    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        identity = entry.load()
        if not isinstance(identity, Declared):
            raise TypeError(f"entry point {entry.name} is not a ServiceIdentity")
        found.append(identity)
    return sorted(found, key=lambda i: i.port)


def main() -> None:
    """`name module port` per line, for the shell runner."""
    for identity in discover():
        print(identity.name, identity.module, identity.port)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
