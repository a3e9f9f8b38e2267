"""Optimizers: SGD (momentum, Nesterov), Adagrad, RMSprop, Adam, AdamW, one file each.

Each class holds hyperparameters; the state is an explicit record the caller owns:

    opt = gdsim.Adam(lr=0.01)
    state = opt.init(params)
    params, state = opt.update(params, grad, state)      # one step

PyTorch semantics and defaults by default, number for number; ``convention="keras"`` switches
to Keras 3 numerics (see :mod:`gdsim.optimizers.base`).
"""

from gdsim.optimizers.adagrad import Adagrad, AdagradState
from gdsim.optimizers.adam import Adam, AdamState, AdamW
from gdsim.optimizers.base import CONVENTIONS, Hyperparameter, Optimizer, freeze
from gdsim.optimizers.rmsprop import RMSprop, RMSpropState
from gdsim.optimizers.sgd import SGD, SGDState
from gdsim.registry import Registry

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "SGDState",
    "AdagradState",
    "RMSpropState",
    "AdamState",
    "CONVENTIONS",
    "Hyperparameter",
    "freeze",
    "REGISTRY",
    "register",
    "get",
    "names",
    "describe",
]


REGISTRY = Registry("optimizer", ignore_case=True)
register = REGISTRY.register
get = REGISTRY.get
names = REGISTRY.names
describe = REGISTRY.describe

register("sgd", SGD, "stochastic gradient descent, optionally with momentum or Nesterov momentum")
register("adagrad", Adagrad, "per-coordinate steps shrinking with the sum of squared gradients")
register("rmsprop", RMSprop, "gradient divided by a running RMS of recent gradients")
register("adam", Adam, "bias-corrected momentum divided by a running RMS (Kingma & Ba)")
register("adamw", AdamW, "Adam with decoupled weight decay (Loshchilov & Hutter)")
