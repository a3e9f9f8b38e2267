"""Neural networks without autograd: the MLP, ``fit`` and its callbacks.

    model = MLP([2, 50, 3], population=8, seed=1)
    history = fit(model, gdsim.SGD(lr=np.logspace(0, -7, 8)), X, y, epochs=200,
                  validation_data=(X_test, y_test))
    history.val_accuracy          # (200, 8): one column per learning rate

Training policies from practice: ``fit_one_cycle``, ``fit_sgdr``, per-layer learning rates
(``fit(..., layer_lrs=layer_lrs(slice(1e-4, 1e-2), model.n_layers))``, ``model.freeze()``), and
the LR range test ``lr_find``.
"""

from .callbacks import (Callback, EarlyStopping, LearningRateScheduler, LRRule, ModelCheckpoint,
                        TerminateOnNaN, UpdateRatios)
from .discriminative import layer_lrs
from .mlp import MLP
from .training import History, TrainingRun, fit

# these build on ``fit`` (and the finder on gdsim.nn's submodules), so they come last
from .policies import fit_one_cycle, fit_sgdr, plot_cycle, with_schedule  # noqa: E402
from ..finder import lr_find  # noqa: E402

__all__ = ["MLP", "fit", "History", "TrainingRun", "Callback", "LRRule", "LearningRateScheduler",
           "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN", "UpdateRatios", "layer_lrs", "fit_one_cycle",
           "fit_sgdr", "plot_cycle", "with_schedule", "lr_find"]
