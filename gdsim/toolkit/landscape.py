"""The loss landscape of a trained MLP: a 2-D slice through its weights, with the path it took.

A network has hundreds of weights, so its loss cannot be drawn; a plane through the trained
weights θ* can (Li et al. 2018, tomgoldstein/loss-landscape; REFERENCE.md §6)::

    θ(a, b) = θ* + a·δx + b·δy            loss(a, b) on a grid of (a, b)

Two choices of the plane's directions δx, δy, each teaching something different:

* ``"random"``, **filter-normalized**: δ ~ N(0, 1) shaped like the weights, then every filter
  (one output unit: a column of ``W (fan_in, fan_out)``, a row of torch's ``(out, in)``) is
  rescaled to the norm of the same filter of θ*: ``δ_j ← δ_j·‖w_j‖/(‖δ_j‖ + 1e-10)``. Biases
  are zeroed (``ignore="biasbn"``) or set equal to the weights (``ignore=None``). Without this a
  step of 1 would mean very different things for large and small filters; with it, the sharpness
  of two networks can be compared. The optimizer's path barely shows on such a plane: in high
  dimension two random directions are almost orthogonal to where the optimizer went.
* ``"pca"``: the two directions along which the recorded trajectory varied most. Rows are
  ``w_i − θ*`` for every saved epoch (the start and θ* itself included, biases zeroed with
  ``"biasbn"``), centred and decomposed by SVD with scikit-learn's sign convention (``svd_flip``:
  the largest entry of each component positive). The axes show the explained-variance ratios,
  how much of the path the plane holds; the path's coordinates are its projections, so θ* is
  (0, 0). This plane shows the path, but not necessarily the walls around it.

Every grid point is a whole weight vector; they are evaluated as a population, many networks per
matrix product (``chunk`` at a time to bound memory), not point by point.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments, plotting
from gdsim.nn import MLP, Callback

__all__ = [
    "loss_landscape",
    "Landscape",
    "RecordWeights",
    "filter_normalized_directions",
    "pca_directions",
    "plot_landscape",
    "animate_landscape",
]

IGNORE = ("biasbn", None)
NORMS = ("filter", "layer", None)
_MEMORY = 64e6  # bytes of activations and weights per evaluated chunk


class RecordWeights(Callback):
    """A ``fit`` callback that keeps every member's weights before training and after each epoch:
    the optimizer's trajectory, for :func:`loss_landscape`'s PCA directions and its path.
    ``snapshots`` holds one ``model.get_weights()`` list per record."""

    def on_train_begin(self, run):
        self.single = run.model.single
        self.snapshots = [run.model.get_weights()]

    def on_epoch_end(self, epoch, logs, run):
        self.snapshots.append(run.model.get_weights())

    def trajectory(self, member=0):
        """``(epochs + 1, n_params)``: member ``member``'s weights flattened, start first."""
        if not hasattr(self, "snapshots"):
            raise ValueError(
                "RecordWeights has recorded nothing: pass it to fit(..., callbacks=[...])"
            )
        pick = (lambda w: w) if self.single else (lambda w: w[member])
        return np.stack([_flatten([pick(w) for w in snapshot]) for snapshot in self.snapshots])


def _choice(name, value, allowed):
    # check_choice's did-you-mean needs strings; these choices include None
    if value not in allowed:
        raise arguments.unknown_name_error(name, value, [str(a) for a in allowed])
    return value


def _flatten(weights):
    return np.concatenate([np.ravel(w) for w in weights])


def _unflatten(vectors, shapes):
    """``(n, P)`` flat weight vectors -> ``[W0 (n, ...), b0 (n, ...), ...]``, a population."""
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(vectors[:, start : start + size].reshape((len(vectors),) + shape))
        start += size
    return out


