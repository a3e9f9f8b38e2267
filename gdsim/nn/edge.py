"""Trainability maps: where learning turns into divergence, over two layers' learning rates.

``trainability(model, X, y, steps=500, lr=((1e-2, 1e2), (1e-2, 1e2)))`` trains one copy of
``model`` per pixel of a ``resolution x resolution`` grid. The pixel in row ``i`` and column
``j`` trains layer group 0 (by default the input layer) at ``x[j]`` and group 1 (the output
layer) at ``y[i]``, both log-spaced; every other layer stays as it is. This is the experiment of
Sohl-Dickstein (2024), "The boundary of neural network trainability is fractal": the pixels that
train and those that blow up are separated by a boundary with structure at every zoom.

Training is full batch, so a step is an epoch. For every member at once::

    ℓ_t     = the loss of θ_t on all of (X, y)            (the MLP's own forward pass)
    θ_{t+1} = the optimizer's update of θ_t from ∇ℓ_t, layer l at its lr η_l
              (plain SGD: θ_l ← θ_l − η_l ∇_l ℓ_t)

A pixel is the run ``gdsim.nn.fit(model, optimizer, X, y, epochs=steps, batch_size=len(X),
shuffle=False, layer_lrs=[η_0, η_1])`` makes, number for number (the lrs are formed as ``fit``
forms them), until it is frozen. The outcome follows the paper's code
(``convergence_measure``):

* **diverged** at step ``t``: the first ``t`` whose loss is not finite or exceeds
  ``threshold · ℓ_0`` (the paper clips the loss ratio ``ℓ_t/ℓ_0`` at 10⁶), or whose update is
  not finite. The member is frozen there: its later steps are not computed.
* **converged**: not diverged, and the mean loss over the last ``window`` steps (20) is below
  the initial loss ``ℓ_0``. A member that is neither stays finite but never got below where it
  started; like the paper, the map counts it as not converged (``diverged_at`` is -1 for it).

``loss`` is each member's mean loss over the steps it was trained (for a diverged member, the
steps before it blew up), so it is finite for every member whose first loss was.

The boundary is the set of 2x2 pixel windows that hold both outcomes (the paper's
``extract_edges``). Its box-counting dimension: ``N(s)`` boxes of ``s x s`` windows hold some
boundary, and ``D`` is the least-squares slope of ``log N(s)`` against ``log(1/s)`` over a range
of box sizes (a smooth curve gives 1, a boundary that fills the plane 2).

How it runs: one population per map, cut into chunks of members that fit in cache; the chunks
run in forked worker processes (one per core) or, with ``client=``, as tasks on a Dask cluster.
Each member's arithmetic never depends on the other members (``MLP.batch`` is exact per
member), so the map is the same bit for bit however it is cut and wherever it runs (on
machines with the same NumPy and BLAS).
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numpy as np

from gdsim import arguments
from gdsim.nn.mlp import MLP
from gdsim.optimizers import SGD, Optimizer
from gdsim.sim import resources
from gdsim.sim.workers import PROGRESS_EVERY, Progress, run_in_processes, shared_empty

__all__ = ["trainability", "TrainabilityMap", "BoxCount", "Setup", "paper_setup"]

THRESHOLD = 1e6  # a loss this many times the initial one counts as divergence (the paper's clip)
WINDOW = 20  # the last steps whose mean loss decides convergence (the paper's 20)
CHUNK_ACTIVATIONS = 1 << 17  # activations of a chunk's widest layer: about 1 MB, cache-sized
CHUNK_RANGE = (16, 512)  # members in a chunk, at least and at most
TASK_MEMBERS = 4096  # members per Dask task: a few seconds of work per task
PARALLEL_WORK = 200_000  # member-steps below which workers=None stays in this process
RESULT_BYTES = 1 + 8 + 8  # converged, diverged_at, loss: bytes kept per member


class BoxCount(NamedTuple):
    """A box-counting estimate: ``dimension`` (the fitted slope), the box ``sizes`` (pixels),
    the ``counts`` of boxes holding boundary, ``fit_range`` (smallest, largest box size used in
    the fit) and the local ``slopes`` between neighbouring sizes."""

    dimension: float
    sizes: np.ndarray
    counts: np.ndarray
    fit_range: tuple
    slopes: np.ndarray


class Setup(NamedTuple):
    """The paper's experiment for :func:`trainability`: ``model``, data ``X``, ``y``, the
    ``train_biases`` it needs (False) and ``lr_scale``, the factors that turn the paper's
    (mean-field) learning rates into this model's: ``lr_here = lr_paper * lr_scale``."""

    model: MLP
    X: np.ndarray
    y: np.ndarray
    train_biases: bool
    lr_scale: tuple


