"""gdsim: see how learning rate, schedule, optimizer and starting point decide where gradient
descent ends up. Pure NumPy, exact (PyTorch's numbers), fast (millions of runs), and visual.

    surface = gdsim.surfaces.get("himmelblau")
    run = gdsim.simulate(surface, gdsim.Adam(lr=0.1), starts, steps=200)
    gdsim.animate(surface, run)
"""

from . import (arguments, datasets, diagnosis, engine, ensembles, experiments, finder, landscape, maps,
               nn, optimizers, plotting, results, schedules, search, surfaces, transfer)
from .animation import Animation, animate
from .diagnosis import diagnose
from .ensembles import Ensemble, SnapshotEnsemble, snapshot_experiment
from .engine import simulate, sweep
from .finder import lr_find
from .results import DIVERGED, NOT_CONVERGED, Run
from .landscape import loss_landscape
from .maps import basins, stability
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from .plateau import Adaptive, ReduceLROnPlateau
from .search import grid_search, random_search
from .transfer import transfer_experiment


def explore(surface="himmelblau", **options):
    """The interactive explorer in Jupyter (needs ipywidgets): see :func:`gdsim.explorer.explore`."""
    from .explorer import explore as _explore

    return _explore(surface, **options)


__version__ = "0.1.0"
