"""The simulator: ``simulate`` and ``sweep`` return a :class:`Run`; ``basins`` and
``stability`` turn many runs into maps (numbers only: drawing lives in :mod:`gdsim.plotting`).

Nothing here imports matplotlib.
"""

from gdsim.sim.engine import check_starts, simulate
from gdsim.sim.maps import (
    BasinMap,
    StabilityMap,
    basin_label,
    basins,
    classify,
    minimum_curvatures,
    stability,
    stability_limit,
)
from gdsim.sim.run import DIVERGED, NOT_CONVERGED, Run
from gdsim.sim.sweep import sweep

__all__ = [
    "simulate",
    "sweep",
    "Run",
    "DIVERGED",
    "NOT_CONVERGED",
    "basins",
    "stability",
    "BasinMap",
    "StabilityMap",
    "classify",
    "basin_label",
    "check_starts",
    "stability_limit",
    "minimum_curvatures",
]