def paper_setup(width=16, n_samples=16, seed=0):
    """The network and data of Sohl-Dickstein (2024), in gdsim's (standard) parameterization.

    The paper trains ``f(x) = v·tanh(√2 W x/√n)/n`` (mean-field scaling, ``n = width``, no
    biases) with ``W`` and ``v`` drawn from N(0, 1), on inputs and targets drawn from N(0, 1),
    by full-batch gradient descent on the mean squared error. The same function is the
    ``MLP([n, n, 1], activation="tanh", output="linear", loss="mse")`` with weights
    ``W' = √2 W/√n`` and ``v' = v/n`` and zero biases kept fixed. Gradient descent on ``W`` at
    lr ``η`` moves ``W'`` as descent at ``η·2/n`` does, and on ``v`` at ``η`` as ``v'`` at
    ``η/n²``: that is ``lr_scale``. The paper's code draws as many points as the network has
    weights (``n_samples = n² + n``); 16 points give the same kind of map for a sixteenth of
    the arithmetic.
    """
    width = arguments.check_int("width", width, minimum=1)
    n_samples = arguments.check_int("n_samples", n_samples, minimum=1)
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    W = rng.standard_normal((width, width))
    v = rng.standard_normal((width, 1))
    X = rng.standard_normal((n_samples, width))
    y = rng.standard_normal((n_samples, 1))
    model = MLP([width, width, 1], activation="tanh", output="linear", loss="mse", seed=0)
    model.set_weights([W * math.sqrt(2.0 / width), np.zeros(width), v / width, np.zeros(1)])
    return Setup(model, X, y, False, (2.0 / width, 1.0 / width**2))


# -- checking the arguments ---------------------------------------------------------------------


def _check_ranges(lr):
    """``((lo0, hi0), (lo1, hi1))`` as a (2, 2) float array with 0 < lo < hi, finite."""
    what = "two ranges ((lo0, hi0), (lo1, hi1)) of learning rates"
    if isinstance(lr, (str, bytes)) or not np.iterable(lr):
        raise TypeError(f"lr must be {what}, got {lr!r}")
    box = arguments.as_real_array("lr", lr, what=what)
    if box.shape != (2, 2):
        raise ValueError(f"lr must be {what}, got shape {box.shape}: {lr!r}")
    arguments.check_finite("lr", box)
    for g, (low, high) in enumerate(box):
        if not low > 0:
            raise ValueError(
                f"lr ranges must be positive (log-spaced), got lo{g} = {low:g} in lr={lr!r}"
            )
        if not low < high:
            raise ValueError(
                f"lr ranges must be ordered lo < hi, got lo{g} = {low:g} and "
                f"hi{g} = {high:g} in lr={lr!r}"
            )
    return box


def _check_resolution(resolution):
    """``n`` or ``(ny, nx)`` pixels, each at least 2, as ``(ny, nx)``."""
    if isinstance(resolution, (tuple, list)) and len(resolution) == 2:
        return tuple(arguments.check_int("resolution", r, minimum=2) for r in resolution)
    if isinstance(resolution, (tuple, list)):
        raise ValueError(f"resolution must be n or (ny, nx), got {resolution!r}")
    n = arguments.check_int("resolution", resolution, minimum=2)
    return n, n


def _check_groups(groups, n_layers):
    """Two disjoint, non-empty lists of layer indices from slices, ints or lists of ints."""
    if groups is None:
        groups = (slice(0, -1), slice(-1, None))
    if isinstance(groups, (str, bytes)) or not np.iterable(groups) or len(groups) != 2:
        raise TypeError(
            "groups must be two layer groups (group 0: the x axis, group 1: the y "
            f"axis), e.g. (slice(0, -1), slice(-1, None)), got {groups!r}"
        )
    layers = range(n_layers)
    out = []
    for g, group in enumerate(groups):
        if isinstance(group, slice):
            members = list(layers[group])
        elif isinstance(group, (int, np.integer)) and not isinstance(group, bool):
            members = [group]
        elif np.iterable(group) and not isinstance(group, (str, bytes)):
            members = list(group)
        else:
            raise TypeError(
                f"groups[{g}] must be a slice, a layer index or a list of them, got {group!r}"
            )
        checked = []
        for index in members:
            index = arguments.check_int(f"a layer index in groups[{g}]", index)
            if not -n_layers <= index < n_layers:
                raise ValueError(
                    f"groups[{g}] names layer {index}, but the model has "
                    f"{n_layers} layers (0 .. {n_layers - 1})"
                )
            checked.append(index % n_layers)
        if not checked:
            raise ValueError(f"groups[{g}] = {group!r} holds no layer of the model's {n_layers}")
        out.append(sorted(set(checked)))
    shared = set(out[0]) & set(out[1])
    if shared:
        raise ValueError(
            f"groups must not share layers; layer {min(shared)} is in both ({groups!r})"
        )
    return out


