"""gdsim: see how learning rate, schedule, optimizer and starting point decide where gradient
descent ends up. Pure NumPy, exact (PyTorch's numbers), fast (millions of runs), and visual.

    surface = gdsim.surfaces.get("himmelblau")
    run = gdsim.simulate(surface, gdsim.Adam(lr=0.1), starts, steps=200)
    gdsim.animate(surface, run)

The packages follow the data flow: ``surfaces``, ``optimizers``, ``schedules`` and ``datasets``
feed ``sim`` (the engine) and ``nn`` (the MLP); ``plotting`` draws what they return; ``toolkit``
holds the learning-rate tools from practice and ``teach`` the experiments, gallery and lessons.
"""

import sys

from gdsim import (
    arguments,
    datasets,
    homework,
    nn,
    optimizers,
    plotting,
    schedules,
    sim,
    surfaces,
    teach,
    toolkit,
)
from gdsim.nn.edge import TrainabilityMap, trainability
from gdsim.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from gdsim.plotting import Animation, animate
from gdsim.schedules import Adaptive, ReduceLROnPlateau
from gdsim.sim import DIVERGED, NOT_CONVERGED, Run, basins, simulate, stability, sweep
from gdsim.teach import experiments
from gdsim.toolkit import (
    Ensemble,
    SnapshotEnsemble,
    diagnose,
    grid_search,
    loss_landscape,
    lr_find,
    random_search,
    snapshot_experiment,
    transfer_experiment,
)

# ``from gdsim.experiments import ...`` still works for notebooks written before the move to
# gdsim.teach
sys.modules[__name__ + ".experiments"] = experiments


def explore(surface="himmelblau", **options):
    """The interactive explorer in Jupyter (needs ipywidgets): see
    :func:`gdsim.plotting.explorer.explore`."""
    from gdsim.plotting.explorer import explore as _explore

    return _explore(surface, **options)


__version__ = "0.1.0"

__all__ = [
    # the simulator
    "simulate",
    "sweep",
    "Run",
    "DIVERGED",
    "NOT_CONVERGED",
    "basins",
    "stability",
    # the MLP's edge of trainability over two layers' learning rates
    "trainability",
    "TrainabilityMap",
    # optimizers and metric-driven lr rules
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "ReduceLROnPlateau",
    "Adaptive",
    # pictures
    "animate",
    "Animation",
    "explore",
    # the learning-rate toolkit
    "lr_find",
    "grid_search",
    "random_search",
    "diagnose",
    "loss_landscape",
    "Ensemble",
    "SnapshotEnsemble",
    "snapshot_experiment",
    "transfer_experiment",
    # packages
    "surfaces",
    "optimizers",
    "schedules",
    "datasets",
    "sim",
    "nn",
    "plotting",
    "toolkit",
    "teach",
    "experiments",
    "homework",
    "arguments",
]
