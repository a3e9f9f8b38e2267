"""The seed tutorial's five learning-rate experiments, one call each (seed 004, REFERENCE.md §7).

Every experiment uses the tutorial's exact data and model: ``make_blobs(1000, centers=3,
n_features=2, cluster_std=2, random_state=2)``, the first 500 rows to train and the last 500 as the
validation ("test") set, an MLP 2-50-3 (relu, he_uniform; softmax, glorot_uniform), categorical
cross-entropy, batch size 32 (16 updates per epoch), 200 epochs. Its numerics are Keras 2.3's, the
Keras the tutorial ran (REFERENCE.md §2.3): SGD with momentum in parameter units, time decay
``lr/(1 + decay·iteration)`` per update, RMSprop and Adagrad with ε outside the square root
(gdsim's PyTorch convention with Keras 2.3's values reproduces them exactly), Adam with
"epsilon hat".

The whole grid trains as one population: ``seeds=n`` gives every condition n independent
repetitions, and the repetitions with the same seed start from the same weights and see the
batches in the same order in every condition, so conditions differ only in what is being swept.
Each call returns an :class:`Experiment`; ``plot`` draws it as the tutorial's grid of panels.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import numpy as np

from gdsim import arguments, datasets, plotting
from gdsim.nn import MLP, LRRule, fit
from gdsim.optimizers import SGD, Adagrad, Adam, RMSprop
from gdsim.schedules import time_decay
from gdsim.schedules.plateau import ReduceLROnPlateau

__all__ = [
    "Experiment",
    "tutorial_data",
    "learning_rate_sweep",
    "momentum_sweep",
    "decay_sweep",
    "plateau_patience_sweep",
    "adaptive_optimizers",
    "plot",
    "write_figure",
    "FIGURES",
]

TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#ff7f0e"  # the tutorial's blue (train) and orange (test)


def tutorial_data():
    """``X_train, X_test, y_train, y_test``: the tutorial's blobs, first half / second half."""
    X, y = datasets.blobs(1000, centers=3, n_features=2, cluster_std=2, seed=2)
    return datasets.train_test_split(X, y, test_size=0.5, shuffle=False)


def _nanmean(values, axis):
    """Mean over the finite entries (diverged runs are left out) without NaN warnings."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    count = finite.sum(axis=axis)
    total = np.where(finite, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclass
class Experiment:
    """One experiment's results: ``history`` arrays are ``(epochs, n_conditions, n_seeds)``."""

    name: str
    title: str
    parameter: str
    values: list
    labels: list
    seeds: list
    history: object

    def mean(self, key):
        """``(epochs, n_conditions)``: ``history[key]`` averaged over the seeds (finite runs
        only)."""
        return _nanmean(self.history[key], axis=2)

    def final(self, key, last=10):
        """``(n_conditions,)``: the mean over the last ``last`` epochs and the seeds."""
        return _nanmean(
            self.history[key][-last:].transpose(1, 0, 2).reshape(len(self.values), -1), axis=1
        )

    def index(self, value):
        """The condition index of ``value`` (e.g. ``exp.index(0.1)``)."""
        for i, v in enumerate(self.values):
            if v == value:
                return i
        raise ValueError(f"{value!r} is not one of the {self.parameter} values {self.values}")

    def __repr__(self):
        return (
            f"Experiment({self.name!r}: {self.parameter} in {self.values}, "
            f"{len(self.seeds)} seed(s), {self.history.loss.shape[0]} epochs)"
        )


def _seeds(seeds):
    if isinstance(seeds, (list, tuple, np.ndarray)):
        seeds = [arguments.check_int("seeds", s, minimum=0) for s in seeds]
        if not seeds:
            raise ValueError("seeds must be a number of repetitions or a non-empty list of seeds")
        return seeds
    return list(range(arguments.check_int("seeds", seeds, minimum=1)))


def _run(name, title, parameter, values, labels, optimizer, seeds, epochs, verbose, callbacks=()):
    """Train every (condition, seed) pair as one population; member c·S + s is
    (condition c, seed s)."""
    seeds = _seeds(seeds)
    epochs = arguments.check_int("epochs", epochs, minimum=1)
    X_train, X_test, y_train, y_test = tutorial_data()
    C, S = len(values), len(seeds)
    model = MLP(
        [2, 50, 3],
        activation="relu",
        init="he_uniform",
        output_init="glorot_uniform",
        population=C * S,
        seed=np.tile(seeds, C),
    )
    history = fit(
        model,
        optimizer(S) if callable(optimizer) else optimizer,
        X_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        validation_data=(X_test, y_test),
        callbacks=callbacks(S) if callable(callbacks) else callbacks,
        verbose=verbose,
    )
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return Experiment(name, title, parameter, values, labels, seeds, history.reshape(C, S))


