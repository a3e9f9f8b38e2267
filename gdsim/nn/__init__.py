"""Neural networks without autograd: the MLP, ``fit`` and its callbacks.

    model = MLP([2, 50, 3], population=8, seed=1)
    history = fit(model, gdsim.SGD(lr=np.logspace(0, -7, 8)), X, y, epochs=200,
                  validation_data=(X_test, y_test))
    history.val_accuracy          # (200, 8): one column per learning rate

Training policies from practice: ``fit_one_cycle``, ``fit_sgdr``, per-layer learning rates
(``fit(..., layer_lrs=layer_lrs(slice(1e-4, 1e-2), model.n_layers))``, ``model.freeze()``), and
the LR range test ``lr_find``.
"""

from gdsim.nn.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    LRRule,
    ModelCheckpoint,
    TerminateOnNaN,
    UpdateRatios,
)
from gdsim.nn.discriminative import layer_lrs
from gdsim.nn.mlp import MLP
from gdsim.nn.policies import fit_one_cycle, fit_sgdr, with_schedule
from gdsim.nn.training import History, TrainingRun, fit


def __getattr__(name):
    # Kept reachable from here for users of the flat layout; they live in the layers above
    # (the finder in gdsim.toolkit, the cycle figure in gdsim.plotting), imported on first use.
    if name == "lr_find":
        from gdsim.toolkit.finder import lr_find

        return lr_find
    if name == "plot_cycle":
        from gdsim.plotting.curves import plot_cycle

        return plot_cycle
    raise AttributeError(f"module 'gdsim.nn' has no attribute {name!r}")


__all__ = [
    "MLP",
    "fit",
    "History",
    "TrainingRun",
    "Callback",
    "LRRule",
    "LearningRateScheduler",
    "EarlyStopping",
    "ModelCheckpoint",
    "TerminateOnNaN",
    "UpdateRatios",
    "layer_lrs",
    "fit_one_cycle",
    "fit_sgdr",
    "plot_cycle",
    "with_schedule",
    "lr_find",
]