def _member(model, member):
    """One member's ``[W0, b0, ...]`` (Keras' layout, no population axis)."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a gdsim.nn.MLP, got {model!r}")
    member = arguments.check_int("member", member, minimum=0)
    if member >= model.population:
        raise ValueError(f"member must be < the population size {model.population}, got {member}")
    weights = model.get_weights()
    return weights if model.single else [w[member] for w in weights]


def filter_normalized_directions(weights, seed=None, norm="filter", ignore="biasbn"):
    """Two random directions shaped like ``weights`` (one member's ``[W0, b0, ...]``), each
    normalized as the module docstring says. ``norm``: ``"filter"`` (per output unit),
    ``"layer"`` (per weight matrix) or ``None``. Returns ``(δx, δy)`` as lists of arrays."""
    _choice("norm", norm, NORMS)
    _choice("ignore", ignore, IGNORE)
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    pair = []
    for _ in range(2):
        direction = []
        for w in weights:
            d = rng.standard_normal(w.shape)
            if w.ndim <= 1:
                d = np.zeros_like(w) if ignore == "biasbn" else w.copy()
            elif norm == "filter":  # axis 0 is fan_in: a column is one unit's incoming weights
                d *= np.linalg.norm(w, axis=0) / (np.linalg.norm(d, axis=0) + 1e-10)
            elif norm == "layer":
                d *= np.linalg.norm(w) / (np.linalg.norm(d) + 1e-10)
            direction.append(d)
        pair.append(direction)
    return pair[0], pair[1]


def pca_directions(trajectory, center=None, mask=None):
    """The first two principal directions of a trajectory ``(T, P)`` around ``center`` (default:
    its last row), as scikit-learn's ``PCA(n_components=2)`` computes them on the rows
    ``w_i − center`` (entries where ``mask`` is False zeroed). Returns ``(components (2, P),
    explained_variance_ratio (2,))``; the components have unit norm."""
    trajectory = np.asarray(trajectory, dtype=float)
    if trajectory.ndim != 2 or len(trajectory) < 3:
        raise ValueError(
            f"trajectory must be (T, n_params) with T >= 3 saved weights, got shape "
            f"{trajectory.shape}"
        )
    center = trajectory[-1] if center is None else np.asarray(center, dtype=float)
    rows = trajectory - center
    if mask is not None:
        rows = rows * mask
    centered = rows - rows.mean(axis=0)
    _, s, vt = np.linalg.svd(centered, full_matrices=False)
    # svd_flip as scikit-learn's PCA (u_based_decision=False): each component's largest |entry| > 0
    vt *= np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])[:, None]
    variance = s**2 / (len(rows) - 1)
    if not variance.sum() > 0:
        raise ValueError("the trajectory never moved: there are no directions to find")
    return vt[:2], variance[:2] / variance.sum()


class Landscape:
    """The computed slice: ``loss[j, i]`` and ``accuracy[j, i]`` at ``(a[i], b[j])`` (rows are
    the y axis, as in ``contour``); ``path (T, 2)`` the trajectory's coordinates and
    ``path_loss (T,)`` its true loss; ``center`` θ* and ``center_loss``; ``directions``
    ``(δx, δy)`` as weight lists; ``explained_variance_ratio``
    for PCA. It also quacks like a gdsim Surface (``grid``, ``bounds``, ``minima``), so
    ``gdsim.plotting.contour(landscape)`` draws it in the package's style.
    """

    def __init__(
        self, kind, a, b, loss, accuracy, center, center_loss, directions, path, path_loss, ratio
    ):
        self.kind, self.a, self.b, self.loss, self.accuracy = kind, a, b, loss, accuracy
        self.center, self.center_loss, self.directions = center, center_loss, directions
        self.path, self.path_loss, self.explained_variance_ratio = path, path_loss, ratio
        self.name = f"loss landscape ({kind} directions)"
        self.bounds = ((float(a[0]), float(a[-1])), (float(b[0]), float(b[-1])))
        self.minima = np.zeros((1, 2))  # θ*: the trained weights, at the origin
        self.minima_values = np.array([self.center_loss])
        self.saddles = np.zeros((0, 2))

    def grid(self, n=None):
        """``(A, B, loss)`` meshgrids; ``n`` is ignored (the resolution was fixed when computed)."""
        A, B = np.meshgrid(self.a, self.b)
        return A, B, self.loss

    def value_xy(self, x, y):
        """The loss at the grid node nearest to each ``(x, y)``."""
        i = np.abs(np.asarray(x)[..., None] - self.a).argmin(-1)
        j = np.abs(np.asarray(y)[..., None] - self.b).argmin(-1)
        return self.loss[j, i]

    def axis_labels(self):
        if self.explained_variance_ratio is None:
            return (
                "δx (filter-normalized random direction)",
                "δy (filter-normalized random direction)",
            )
        r1, r2 = self.explained_variance_ratio
        return f"PC1: {100 * r1:.1f}% of the path's variance", f"PC2: {100 * r2:.1f}%"

    def __repr__(self):
        path = "" if self.path is None else f", path of {len(self.path)} points"
        return (
            f"Landscape({self.kind}, {len(self.a)}x{len(self.b)} grid over {self.bounds}, "
            f"loss at θ* {self.center_loss:.4g}{path})"
        )


def _evaluator(model, X, y, shapes, chunk):
    """A function ``(n, rows) -> (loss (n,), accuracy (n,))`` where ``rows(part)`` gives the flat
    weight vectors of the points in ``part``: each chunk of them becomes one MLP population,
    scored by one ``evaluate`` (one forward pass), so memory stays bounded however fine the grid."""
    X = model.check_X(X)
    model.targets(y, len(X))  # bad labels fail here, before any work
    if chunk is None:  # activations and weight copies per point
        per_point = 8 * 3 * (len(X) * max(model.layers) + sum(int(np.prod(s)) for s in shapes))
        chunk = max(1, int(_MEMORY // per_point))
    chunk = arguments.check_int("chunk", chunk, minimum=1)
    populations = {}

    def evaluate(n, rows):
        loss, acc = np.empty(n), np.empty(n)
        for start in range(0, n, chunk):
            part = slice(start, min(start + chunk, n))
            size = part.stop - part.start
            if size not in populations:  # at most two sizes: full chunks and the rest
                populations[size] = MLP(
                    model.layers,
                    activation=model.activation,
                    output=model.output,
                    loss=model.loss,
                    population=size,
                    seed=0,
                )
            population = populations[size]
            population.set_weights(_unflatten(rows(part), shapes))
            scores = population.evaluate(X, y)
            loss[part], acc[part] = scores["loss"], scores["accuracy"]
        return loss, acc

    return evaluate


def _extent(extent, path, kind):
    if extent is None:
        if kind != "pca":
            return (-1.0, 1.0), (-1.0, 1.0)
        low, high = np.minimum(path.min(0), 0), np.maximum(path.max(0), 0)
        pad = np.maximum(0.25 * (high - low), 1e-3)
        return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])
    if np.ndim(extent) == 0:
        s = float(arguments.check_positive("extent", extent))
        return (-s, s), (-s, s)
    return arguments.check_bounds("extent", extent)


def _trajectory(trajectory, member, n_params):
    if trajectory is None:
        return None
    if isinstance(trajectory, RecordWeights):
        return trajectory.trajectory(member)
    if (
        isinstance(trajectory, (list, tuple))
        and len(trajectory)
        and isinstance(trajectory[0], (list, tuple))
    ):
        trajectory = np.stack([_flatten(w) for w in trajectory])  # a list of get_weights() lists
    trajectory = np.asarray(trajectory, dtype=float)
    if trajectory.ndim != 2 or trajectory.shape[1] != n_params:
        raise ValueError(
            f"trajectory must be (T, {n_params}) flattened weights, a RecordWeights "
            f"or a list of weight lists, got shape {trajectory.shape}"
        )
    return trajectory


def loss_landscape(
    model,
    X,
    y,
    *,
    directions="random",
    trajectory=None,
    member=0,
    resolution=25,
    extent=None,
    seed=0,
    norm="filter",
    ignore="biasbn",
    chunk=None,
):
    """The loss of ``model`` (member ``member`` of a population) on ``(X, y)`` over a plane
    through its current, trained weights; see the module docstring.

    ``directions``: ``"random"`` (filter-normalized), ``"pca"`` (needs ``trajectory``) or a pair
    ``(δx, δy)`` of weight lists or flat vectors. ``trajectory``: a :class:`RecordWeights` passed
    to ``fit``, ``(T, n_params)`` flat weights, or a list of ``get_weights()`` lists; it is
    projected onto the plane (least squares; for PCA's orthonormal directions the plain dot
    products). ``extent``: ``((x0, x1), (y0, y1))`` or a half-width; by default ±1 for random
    directions and the path's box plus 25% for PCA. ``resolution`` points per axis.
    Returns a :class:`Landscape`.
    """
    resolution = arguments.check_int("resolution", resolution, minimum=2)
    seed = arguments.check_seed("seed", seed)
    weights = _member(model, member)
    shapes = [w.shape for w in weights]
    center = _flatten(weights)
    path = _trajectory(trajectory, member, len(center))
    ratio = None
    if isinstance(directions, str):
        arguments.check_choice("directions", directions, ["random", "pca"])
        kind = directions
        _choice("ignore", ignore, IGNORE)
        if kind == "random":
            dx, dy = (
                _flatten(d) for d in filter_normalized_directions(weights, seed, norm, ignore)
            )
        else:
            if path is None:
                raise ValueError(
                    "directions='pca' needs the trajectory: pass trajectory=RecordWeights() "
                    "(given to fit as a callback) or the saved weights"
                )
            mask = (
                None
                if ignore is None
                else _flatten([np.full(s, len(s) > 1, float) for s in shapes])
            )
            (dx, dy), ratio = pca_directions(path, center, mask)
    else:
        kind = "custom"
        dx, dy = (
            np.asarray(_flatten(d) if isinstance(d, (list, tuple)) else d, dtype=float)
            for d in directions
        )
        if dx.shape != center.shape or dy.shape != center.shape:
            raise ValueError(
                f"custom directions must have {len(center)} entries each, got "
                f"{dx.shape} and {dy.shape}"
            )
    plane = np.stack([dx, dy], axis=1)
    coords = None
    if path is not None:
        coords = np.linalg.lstsq(plane, (path - center).T, rcond=None)[0].T
    (x0, x1), (y0, y1) = _extent(extent, coords, kind)
    a, b = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    A, B = (g.reshape(-1, 1) for g in np.meshgrid(a, b))
    evaluate = _evaluator(model, X, y, shapes, chunk)
    loss, accuracy = evaluate(len(A), lambda part: center + A[part] * dx + B[part] * dy)
    path_loss = None if path is None else evaluate(len(path), lambda part: path[part])[0]
    center_loss = float(evaluate(1, lambda part: center[None])[0][0])
    directions = tuple([d[0] for d in _unflatten(v[None], shapes)] for v in (dx, dy))
    shape = (len(b), len(a))
    return Landscape(
        kind,
        a,
        b,
        loss.reshape(shape),
        accuracy.reshape(shape),
        weights,
        center_loss,
        directions,
        coords,
        path_loss,
        ratio,
    )


def plot_landscape(result, ax=None, *, levels=15, log=True, path=True, label="path (projected)"):
    """Contours of the slice in the package's landscape style (darker is lower; θ* is the white
    star) with the projected path: hollow circle at the start, dot at the end.

    What it teaches: how wide and how round the valley around the trained weights is, and (with
    PCA directions) how the optimizer spiralled or zig-zagged into it.
    Returns ``Drawn(ax, background, path, start, end)`` (``path`` etc. None without a path).
    """
    if not isinstance(result, Landscape):
        raise TypeError(f"result must be a Landscape from loss_landscape, got {result!r}")
    background = plotting.contour(result, ax=ax, levels=levels, log=log, saddles=False)
    ax = background.ax
    # the star is the weights the slice is centred on, not a minimum: say so on it
    ax.annotate(
        "θ*: the weights the slice is centred on",
        (0.0, 0.0),
        xytext=(0, -14),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=plotting.FONT_SIZE - 1,
        zorder=6,
        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8),
    )
    drawn = plotting.Drawn(ax=ax, background=background, path=None, start=None, end=None)
    if path and result.path is not None:
        c = plotting.color(0)
        x, y = result.path[:, 0], result.path[:, 1]
        drawn["path"] = ax.plot(
            x, y, color=c, lw=plotting.LINE_WIDTH, zorder=3, label=label, solid_capstyle="round"
        )[0]
        drawn["start"] = ax.plot(x[:1], y[:1], "o", mfc="white", mec=c, mew=1.5, ms=7, zorder=4)[0]
        drawn["end"] = ax.plot(x[-1:], y[-1:], "o", color=c, mec="white", mew=0.8, ms=6, zorder=5)[
            0
        ]
        ax.legend(loc="upper right", framealpha=0.9)
    xlabel, ylabel = result.axis_labels()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return plotting.finish(drawn)


def animate_landscape(result, *, fps=10, hold=1.5, levels=15, log=True):
    """The path drawn over the slice epoch by epoch, with the epoch and its true loss.

    Returns a :class:`gdsim.plotting.Animation` (``save("path.gif")``, plays in Jupyter).
    """
    if not isinstance(result, Landscape) or result.path is None:
        raise ValueError("animate_landscape needs a Landscape computed with a trajectory")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gdsim.plotting.movies import Animation
    from gdsim.plotting.player import Scene

    # a figure of its own, outside pyplot, as gdsim.animate builds: in Jupyter only the player shows
    with plotting.style():
        figure = Figure(figsize=plotting.FIGSIZE, layout="constrained")
        FigureCanvasAgg(figure)
        drawn = plot_landscape(result, figure.add_subplot(), levels=levels, log=log, path=False)
    ax, path = drawn.ax, result.path
    (trail,) = ax.plot(
        [], [], color=plotting.color(0), lw=plotting.LINE_WIDTH, zorder=3, solid_capstyle="round"
    )
    (head,) = ax.plot([], [], "o", color=plotting.color(0), ms=8, zorder=5)
    text = ax.text(
        0.02,
        0.97,
        "",
        transform=ax.transAxes,
        va="top",
        fontsize=plotting.FONT_SIZE,
        bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"),
    )

    def update(i):
        trail.set_data(path[: i + 1, 0], path[: i + 1, 1])
        head.set_data(path[i : i + 1, 0], path[i : i + 1, 1])
        text.set_text(f"epoch {i}   loss {result.path_loss[i]:.4g}")
        return trail, head, text

    # the numbers, for the browser player: one path, its true loss, epoch by epoch
    epochs = np.arange(len(path))
    track = plotting.Drawn(
        label="the training path",
        positions=path[:, None],
        diverged=[False],
        losses=np.asarray(result.path_loss)[:, None],
        reached=np.array([-1]),
        lrs=np.zeros((0, 1)),
        lr_steps=np.zeros(0, int),
        steps=epochs,
    )
    scene = Scene(
        surface=result,
        runs=[],
        groups=[track],
        colors=[[plotting.color(0)]],
        mains=[ax],
        sides={},
        last=len(path) - 1,
        clock="epoch",
        outcomes=False,
    )
    return Animation(figure, update, [trail, head, text], epochs, fps, hold, scene=scene)
