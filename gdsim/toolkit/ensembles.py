"""Snapshot ensembles (Huang et al. 2017): many models for the price of one training run.

Cosine annealing with restarts drives the network into a minimum at the end of every cycle and
kicks it out at the restart; a copy of the weights ("snapshot") taken at each cycle's end, where
the lr is lowest, gives M different models, and averaging their softmax outputs usually beats
every one of them::

    snapshots = SnapshotEnsemble(n_cycles=10, lr_max=0.01)
    fit(model, gdsim.SGD(lr=0.01, momentum=0.9), X, y, epochs=500, callbacks=[snapshots])
    snapshots.ensemble(last=3).predict(X_test)       # the three latest snapshots, averaged

The schedule (REFERENCE.md §6): B epochs in M cycles, each ``c = ⌊B/M⌋`` epochs long, the last
one taking the remainder (the official code's lengths, ``train.lua``). Within a cycle of ``T``
updates starting at update ``t_0``::

    lr(t) = lr_max/2 · (1 + cos(π · (t − t_0)/T))

``per="batch"`` steps ``t`` per update (the paper and the official code); ``per="epoch"`` per
epoch, as the MLM Keras tutorial (``lr(e) = lr_max/2 · (cos(π (e mod c)/c) + 1)``). A snapshot is
the weights at the end of each cycle's last epoch, before the restart (MLM: when
``(e + 1) mod c = 0``). Where B is not a multiple of M the last cycle restarts its cosine at its
own start (the official code's ``(epoch−1) mod nEpochs_last`` does not, a slip noted in
REFERENCE.md §6).

The experiment :func:`snapshot_experiment` reproduces the MLM snapshot tutorial (§7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdsim import arguments, datasets
from gdsim.nn.callbacks import Callback
from gdsim.nn.mlp import MLP
from gdsim.nn.training import fit
from gdsim.optimizers import SGD
from gdsim.plotting import theme

__all__ = ["SnapshotEnsemble", "Ensemble", "snapshot_experiment", "SnapshotResult"]


class SnapshotEnsemble(Callback):
    """Cosine cycles with a snapshot of the weights at the end of each (see the module doc).

    It sets the lr itself, so the optimizer's lr must be a constant (it is ignored). After
    training: ``snapshots`` (per-layer ``θ`` of every member, one list per snapshot),
    ``snapshot_epochs``, ``lrs`` (the lr of every update, ``(updates,)``), :meth:`models`
    and :meth:`ensemble`. Every member of a population is snapshotted alike.
    """

    sets_lr = True

    def __init__(self, n_cycles, lr_max, per="batch"):
        self.n_cycles = arguments.check_int("n_cycles", n_cycles, minimum=1)
        arguments.check_positive("lr_max", lr_max)
        if np.ndim(lr_max):
            raise TypeError(f"lr_max must be a single number, got shape {np.shape(lr_max)}")
        self.lr_max = float(lr_max)
        self.per = arguments.check_choice("per", per, ["batch", "epoch"])

    def on_train_begin(self, run):
        epochs = run.epochs
        if epochs < self.n_cycles:
            raise ValueError(
                f"n_cycles must be <= epochs, got n_cycles={self.n_cycles} with epochs={epochs}"
            )
        length = epochs // self.n_cycles
        self.cycle_starts = [c * length for c in range(self.n_cycles)]
        self.cycle_lengths = [length] * (self.n_cycles - 1) + [
            epochs - length * (self.n_cycles - 1)
        ]
        self.snapshot_epochs, self.snapshots, self._lrs = [], [], []
        self._model = run.model

    def lr_at(self, epoch, batch=0, batches_per_epoch=1):
        """The lr of update ``batch`` of epoch ``epoch`` (``batch`` ignored with
        ``per="epoch"``)."""
        c = min(epoch // self.cycle_lengths[0], self.n_cycles - 1)
        if self.per == "epoch":
            position, total = epoch - self.cycle_starts[c], self.cycle_lengths[c]
        else:
            position = (epoch - self.cycle_starts[c]) * batches_per_epoch + batch
            total = self.cycle_lengths[c] * batches_per_epoch
        return self.lr_max / 2 * (np.cos(np.pi * position / total) + 1)

    def on_batch_begin(self, iteration, run):
        n = run.batches_per_epoch
        epoch, batch = divmod(iteration, n)
        lr = self.lr_at(epoch, batch, n)
        if self.per == "batch" or batch == 0:
            run.set_lr(lr)
        self._lrs.append(lr)

    def on_epoch_end(self, epoch, logs, run):
        c = min(epoch // self.cycle_lengths[0], self.n_cycles - 1)
        if epoch + 1 == self.cycle_starts[c] + self.cycle_lengths[c]:
            self.snapshots.append(run.weights())
            self.snapshot_epochs.append(epoch)

    @property
    def lrs(self):
        return np.array(self._lrs)

    def models(self):
        """One MLP per snapshot (oldest first), each a copy of the trained model's population."""
        out = []
        for theta in self.snapshots:
            model = self._model.copy()
            model.theta = [t.copy() for t in theta]
            out.append(model)
        return out

    def ensemble(self, last=None):
        """The :class:`Ensemble` of the ``last`` latest snapshots (all by default)."""
        models = self.models()
        if last is not None:
            last = arguments.check_int("last", last, minimum=1)
            if last > len(models):
                raise ValueError(
                    f"last must be <= the number of snapshots ({len(models)}), got {last}"
                )
            models = models[-last:]
        return Ensemble(models)