def _check_optimizer(optimizer):
    """An optimizer instance (a class is built with its defaults); its lr is the map's to set."""
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        optimizer = optimizer()
    arguments.check_optimizer("optimizer", optimizer)
    hyperparameters = optimizer.hyperparameters()
    if "lr" not in hyperparameters:
        raise TypeError(f"optimizer {optimizer!r} has no 'lr' hyperparameter for the map to set")
    if callable(hyperparameters["lr"]):
        raise TypeError(
            "trainability sets each member's learning rates itself; give an "
            f"optimizer without an lr schedule, got lr={hyperparameters['lr']!r}"
        )
    for name, value in hyperparameters.items():
        if name != "lr" and not callable(value) and np.size(value) > 1:
            raise ValueError(
                f"the members of a trainability map differ only in their lrs; "
                f"give one value of {name}, got shape {np.shape(value)}"
            )
    return optimizer


def _check_model(model):
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a gdsim.nn.MLP, got {model!r}")
    if model.n_layers < 2:
        raise ValueError(
            f"model must have at least two layers (one lr per axis), got "
            f"layers={model.layers} ({model.n_layers} layer)"
        )
    if model.population != 1:
        raise ValueError(
            "model must be one network (population 1); the map builds its own "
            f"population of copies, got population={model.population}"
        )


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# -- the training of a range of members -----------------------------------------------------------


