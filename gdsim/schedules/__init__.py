"""Learning-rate schedules: pure, vectorized functions of the step.

A schedule is a callable ``lr = schedule(step)``. ``step`` is a non-negative integer or an
integer array of any shape, so ``schedule(np.arange(10_000))`` is one NumPy call. Every value
is a closed form of the step: there is no hidden counter, so calling a schedule twice, out
of order or on a whole array always gives the same numbers.

Counting convention (PyTorch's ``last_epoch``): step 0 is the first update, and the value at
step ``e`` is the lr in force during update (or epoch) ``e``. Keras' legacy ``decay`` and
scikit-learn's ``invscaling`` follow the same 0-based convention (REFERENCE.md §2.2, §4).

Float parameters may be arrays. The result broadcasts ``step`` against them, which is how a
sweep over a schedule parameter works::

    >>> time_decay(0.01, decay=np.array([1e-1, 1e-2])[:, None])(np.arange(5)).shape
    (2, 5)

Integer parameters (step sizes, periods, milestones) are plain ints.

The metric-driven rules (ReduceLROnPlateau, scikit-learn's "adaptive") cannot be closed
forms; they live in ``gdsim.schedules.plateau`` as explicit state machines.

The :class:`Schedule` object lives in :mod:`gdsim.schedules.base` and the cyclical family
(``cyclic``, ``one_cycle``) in :mod:`gdsim.schedules.cyclical`; the transformer-training schedules
(``wsd``, ``inverse_sqrt``, ``noam``) in :mod:`gdsim.schedules.transformer`; every one of them is
importable from here.
"""

from gdsim.registry import Registry
from gdsim.schedules.annealing import cosine, sgdr
from gdsim.schedules.base import Schedule
from gdsim.schedules.compose import function, join, lambda_lr, warmup
from gdsim.schedules.cyclical import cyclic, one_cycle
from gdsim.schedules.decays import (
    constant,
    exponential,
    inverse_scaling,
    linear,
    multistep,
    polynomial,
    step,
    time_decay,
)
from gdsim.schedules.plateau import Adaptive, AdaptiveState, PlateauState, ReduceLROnPlateau
from gdsim.schedules.transformer import inverse_sqrt, noam, wsd

__all__ = [
    "Schedule",
    "constant",
    "step",
    "multistep",
    "exponential",
    "time_decay",
    "inverse_scaling",
    "cosine",
    "sgdr",
    "cyclic",
    "one_cycle",
    "linear",
    "polynomial",
    "wsd",
    "inverse_sqrt",
    "noam",
    "warmup",
    "join",
    "lambda_lr",
    "function",
    "REGISTRY",
    "register",
    "get",
    "names",
    "describe",
    "ReduceLROnPlateau",
    "Adaptive",
    "PlateauState",
    "AdaptiveState",
]


REGISTRY = Registry("schedule")
register = REGISTRY.register
get = REGISTRY.get
names = REGISTRY.names
describe = REGISTRY.describe

# a user's schedule is any callable of the step (ints or an int array); register a factory of
# them to see it in `gdsim list` and build it by name
for _factory in (
    constant,
    step,
    multistep,
    exponential,
    time_decay,
    inverse_scaling,
    cosine,
    sgdr,
    cyclic,
    one_cycle,
    linear,
    polynomial,
    wsd,
    inverse_sqrt,
    noam,
    warmup,
    join,
    lambda_lr,
    function,
):
    register(_factory.__name__, _factory)
del _factory
