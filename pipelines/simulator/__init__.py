"""A realistic, fault-injecting, fast stand-in for the Sippet RPC API (see docs/simulator.md).

Never imports dagster: it runs in the sync's tests, in benchmarks and as `sippet-sync simulate`.
"""

from .config import SCALE_PRESETS, FaultConfig, SimulatorConfig
from .core import RESOURCES, Simulator
from .server import SimulatorServer, serve

__all__ = ["RESOURCES", "SCALE_PRESETS", "FaultConfig", "Simulator", "SimulatorConfig",
           "SimulatorServer", "serve"]
