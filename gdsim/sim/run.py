"""``Run``: what ``simulate`` and ``sweep`` return, and how to slice and summarise it."""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass, field

import numpy as np

from gdsim import arguments
from gdsim.optimizers import Optimizer

NOT_CONVERGED = -1  # ``run.reached`` for a run that ended near no known minimum
DIVERGED = -2  # ``run.reached`` for a run that blew up


@dataclass
class Run:
    """The result of ``simulate`` or ``sweep``.

    Time-major and including the start: ``positions (T, *batch, 2)``, ``losses (T, *batch)``
    where row ``i`` is step ``recorded_steps[i]``. ``batch`` is the broadcast of the starts'
    leading axes with any per-run hyperparameters; ``axes`` names its axes.

    ``lrs`` holds the lr of every update, ``(steps,)``, or ``(steps, *batch)`` when it differs
    between runs: a schedule's table, or a constant seen as every step without a copy (a
    read-only broadcast view). With a metric-driven rule (``ReduceLROnPlateau``, ``Adaptive``)
    the lrs are data the run produced, so they follow ``record`` like the positions: every
    update's lr ``(steps, *batch)`` when every step is recorded, otherwise
    ``(len(recorded_steps), *batch)`` where row ``i`` is the lr in force at step
    ``recorded_steps[i]``, the one the update from that step uses; for the last step (always
    recorded) it is the lr the rule ended with. ``record="final"`` thus keeps the final lr only.
    """

    surface: object
    optimizer: object
    steps: int
    positions: np.ndarray
    losses: np.ndarray
    recorded_steps: np.ndarray
    lrs: np.ndarray
    final: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    reached: np.ndarray
    settled_at: np.ndarray | None
    axes: tuple
    coords: dict = field(default_factory=dict)
    selected: dict = field(default_factory=dict)  # grid values fixed by ``select``
    lr_steps: np.ndarray | None = None  # the step of each row of lrs; None: every update's

    def __post_init__(self):
        if self.lr_steps is None:
            self.lr_steps = np.arange(len(self.lrs))

    @property
    def batch_shape(self):
        return self.final.shape[:-1]

    @property
    def converged(self):
        """Runs that ended within tolerance of a known minimum."""
        return self.reached >= 0

    def select(self, **coords):
        """The sub-run at the given grid values, e.g. ``run.select(lr=0.1)``."""
        index = [slice(None)] * len(self.axes)
        for name, value in coords.items():
            if name not in self.axes:
                raise arguments.unknown_name_error("axis", name, self.axes)
            values = list(np.asarray(self.coords[name], dtype=object))
            matches = [i for i, v in enumerate(values) if v is value or v == value]
            if not matches:
                raise ValueError(f"{name}={value!r} is not in the run; it has {values}")
            index[self.axes.index(name)] = matches[0]
            coords[name] = values[matches[0]]
        index = tuple(index)
        time_index = (slice(None),) + index
        per_run_lrs = self.lrs.ndim > 1
        selected = {**self.selected, **coords}
        left = [a for a, i in zip(self.axes, index) if isinstance(i, slice) and a in self.coords]
        return Run(
            surface=self.surface,
            optimizer=self._cell_optimizer(selected, left),
            steps=self.steps,
            positions=self.positions[time_index],
            losses=self.losses[time_index],
            recorded_steps=self.recorded_steps,
            lrs=self.lrs[time_index] if per_run_lrs else self.lrs,
            final=self.final[index],
            final_loss=self.final_loss[index],
            diverged=self.diverged[index],
            diverged_at=self.diverged_at[index],
            reached=self.reached[index],
            settled_at=None if self.settled_at is None else self.settled_at[index],
            axes=tuple(a for a, i in zip(self.axes, index) if isinstance(i, slice)),
            coords={a: self.coords[a] for a in left},
            selected=selected,
            lr_steps=self.lr_steps,
        )

    def _cell_optimizer(self, selected, left):
        """A sweep's factory becomes the cell's own optimizer once every grid axis is selected."""
        if left or isinstance(self.optimizer, Optimizer) or not callable(self.optimizer):
            return self.optimizer
        try:
            return self.optimizer(**selected)
        except (TypeError, ValueError):
            return self.optimizer

    def labels(self):
        """One legend label per cell of the leading grid axes (all axes but the starts')."""
        grid_axes = [a for a in self.axes if a in self.coords and a != "start"]
        if not grid_axes:
            if isinstance(self.optimizer, Optimizer):
                return [self.optimizer.label()]
            return [getattr(self.optimizer, "__name__", repr(self.optimizer))]
        cells = itertools.product(*[self.coords[a] for a in grid_axes])
        return [", ".join(f"{a}={_show(v)}" for a, v in zip(grid_axes, cell)) for cell in cells]

    def summary(self):
        """A small text table: how many runs reached each minimum, did not converge, diverged."""
        total = self.reached.size
        lines = [
            f"{total} runs of {self.steps} steps on {getattr(self.surface, 'name', self.surface)}"
        ]
        minima = getattr(self.surface, "minima", np.zeros((0, 2)))
        for k, point in enumerate(minima):
            lines.append(
                f"  minimum {k} at ({point[0]:.3f}, {point[1]:.3f}): {np.sum(self.reached == k)}"
            )
        lines.append(f"  not converged: {np.sum(self.reached == NOT_CONVERGED)}")
        lines.append(f"  diverged: {np.sum(self.reached == DIVERGED)}")
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"Run(surface={getattr(self.surface, 'name', '?')!r}, optimizer={self.optimizer!r}, "
            f"steps={self.steps}, batch_shape={self.batch_shape}, axes={self.axes}, "
            f"diverged={int(self.diverged.sum())}/{self.diverged.size})"
        )


def _show(value):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{value:g}"
    if isinstance(value, type):
        return value.__name__
    return str(value)
