"""ZKTeco fingerprint terminals that the unmodified pyzk 0.9 client talks to over real sockets."""

from bkpsdm.simulators.zk_terminal.faults import Faults
from bkpsdm.simulators.zk_terminal.records import Punch, RecordLayout, User, UserLayout
from bkpsdm.simulators.zk_terminal.server import Fleet, FleetThread, TerminalServer
from bkpsdm.simulators.zk_terminal.terminal import Terminal, TerminalConfig

__all__ = [
    "Faults",
    "Fleet",
    "FleetThread",
    "Punch",
    "RecordLayout",
    "Terminal",
    "TerminalConfig",
    "TerminalServer",
    "User",
    "UserLayout",
]