def _per_member(values, S):
    return np.repeat(np.asarray(values, dtype=float), S)


def learning_rate_sweep(seeds=1, epochs=200, lrs=tuple(10.0 ** -np.arange(8)), verbose=0):
    """SGD (no momentum) at learning rates 1e0 ... 1e-7."""
    return _run(
        "lr-sweep",
        "Learning rate",
        "lr",
        lrs,
        [f"lr={v:g}" for v in lrs],
        lambda S: SGD(lr=_per_member(lrs, S), convention="keras"),
        seeds,
        epochs,
        verbose,
    )


def momentum_sweep(seeds=1, epochs=200, momenta=(0.0, 0.5, 0.9, 0.99), lr=0.01, verbose=0):
    """SGD at lr 0.01 with momentum 0, 0.5, 0.9, 0.99 (Keras' m ← μm − ηg; θ ← θ + m)."""
    return _run(
        "momentum",
        "Momentum",
        "momentum",
        momenta,
        [f"momentum={v:g}" for v in momenta],
        lambda S: SGD(lr=lr, momentum=_per_member(momenta, S), convention="keras"),
        seeds,
        epochs,
        verbose,
    )


def decay_sweep(seeds=1, epochs=200, decays=(1e-1, 1e-2, 1e-3, 1e-4), lr=0.01, verbose=0):
    """SGD with Keras 2's time-based decay lr/(1 + decay·iteration), iteration = update index."""
    return _run(
        "decay",
        "Learning-rate decay",
        "decay",
        decays,
        [f"decay={v:g}" for v in decays],
        lambda S: SGD(lr=time_decay(lr, _per_member(decays, S)), convention="keras"),
        seeds,
        epochs,
        verbose,
    )


def plateau_patience_sweep(seeds=1, epochs=200, patiences=(2, 5, 10, 15), lr=0.01, verbose=0):
    """SGD at lr 0.01 with ReduceLROnPlateau(monitor='val_loss', factor=0.1, min_delta=1e-7) at
    patience 2, 5, 10, 15: one rule per condition, each steering its own members."""

    def callbacks(S):
        return [
            LRRule(
                ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=p, min_delta=1e-7),
                members=slice(c * S, (c + 1) * S),
            )
            for c, p in enumerate(patiences)
        ]

    return _run(
        "plateau",
        "ReduceLROnPlateau patience",
        "patience",
        patiences,
        [f"patience={p}" for p in patiences],
        SGD(lr=lr, convention="keras"),
        seeds,
        epochs,
        verbose,
        callbacks,
    )


ADAPTIVE = ("sgd", "rmsprop", "adagrad", "adam")


def _keras23(name):
    """The optimizer Keras 2.3 builds from the string ``name`` (its defaults, §2.3)."""
    return {
        "sgd": SGD(lr=0.01, convention="keras"),
        "rmsprop": RMSprop(lr=0.001, alpha=0.9, eps=1e-7),
        "adagrad": Adagrad(lr=0.01, initial_accumulator_value=0.0, eps=1e-7),
        "adam": Adam(lr=0.001, eps=1e-7, convention="keras"),
    }[name]


def adaptive_optimizers(seeds=1, epochs=200, names=ADAPTIVE, verbose=0):
    """'sgd', 'rmsprop', 'adagrad', 'adam' with Keras 2.3's defaults, side by side in one
    population."""
    for n in names:
        arguments.check_choice("optimizer name", n, ADAPTIVE)
    return _run(
        "adaptive",
        "Optimizer",
        "optimizer",
        list(names),
        list(names),
        [_keras23(n) for n in names],
        seeds,
        epochs,
        verbose,
    )


# -- figures ---------------------------------------------------------------------------------------


def _grid(n, axes, rows=1):
    if axes is not None:
        axes = np.asarray(axes).reshape(-1)
        if len(axes) < n * rows:
            raise ValueError(f"axes must hold at least {n * rows} Axes, got {len(axes)}")
        return axes[0].figure, axes
    import matplotlib.pyplot as plt

    cols = n if rows > 1 else min(n, 4)
    rows = rows if rows > 1 else -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False, constrained_layout=True
    )
    return fig, axes.reshape(-1)


