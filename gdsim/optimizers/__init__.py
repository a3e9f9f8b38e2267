"""Optimizers: SGD (momentum, Nesterov), Adagrad, RMSprop, Adam, AdamW, one file each.

Each class holds hyperparameters; the state is an explicit record the caller owns:

    opt = gdsim.Adam(lr=0.01)
    state = opt.init(params)
    params, state = opt.update(params, grad, state)      # one step

PyTorch semantics and defaults by default, number for number; ``convention="keras"`` switches
to Keras 3 numerics (see :mod:`gdsim.optimizers.base`).
"""

from gdsim import arguments
from gdsim.optimizers.adagrad import Adagrad, AdagradState
from gdsim.optimizers.adam import Adam, AdamState, AdamW
from gdsim.optimizers.base import CONVENTIONS, Optimizer
from gdsim.optimizers.rmsprop import RMSprop, RMSpropState
from gdsim.optimizers.sgd import SGD, SGDState

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "SGDState", "AdagradState",
           "RMSpropState", "AdamState", "CONVENTIONS", "names", "describe", "get"]


REGISTRY = {
    "sgd": (SGD, "stochastic gradient descent, optionally with momentum or Nesterov momentum"),
    "adagrad": (Adagrad, "per-coordinate steps shrinking with the sum of squared gradients"),
    "rmsprop": (RMSprop, "gradient divided by a running RMS of recent gradients"),
    "adam": (Adam, "bias-corrected momentum divided by a running RMS (Kingma & Ba)"),
    "adamw": (AdamW, "Adam with decoupled weight decay (Loshchilov & Hutter)"),
}


def names():
    """The registered optimizer names."""
    return list(REGISTRY)


def describe():
    """``{name: one-line description}`` for every optimizer."""
    return {name: description for name, (_, description) in REGISTRY.items()}


def get(name, **hyperparameters):
    """Build an optimizer by name: ``get("adam", lr=0.01)``."""
    key = str(name).lower()
    if key not in REGISTRY:
        raise arguments.unknown_name_error("optimizer", name, REGISTRY)
    return REGISTRY[key][0](**hyperparameters)
