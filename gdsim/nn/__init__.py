"""Neural networks without autograd: the MLP, ``fit`` and its callbacks.

    model = MLP([2, 50, 3], population=8, seed=1)
    history = fit(model, gdsim.SGD(lr=np.logspace(0, -7, 8)), X, y, epochs=200,
                  validation_data=(X_test, y_test))
    history.val_accuracy          # (200, 8): one column per learning rate
"""

from .callbacks import (Callback, EarlyStopping, LearningRateScheduler, LRRule, ModelCheckpoint,
                        TerminateOnNaN)
from .mlp import MLP
from .training import History, TrainingRun, fit

__all__ = ["MLP", "fit", "History", "TrainingRun", "Callback", "LRRule", "LearningRateScheduler",
           "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN"]