def _curves(ax, experiment, c, key, color, label):
    """Each seed thin, their mean bold (a single seed is just one line). Learning rates are
    averaged geometrically: they are drawn on a log axis, where one seed's large lr would
    otherwise dominate an arithmetic mean."""
    data = experiment.history[key][:, c, :]
    epochs = np.arange(1, len(data) + 1)
    if data.shape[1] > 1:
        for run in data.T:
            ax.plot(epochs, run, color=color, alpha=0.25, linewidth=0.8)
    if key == "lr":
        with np.errstate(divide="ignore"):
            center = np.exp(_nanmean(np.log(data), axis=1))
    else:
        center = experiment.mean(key)[:, c]
    ax.plot(epochs, center, color=color, label=label, linewidth=1.5)


def _epoch_axis(ax, epochs):
    """Epochs 1..n with a few round ticks: neighbouring panels' tick labels never touch."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(1, epochs)
    ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))


def plot(experiment, metric="accuracy", axes=None):
    """The tutorial's figure: one panel per condition, train (blue) and test (orange) ``metric``.

    For the plateau sweep pass ``metric="plateau"`` for its three figures in one: rows of lr,
    training loss and training accuracy, one column per patience. Returns the Figure."""
    if metric == "plateau":
        return _plot_series(experiment, ("lr", "loss", "accuracy"), axes)
    arguments.check_choice("metric", metric, ["accuracy", "loss", "plateau"])
    C = len(experiment.values)
    fig, axes = _grid(C, axes)
    for c, ax in enumerate(axes[:C]):
        _curves(ax, experiment, c, metric, TRAIN_COLOR, "train")
        _curves(ax, experiment, c, f"val_{metric}", TEST_COLOR, "test")
        ax.set_title(experiment.labels[c])
        ax.set_xlabel("epoch")
        _epoch_axis(ax, len(experiment.history[metric]))
        if metric == "accuracy":
            ax.set_ylim(0, 1)
    axes[0].set_ylabel(metric)
    # outside the panels, so it covers no curve
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False
    )
    for ax in axes[C:]:
        ax.set_visible(False)
    fig.suptitle(
        f"{experiment.title}: train and test {metric}"
        + (f" ({len(experiment.seeds)} seeds, mean bold)" if len(experiment.seeds) > 1 else "")
    )
    return plotting.finish(fig)


def _plot_series(experiment, keys, axes):
    C = len(experiment.values)
    fig, axes = _grid(C, axes, rows=len(keys))
    for r, key in enumerate(keys):
        for c in range(C):
            ax = axes[r * C + c]
            _curves(ax, experiment, c, key, TRAIN_COLOR, key)
            if key == "lr":
                ax.set_yscale("log")
            _epoch_axis(ax, len(experiment.history[key]))
            if r == 0:
                ax.set_title(experiment.labels[c])
            if c == 0:
                ax.set_ylabel(
                    {"lr": "learning rate", "loss": "train loss", "accuracy": "train accuracy"}.get(
                        key, key
                    )
                )
            if r == len(keys) - 1:
                ax.set_xlabel("epoch")
    fig.suptitle(f"{experiment.title}: learning rate, training loss and accuracy")
    return plotting.finish(fig)


FIGURES = {
    "lr-sweep": (learning_rate_sweep, "accuracy"),
    "momentum": (momentum_sweep, "accuracy"),
    "decay": (decay_sweep, "accuracy"),
    "plateau": (plateau_patience_sweep, "plateau"),
    "adaptive": (adaptive_optimizers, "accuracy"),
}


def figure(name, seeds=1, epochs=200, figsize=None, experiment=None):
    """Run experiment ``name`` (``lr-sweep``, ``momentum``, ``decay``, ``plateau``, ``adaptive``)
    and return its figure (a matplotlib Figure, not shown by pyplot); with ``experiment`` (the
    result of that experiment's function) draw it without running it again."""
    from matplotlib.figure import Figure

    name = arguments.check_choice("figure", name, FIGURES)
    run, metric = FIGURES[name]
    if experiment is None:
        experiment = run(seeds=seeds, epochs=epochs)
    rows = 3 if metric == "plateau" else -(-len(experiment.values) // 4)
    cols = len(experiment.values) if metric == "plateau" else min(len(experiment.values), 4)
    with plotting.style():
        fig = Figure(
            figsize=figsize or (min(3.2 * cols, 13.0), 2.9 * rows + 0.6), layout="constrained"
        )
        axes = fig.subplots(rows, cols, squeeze=False)
        plot(experiment, metric, axes=axes)
    return fig


def write_figure(name, out=None, seeds=1, epochs=200):
    """Run experiment ``name`` and write its figure to ``out`` (default ``NAME.png``; the
    suffix picks the format). Returns the path written. Uses no GUI backend."""
    fig = figure(name, seeds=seeds, epochs=epochs)
    path = pathlib.Path(out if out is not None else f"{name}.png")
    fig.savefig(path)
    return path