class Ensemble:
    """Models whose predicted probabilities are averaged (the official code and MLM sum them,
    which picks the same class). ``models`` share one architecture and population size; a
    population of K gives K ensembles side by side, member k of every model forming ensemble k.
    """

    def __init__(self, models):
        if isinstance(models, (MLP, str, bytes)) or not np.iterable(models):
            raise TypeError(f"models must be a list of gdsim MLPs, got {models!r}")
        models = list(models)
        if not models:
            raise ValueError("models must hold at least one model for an Ensemble, got []")
        first = models[0]
        for m in models:
            if not isinstance(m, MLP):
                raise TypeError(f"models must be gdsim MLPs, got {m!r} among them")
            if (
                m.layers != first.layers
                or m.population != first.population
                or m.single != first.single
            ):
                raise ValueError("models of an Ensemble must share layers and population size")
        self.models = models

    def __len__(self):
        return len(self.models)

    def predict_proba(self, X):
        """The mean of the members' outputs: ``(K, n, C)`` (``(n, C)`` for single networks)."""
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    def predict(self, X):
        """Class labels from the averaged probabilities (argmax; ``> 0.5`` for one sigmoid
        output)."""
        p = self.predict_proba(X)
        if p.shape[-1] == 1:
            return (p[..., 0] > 0.5).astype(np.int64)
        return np.argmax(p, axis=-1)

    def accuracy(self, X, y):
        """Fraction of rows whose averaged prediction is the label: ``(K,)`` (a float for single
        networks). ``y`` holds labels or one-hot rows."""
        y = np.asarray(y)
        labels = np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
        correct = self.predict(X) == labels
        return correct.mean(axis=-1) if correct.ndim > 1 else float(correct.mean())


# -- the MLM snapshot tutorial ---------------------------------------------------------------------


def tutorial_data():
    """``X_train, X_test, y_train, y_test``: ``make_blobs(1100, centers=3, n_features=2,
    cluster_std=2, random_state=2)``, the first 100 rows to train, the other 1000 to test."""
    X, y = datasets.blobs(1100, centers=3, n_features=2, cluster_std=2, seed=2)
    return X[:100], X[100:], y[:100], y[100:]


