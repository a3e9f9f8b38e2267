"""The learning-rate toolkit from practice: the LR range test, LR grid and random search,
loss-curve diagnosis, loss landscapes, snapshot ensembles and fine-tuning (transfer)."""

from gdsim.toolkit.diagnosis import diagnose
from gdsim.toolkit.ensembles import Ensemble, SnapshotEnsemble, snapshot_experiment
from gdsim.toolkit.finder import lr_find
from gdsim.toolkit.landscape import loss_landscape
from gdsim.toolkit.search import grid_search, random_search
from gdsim.toolkit.transfer import transfer_experiment

__all__ = [
    "lr_find",
    "grid_search",
    "random_search",
    "diagnose",
    "loss_landscape",
    "Ensemble",
    "SnapshotEnsemble",
    "snapshot_experiment",
    "transfer_experiment",
]