class _Job:
    """Everything a range of members needs: the model, the data, the lrs and the rules. It runs
    in this process, in forked workers (``run_block`` writes into shared arrays) or, pickled
    without the model's functions, on a Dask worker (:func:`_run_task`)."""

    def __init__(
        self,
        model,
        A0,
        Y,
        labels,
        optimizer,
        steps,
        x,
        y,
        groups,
        train_biases,
        threshold,
        window,
        chunk_size,
    ):
        self.model, self.A0, self.Y, self.labels = model, A0, Y, labels
        self.optimizer, self.steps, self.x, self.y = optimizer, steps, x, y
        self.groups, self.train_biases = groups, train_biases
        self.threshold, self.window, self.chunk_size = threshold, window, chunk_size
        self.base = [t[:1].copy() for t in model.theta]  # (1, fan_in + 1, fan_out) per layer
        hypers = optimizer.resolve(steps)
        self.constant = {n: h.at(0) for n, h in hypers.items() if n != "lr" and not h.scheduled}
        self.scheduled = {n: h for n, h in hypers.items() if n != "lr" and h.scheduled}
        self.outputs = None
        self.progress = None

    # Dask pickles the job: the model travels as its description and weights, not its functions
    def __getstate__(self):
        state = dict(self.__dict__, outputs=None, progress=None)
        m = self.model
        state["model"] = (m.layers, m.activation, m.output, m.loss, m.get_weights())
        return state

    def __setstate__(self, state):
        layers, activation, output, loss, weights = state["model"]
        model = MLP(layers, activation=activation, output=output, loss=loss, seed=0)
        model.set_weights(weights)
        state["model"] = model
        self.__dict__.update(state)

    def allocate(self, n_members, shared):
        self.outputs = {
            "converged": shared_empty(n_members, bool, shared=shared),
            "diverged_at": shared_empty(n_members, np.int64, shared=shared),
            "loss": shared_empty(n_members, float, shared=shared),
        }

    def run_block(self, block):
        """Train the chunk of members ``block = (start, stop)`` and write their outcomes (the
        entry point of the worker processes)."""
        start, stop = block
        for name, values in self.run(start, stop, report=True).items():
            self.outputs[name][start:stop] = values
        self.progress.report(start, self.steps)

    def layer_lrs(self, start, stop):
        """Each trained layer's lr for members ``start .. stop``, shaped ``(K, 1, 1)``.

        As ``fit`` forms ``layer_lrs``: the largest becomes the optimizer's lr and every layer
        trains at it times its ratio to it, so a member gets ``fit``'s bits."""
        index = np.arange(start, stop)
        nx = len(self.x)
        values = {}
        for layer in self.groups[0]:
            values[layer] = self.x[index % nx]
        for layer in self.groups[1]:
            values[layer] = self.y[index // nx]
        peak = np.maximum(self.x[index % nx], self.y[index // nx])
        return {layer: (peak * (v / peak)).reshape(-1, 1, 1) for layer, v in values.items()}

    def run(self, start, stop, report=False, record=False):
        """``{"converged", "diverged_at", "loss"}`` of members ``start .. stop`` (pixel order:
        row-major, ``x`` along a row); with ``record``, also ``"losses"`` ``(steps, K)``, the
        loss of every step (NaN after a member blew up)."""
        with np.errstate(all="ignore"):  # a blow-up is data, not a warning
            return self._run(start, stop, report, record)

    def _run(self, start, stop, report, record):
        K, steps, n = stop - start, self.steps, len(self.A0)
        trained = sorted(self.groups[0] + self.groups[1])
        first = trained[0]
        lrs = self.layer_lrs(start, stop)
        theta = [np.repeat(t, K, axis=0) for t in self.base]
        states = {layer: self.optimizer.init(theta[layer]) for layer in trained}
        alive = np.arange(K)  # which members the arrays' rows are
        initial = np.zeros(K)
        limit = np.full(K, np.inf)
        total = np.zeros(K)  # Σ ℓ_t over the steps with a good loss
        counted = np.zeros(K)  # how many steps those are
        recent = np.zeros(K)  # Σ ℓ_t over the last `window` steps
        diverged_at = np.full(K, -1, dtype=np.int64)
        window = min(self.window, steps)
        losses = np.full((steps, K), np.nan) if record else None
        for t in range(steps):
            if report and not t % PROGRESS_EVERY:
                self.progress.report(start, t)
            batch_total, _, grads = self.model.batch(self.A0, self.Y, self.labels, theta, first)
            loss = batch_total / n
            if record:
                losses[t, alive] = loss
            if t == 0:
                initial[:] = loss
                limit = np.where(loss > 0, self.threshold * loss, np.inf)
            good = np.isfinite(loss) & (loss <= limit[alive])
            total[alive[good]] += loss[good]
            counted[alive[good]] += 1
            if t >= steps - window:
                recent[alive] += loss
            hp = dict(self.constant, **{name: h.at(t) for name, h in self.scheduled.items()})
            for layer in trained:
                new, states[layer] = self.optimizer.update(
                    theta[layer], grads[layer], states[layer], dict(hp, lr=lrs[layer])
                )
                if not self.train_biases:
                    new[:, -1, :] = theta[layer][:, -1, :]
                theta[layer] = new
            blown_update = _not_finite([theta[layer] for layer in trained])
            dead = ~good if blown_update is None else ~good | blown_update
            if dead.any():
                diverged_at[alive[dead]] = t
                keep = ~dead
                alive = alive[keep]
                if not len(alive):
                    break
                theta = [value[keep] for value in theta]
                lrs = {layer: value[keep] for layer, value in lrs.items()}
                states = {layer: _take(state, keep) for layer, state in states.items()}
        mean = np.where(counted > 0, total / np.maximum(counted, 1), initial)
        converged = (diverged_at < 0) & (recent / window < initial)
        out = {"converged": converged, "diverged_at": diverged_at, "loss": mean}
        if record:
            out["losses"] = losses
        return out


def _not_finite(layers):
    """The members whose new weights are not all finite, ``(K,)``, or None if none. One sum
    settles the common case: a sum is finite only if every term is."""
    layers = list(layers)
    if math.isfinite(sum(float(t.sum()) for t in layers)):
        return None
    bad = np.zeros(len(layers[0]), dtype=bool)
    for t in layers:
        bad |= ~np.isfinite(t).all(axis=tuple(range(1, t.ndim)))
    return bad if bad.any() else None


def _take(state, keep):
    """The optimizer state record with only the members where ``keep`` is True (every array
    with a leading member axis is indexed; step counters and None stay)."""
    if isinstance(state, np.ndarray):
        return state[keep] if state.ndim and len(state) == len(keep) else state
    if isinstance(state, dict):
        return {key: _take(value, keep) for key, value in state.items()}
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return type(state)(*(_take(value, keep) for value in state))
    if isinstance(state, (tuple, list)):
        return type(state)(_take(value, keep) for value in state)
    return state


def _run_task(job, start, stop):
    """A Dask task: members ``start .. stop`` in the same chunks as on one machine."""
    parts = [job.run(a, min(a + job.chunk_size, stop)) for a in range(start, stop, job.chunk_size)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


# -- the map ------------------------------------------------------------------------------------


class TrainabilityMap:
    """Which learning-rate pairs train and which blow up: one pixel per pair.

    ``x (nx,)``, ``y (ny,)``: the learning rates of layer group 0 (columns) and group 1 (rows).
    ``converged (ny, nx)`` bool; ``diverged_at (ny, nx)``: the step at which the loss blew up
    (-1 if it never did); ``loss (ny, nx)``: mean training loss over the steps trained.
    ``steps``, ``groups`` (the layer indices of each axis), ``threshold`` and ``window``
    describe how it was made. ``zoom``, ``boundary_point``, ``boundary_dimension``, ``plot``
    and ``animate_zoom`` look closer.
    """

    def __init__(
        self,
        x,
        y,
        converged,
        diverged_at,
        loss,
        steps,
        groups=None,
        threshold=THRESHOLD,
        window=WINDOW,
        settings=None,
        job=None,
    ):
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self.converged = np.asarray(converged, dtype=bool)
        self.diverged_at = np.asarray(diverged_at)
        self.loss = np.asarray(loss, dtype=float)
        shape = (len(self.y), len(self.x))
        for name in ("converged", "diverged_at", "loss"):
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"{name} must have shape (len(y), len(x)) = {shape}, got "
                    f"{getattr(self, name).shape}"
                )
        self.steps, self.groups = steps, groups
        self.threshold, self.window = threshold, window
        self._settings, self._job = settings, job
        self._zooms = {}

    @property
    def shape(self):
        return self.converged.shape

    @property
    def diverged(self):
        """``(ny, nx)`` bool: the members whose loss blew up."""
        return self.diverged_at >= 0

    @property
    def fraction_converged(self):
        return float(self.converged.mean())

    @property
    def ranges(self):
        """``((x0, x1), (y0, y1))``: the learning rates at the map's edges (pixel centres)."""
        return (float(self.x[0]), float(self.x[-1])), (float(self.y[0]), float(self.y[-1]))

    @property
    def boundary(self):
        """``(ny - 1, nx - 1)`` bool: the 2x2 windows of pixels holding both outcomes."""
        c = self.converged
        windows = np.stack([c[1:, 1:], c[:-1, 1:], c[1:, :-1], c[:-1, :-1]])
        return windows.any(axis=0) & ~windows.all(axis=0)

    def boundary_point(self, near=None):
        """The ``(lr0, lr1)`` centre of the boundary window nearest ``near`` (an lr pair;
        default the map's centre), distance measured in fractions of each axis' log range.
        A map with no boundary (one outcome everywhere) is a ValueError."""
        edge = self.boundary
        if not edge.any():
            outcome = "converged" if self.converged.all() else "failed to converge"
            raise ValueError(
                f"the map has no boundary: every member {outcome}; widen or move the lr ranges"
            )
        lx, ly = np.log10(self.x), np.log10(self.y)
        cx, cy = (lx[1:] + lx[:-1]) / 2, (ly[1:] + ly[:-1]) / 2
        if near is None:
            target = np.array([(lx[0] + lx[-1]) / 2, (ly[0] + ly[-1]) / 2])
        else:
            target = np.log10(_check_point("near", near))
        rows, cols = np.nonzero(edge)
        distance = ((cx[cols] - target[0]) / (lx[-1] - lx[0])) ** 2 + (
            (cy[rows] - target[1]) / (ly[-1] - ly[0])
        ) ** 2
        best = int(np.argmin(distance))
        return float(10 ** cx[cols[best]]), float(10 ** cy[rows[best]])

    def boundary_dimension(self, sizes=None):
        """Box-counting dimension of the boundary, as a :class:`BoxCount`.

        ``sizes``: the box edges in pixels to fit over; by default the powers of two from 2 to
        a quarter of the boundary image's shorter side (a box of one pixel sees the pixels,
        not the boundary; boxes larger than a quarter of the image are too few to count).
        ``N(s)`` counts the ``s x s`` boxes of a grid from the lower left corner that hold a
        boundary window (boxes cut by the far edges count too); the dimension is the
        least-squares slope of ``log N`` against ``log(1/s)``. No boundary gives NaN.
        """
        edge = self.boundary
        shortest = min(edge.shape)
        if sizes is None:
            sizes = [2**k for k in range(1, 32) if 2**k <= max(shortest // 4, 2)]
            if len(sizes) < 2:
                sizes = [1, 2]
        sizes = np.array(
            [arguments.check_int("sizes (box edges in pixels)", s, minimum=1) for s in sizes]
        )
        if len(sizes) < 2 or len(np.unique(sizes)) != len(sizes):
            raise ValueError(
                f"sizes must hold at least two different box sizes, got {sizes.tolist()}"
            )
        sizes = np.sort(sizes)
        counts = np.array([_boxes(edge, int(s)) for s in sizes])
        if not counts.all():
            nan = float("nan")
            return BoxCount(
                nan, sizes, counts, (int(sizes[0]), int(sizes[-1])), np.full(len(sizes) - 1, nan)
            )
        log_inverse, log_counts = -np.log(sizes), np.log(counts)
        dimension = float(np.polyfit(log_inverse, log_counts, 1)[0])
        slopes = np.diff(log_counts) / np.diff(log_inverse)
        return BoxCount(dimension, sizes, counts, (int(sizes[0]), int(sizes[-1])), slopes)

    def loss_curve(self, i, j):
        """The loss at every step of the member in row ``i``, column ``j`` (lrs ``x[j]``,
        ``y[i]``), NaN after it blew up: the same run as in the map, trained again alone."""
        if self._job is None:
            raise ValueError(
                "this map was built from arrays, not by gdsim.trainability, and "
                "cannot train its members again"
            )
        ny, nx = self.shape
        i = arguments.check_int("i (row)", i)
        j = arguments.check_int("j (column)", j)
        if not (-ny <= i < ny and -nx <= j < nx):
            raise ValueError(f"(i, j) must index the map's {ny} x {nx} pixels, got ({i}, {j})")
        member = (i % ny) * nx + j % nx
        return self._job.run(member, member + 1, record=True)["losses"][:, 0]

    def zoom(self, center, factor, resolution=None):
        """A new map around ``center`` (an ``(lr0, lr1)`` pair), ``factor`` times narrower in
        each axis' log range, at ``resolution`` (default this map's), trained as this one was.
        Maps already made by ``zoom`` are kept and given back."""
        if self._settings is None:
            raise ValueError(
                "this map was built from arrays, not by gdsim.trainability, and "
                "cannot compute a zoom"
            )
        center = _check_point("center", center)
        factor = float(arguments.check_positive("factor", factor))
        resolution = self.shape if resolution is None else _check_resolution(resolution)
        key = (float(center[0]), float(center[1]), factor, resolution)
        if key not in self._zooms:
            ranges = []
            for values, c in zip((self.x, self.y), np.log10(center)):
                half = (np.log10(values[-1]) - np.log10(values[0])) / 2 / factor
                ranges.append((10 ** (c - half), 10 ** (c + half)))
            self._zooms[key] = trainability(
                **self._settings, lr=tuple(ranges), resolution=resolution
            )
        return self._zooms[key]

    def zoom_path(self, center, factors, resolution=None):
        """Maps zoomed ``factors`` times (increasing) into the boundary near ``center``: each
        is centred on the boundary point of the one before nearest its centre, so a deep zoom
        stays on the boundary. Returns the list of maps (this one not included)."""
        factors = [float(arguments.check_positive("factors", f)) for f in np.ravel(factors)]
        if not factors or any(b <= a for a, b in zip(factors, factors[1:])):
            raise ValueError(f"factors must be increasing zoom factors, got {factors}")
        maps, point = [], _check_point("center", center)
        for factor in factors:
            deeper = self.zoom(point, factor, resolution)
            maps.append(deeper)
            if deeper.boundary.any():
                point = np.array(deeper.boundary_point(point))
        return maps

    def plot(self, ax=None, **options):
        """Draw the map: see :func:`gdsim.plotting.edge.plot_trainability`."""
        from gdsim.plotting.edge import plot_trainability  # the numbers need no matplotlib

        return plot_trainability(self, ax=ax, **options)

    def animate_zoom(self, center, factors, **options):
        """A zoom into the boundary as a gdsim Animation: see
        :func:`gdsim.plotting.edge.animate_zoom`."""
        from gdsim.plotting.edge import animate_zoom

        return animate_zoom(self, center, factors, **options)

    def __repr__(self):
        (x0, x1), (y0, y1) = self.ranges
        return (
            f"<TrainabilityMap {self.shape[0]}x{self.shape[1]}: lr0 {x0:.4g}..{x1:.4g}, "
            f"lr1 {y0:.4g}..{y1:.4g}, {self.steps} steps, "
            f"{self.fraction_converged:.0%} converged>"
        )


def _boxes(edge, size):
    """How many ``size x size`` boxes of a grid over ``edge`` hold a True pixel."""
    ny, nx = edge.shape
    padded = np.zeros((-(-ny // size) * size, -(-nx // size) * size), dtype=bool)
    padded[:ny, :nx] = edge
    blocks = padded.reshape(padded.shape[0] // size, size, padded.shape[1] // size, size)
    return int(blocks.any(axis=(1, 3)).sum())


def _check_point(name, point):
    what = "an (lr0, lr1) pair of positive learning rates"
    value = arguments.as_real_array(name, point, what=what)
    if value.shape != (2,):
        raise ValueError(f"{name} must be {what}, got {point!r}")
    arguments.check_positive(name, value)
    return value


# -- the entry point ----------------------------------------------------------------------------


def trainability(
    model,
    X,
    y,
    *,
    steps,
    lr,
    resolution=256,
    optimizer=SGD,
    groups=None,
    train_biases=True,
    threshold=THRESHOLD,
    window=WINDOW,
    workers=None,
    client=None,
    chunk_size=None,
    progress=None,
):
    """Train one copy of ``model`` per learning-rate pair and map which ones learn.

    ``lr=((lo0, hi0), (lo1, hi1))``: the ranges of layer group 0 (the map's x axis) and group 1
    (its y axis), each ``resolution`` log-spaced values from lo to hi (``resolution`` is n or
    ``(ny, nx)``). ``groups``: which layers each axis sets, as slices, indices or lists of them;
    the default ``(slice(0, -1), slice(-1, None))`` is every layer but the last against the last
    (for two layers: the input layer against the output layer); layers in neither group stay
    fixed, and ``train_biases=False`` keeps every bias as it is (the paper's networks have
    none). Every member trains ``steps`` full-batch steps of ``optimizer`` (an optimizer or its
    class; its own lr is replaced) from ``model``'s weights; ``threshold`` and ``window`` decide
    divergence and convergence (module doc).

    ``workers``: processes on this machine (default one per core for a large map);
    ``client``: a ``dask.distributed.Client`` whose cluster runs the chunks instead. Either
    way the numbers are the same bit for bit. ``chunk_size``: members trained together
    (default: sized for the cache). ``progress``: True, False or None (a bar for long maps).

        setup = gdsim.nn.edge.paper_setup()
        m = gdsim.trainability(setup.model, setup.X, setup.y, steps=500,
                               lr=((3, 3e4), (0.05, 0.5)), train_biases=False)
        m.plot(); m.zoom(m.boundary_point(), 100).boundary_dimension()
    """
    _check_model(model)
    steps = arguments.check_int("steps", steps, minimum=1)
    ranges = _check_ranges(lr)
    ny, nx = _check_resolution(resolution)
    optimizer = _check_optimizer(optimizer)
    layer_groups = _check_groups(groups, model.n_layers)
    train_biases = arguments.check_bool("train_biases", train_biases)
    threshold = float(arguments.check_positive("threshold", threshold, finite=False))
    if not threshold > 1:
        raise ValueError(
            f"threshold must be > 1 (a multiple of the initial loss), got {threshold:g}"
        )
    window = arguments.check_int("window", window, minimum=1)
    if workers is not None:
        workers = arguments.check_int("workers", workers, minimum=1)
    if progress is not None:
        progress = arguments.check_bool("progress", progress)
    if client is not None and not all(hasattr(client, a) for a in ("submit", "gather", "scatter")):
        raise TypeError(f"client must be a dask.distributed.Client, got {client!r}")
    X_checked = model.check_X(X)
    if not len(X_checked):
        raise ValueError(f"X must hold at least one sample (row), got shape {X_checked.shape}")
    Y, labels = model.targets(y, len(X_checked))
    A0 = model.with_ones(X_checked)
    n_members = nx * ny
    widest = max(model.layers)
    given_chunk_size = chunk_size
    if chunk_size is None:
        chunk_size = int(np.clip(CHUNK_ACTIVATIONS // (len(A0) * widest), *CHUNK_RANGE))
    else:
        chunk_size = arguments.check_int("chunk_size", chunk_size, minimum=1)
    chunk_size = min(chunk_size, n_members)

    cores = _cores()
    processes = cores if workers is None else workers
    if workers is None and n_members * steps < PARALLEL_WORK:
        processes = 1
    n_chunks = -(-n_members // chunk_size)
    processes = max(1, min(processes, n_chunks)) if client is None else 1
    state_arrays = _state_arrays(optimizer, model)
    chunk_bytes = sum(
        resources.population_bytes(
            model.layers, chunk_size, state_arrays=state_arrays, rows=len(A0)
        ).values()
    )
    resources.check_memory(
        {
            f"results of {n_members:,} members": n_members * RESULT_BYTES,
            f"{processes} chunk(s) of {chunk_size} members": processes * chunk_bytes,
        },
        f"trainability(resolution={(ny, nx)}, steps={steps})",
        "use a smaller resolution (a map trains resolution² members), or cover the area with "
        "several zoomed maps",
    )

    x = np.logspace(np.log10(ranges[0, 0]), np.log10(ranges[0, 1]), nx)
    y_values = np.logspace(np.log10(ranges[1, 0]), np.log10(ranges[1, 1]), ny)
    job = _Job(
        model.copy(),
        A0,
        Y,
        labels,
        optimizer,
        steps,
        x,
        y_values,
        layer_groups,
        train_biases,
        threshold,
        window,
        chunk_size,
    )
    if client is not None:
        outputs = _on_cluster(client, job, n_members)
    else:
        blocks = [(a, min(a + chunk_size, n_members)) for a in range(0, n_members, chunk_size)]
        outputs = _on_this_machine(job, blocks, n_members, processes, steps, progress)
    settings = dict(
        model=model.copy(),
        X=X_checked,
        y=np.array(y),
        steps=steps,
        optimizer=optimizer,
        groups=groups,
        train_biases=train_biases,
        threshold=threshold,
        window=window,
        workers=workers,
        client=client,
        chunk_size=given_chunk_size,
        progress=progress,
    )
    return TrainabilityMap(
        x,
        y_values,
        outputs["converged"].reshape(ny, nx),
        outputs["diverged_at"].reshape(ny, nx),
        outputs["loss"].reshape(ny, nx),
        steps,
        layer_groups,
        threshold,
        window,
        settings,
        job,
    )


def _state_arrays(optimizer, model):
    """How many arrays of a layer's size the optimizer keeps (read off a tiny init)."""
    state = optimizer.init(np.zeros((1,) + model.theta[0].shape[1:]))
    count = 0
    stack = [state]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            count += 1
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
    return count


def _on_this_machine(job, blocks, n_members, processes, steps, progress):
    parallel = processes > 1 and hasattr(os, "fork")
    job.allocate(n_members, shared=parallel)
    tracker = Progress(blocks, steps, progress, shared=parallel, desc="trainability")
    job.progress = tracker
    try:
        if parallel:
            run_in_processes(job, blocks, processes, tracker)
        else:
            for block in blocks:
                job.run_block(block)
    except BaseException:  # Ctrl-C included: the workers are already stopped
        tracker.close(finished=False)
        raise
    tracker.close(finished=True)
    outputs = {name: np.array(values) for name, values in job.outputs.items()}
    job.outputs = job.progress = None  # the map keeps the job, not its shared memory
    return outputs


def _on_cluster(client, job, n_members):
    """Run the members as Dask tasks of whole chunks; gather them in order."""
    per_task = max(job.chunk_size, TASK_MEMBERS // job.chunk_size * job.chunk_size)
    try:
        workers = len(client.nthreads())
    except Exception:  # a client-like object without nthreads: one task per TASK_MEMBERS
        workers = 1
    # at least two tasks per worker, so that a slow task does not hold the others up
    while per_task > job.chunk_size and -(-n_members // per_task) < 2 * workers:
        per_task -= job.chunk_size
    ranges = [(a, min(a + per_task, n_members)) for a in range(0, n_members, per_task)]
    shared = client.scatter(job, broadcast=True)
    futures = [client.submit(_run_task, shared, a, b, pure=False) for a, b in ranges]
    try:
        parts = client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