@dataclass
class SnapshotResult:
    """What :func:`snapshot_experiment` measured, ``S`` = number of seeds.

    ``single[i]`` is the test accuracy of snapshot ``i`` (oldest first), ``(M, S)``;
    ``ensemble[n−1]`` that of the ensemble of the ``n`` latest snapshots, ``(M, S)``;
    ``history`` the training History ``(epochs, S)``; ``snapshot_epochs``; ``lrs`` per update.
    """

    seeds: list
    history: object
    snapshot_epochs: list
    lrs: np.ndarray
    single: np.ndarray
    ensemble: np.ndarray
    batches_per_epoch: int

    def table(self):
        """Text: each snapshot's accuracy and the ensembles of the latest n, as in the tutorial."""
        lines = []
        M = len(self.single)
        for n in range(1, M + 1):
            single = self.single[M - n]
            lines.append(
                f"> {n:2d}: single={np.mean(single):.3f}, "
                f"ensemble={np.mean(self.ensemble[n - 1]):.3f}"
            )
        lines.append(f"singles: {np.mean(self.single):.3f} ± {np.std(self.single):.3f}")
        return "\n".join(lines)

    def plot(self, axes=None, member=None):
        """Left: the lr per update with the snapshots marked, and the test accuracy per epoch.
        Right: the tutorial's figure, single snapshots (dots, latest first) against the
        ensembles of the latest n (line). Means over the seeds unless ``member`` is given.
        Returns ``Drawn(axes, lr, snapshots, accuracy, single, ensemble)``."""
        if axes is None:
            import matplotlib.pyplot as plt

            with theme.style():
                fig = plt.figure(figsize=(12.5, 4.6), layout="constrained")
                axes = fig.subplots(1, 2)
        left, right = axes
        pick = (lambda a: np.mean(a, axis=-1)) if member is None else (lambda a: a[..., member])
        steps = np.arange(len(self.lrs)) / self.batches_per_epoch
        lr = left.plot(steps, self.lrs, color=theme.color(0), lw=1.5, label="learning rate")[0]
        marks = left.plot(
            np.array(self.snapshot_epochs) + 1,
            [self.lrs[(e + 1) * self.batches_per_epoch - 1] for e in self.snapshot_epochs],
            "v",
            color="black",
            ms=8,
            label="snapshot",
            zorder=5,
        )[0]
        left.set_xlabel("epoch")
        left.set_ylabel("learning rate")
        twin = left.twinx()
        accuracy = twin.plot(
            np.arange(1, len(self.history.epoch) + 1),
            pick(self.history.val_accuracy),
            color=theme.color(1),
            lw=1,
            alpha=0.8,
            label="test accuracy",
        )[0]
        twin.set_ylabel("test accuracy")
        values = pick(self.history.val_accuracy)
        values = values[np.isfinite(values)]
        if values.size:
            # the first epochs' low accuracy would flatten the rest of the curve
            low, high = np.percentile(values, 5), values.max()
            twin.set_ylim(low - 0.5 * (high - low), high + 0.1 * (high - low) + 1e-3)
        left.legend(
            handles=[lr, marks, accuracy],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=3,
            framealpha=0.9,
        )
        left.set_title("cosine cycles and snapshots")
        M = len(self.single)
        n = np.arange(1, M + 1)
        single = right.plot(
            n,
            pick(self.single[::-1]),
            "o",
            color=theme.color(0),
            label="single snapshot (n-th latest)",
        )[0]
        ensemble = right.plot(
            n, pick(self.ensemble), "-", color=theme.color(1), label="ensemble of the n latest"
        )[0]
        right.set_xlabel("n")
        right.set_ylabel("test accuracy")
        right.set_title("snapshots and their ensembles")
        right.legend(loc="best", framealpha=0.9)
        return theme.finish(
            theme.Drawn(
                axes=axes,
                lr=lr,
                snapshots=marks,
                accuracy=accuracy,
                single=single,
                ensemble=ensemble,
            )
        )


def snapshot_experiment(seeds=1, epochs=500, n_cycles=10, lr_max=0.01, per="epoch", verbose=0):
    """The MLM snapshot-ensemble tutorial on blobs (REFERENCE.md §7): ``make_blobs(1100, ...)``,
    100 rows to train and 1000 to test, an MLP 2-25-3 (relu; Keras' default glorot_uniform in
    both layers, zero biases), categorical cross-entropy, SGD(lr_max, momentum 0.9) in Keras'
    convention, batches of 32, ``epochs`` epochs in ``n_cycles`` cosine cycles stepped ``per``
    epoch (the tutorial's Keras callback). Each seed is one member of a population.
    The tutorial reports singles 0.809 ± 0.008 and the best ensemble (n = 3) at 0.822.
    Returns a :class:`SnapshotResult`.
    """
    if isinstance(seeds, (list, tuple, np.ndarray)):
        seeds = [arguments.check_int("seeds", s, minimum=0) for s in seeds]
    else:
        seeds = list(range(arguments.check_int("seeds", seeds, minimum=1)))
    X_train, X_test, y_train, y_test = tutorial_data()
    model = MLP(
        [2, 25, 3],
        init="glorot_uniform",
        output_init="glorot_uniform",
        population=len(seeds),
        seed=seeds,
    )
    callback = SnapshotEnsemble(n_cycles, lr_max, per=per)
    history = fit(
        model,
        SGD(lr=lr_max, momentum=0.9, convention="keras"),
        X_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        validation_data=(X_test, y_test),
        callbacks=[callback],
        verbose=verbose,
    )
    models = callback.models()
    single = np.array([Ensemble([m]).accuracy(X_test, y_test) for m in models])
    ensemble = np.array(
        [Ensemble(models[-n:]).accuracy(X_test, y_test) for n in range(1, len(models) + 1)]
    )
    return SnapshotResult(
        seeds,
        history,
        callback.snapshot_epochs,
        callback.lrs,
        single,
        ensemble,
        -(-len(X_train) // 32),
    )
