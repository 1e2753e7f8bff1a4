"""BKN API gateway simulator: SIASN-style tokens, SKP (E-LAPKIN) and IP-ASN saves, faults on demand."""

from bkpsdm.simulators.bkn.app import create_app
from bkpsdm.simulators.bkn.config import BknSimConfig, FaultConfig, FaultRule
from bkpsdm.simulators.bkn.server import serve_in_thread

__all__ = ["BknSimConfig", "FaultConfig", "FaultRule", "create_app", "serve_in_thread"]
