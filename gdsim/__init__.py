"""gdsim: see how learning rate, schedule, optimizer and starting point decide where gradient
descent ends up. Pure NumPy, exact (PyTorch's numbers), fast (millions of runs), and visual."""

from . import arguments, engine, optimizers, schedules, surfaces
from .engine import DIVERGED, NOT_CONVERGED, Run, simulate, sweep
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from .plateau import Adaptive, ReduceLROnPlateau

__version__ = "0.1.0"
