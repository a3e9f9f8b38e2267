"""Transfer learning with discriminative learning rates, on blobs small enough to watch.

The seed lecture's recipe (fast.ai, ULMFiT): reuse a network trained on a big related task,
replace its head, then fine-tune — train the head first, or everything with learning rates
that grow from the input layers (general features, worth keeping) to the head (new, must
move). :func:`transfer_experiment` compares the options on one pair of tasks:

* source task A: ``n_source`` points from ``n_clusters`` Gaussian clusters (centres uniform in
  [−10, 10]², std 1.5), the label being the cluster;
* target task B: the same clusters moved a little (each centre by ``N(0, shift²)``: a domain
  shift) and labelled differently (cluster ``i`` → class ``i mod n_classes``), with only
  ``n_target`` labelled points to learn from and 2000 more to test on.

Both are standardized with task A's statistics, as a pretrained network's inputs would be.
A network ``2-hidden-hidden-n_clusters`` is pretrained on A, its head replaced by a fresh
``hidden → n_classes`` layer, and B is learned in four ways, all with the same optimizer:

=================  ===================================================
``scratch``        every layer new, one lr (no transfer, the baseline)
``full``           pretrained body, every layer at the head's lr
``head``           pretrained body frozen (lr 0 = ``model.freeze()``), head only
``discriminative`` pretrained body, lrs ``slice(lr/100, lr)``: lr/100, lr/10, lr
=================  ===================================================

Conditions × seeds train as one population (member ``c·S + s``): seed ``s`` gives every
condition the same pretrained body, the same new head and the same batches, so they differ only
in which layers learn how fast. The head-only condition gives its body lr 0, which leaves the
weights exactly where a frozen layer stays (tested against ``model.freeze``). An
:class:`~gdsim.nn.callbacks.UpdateRatios` callback records ``‖Δθ_l‖/‖θ_l‖`` per layer and update.

What it shows (defaults, 5 seeds): the pretrained body with a frozen or slowly moving body ends
near 0.94 test accuracy, full fine-tuning and training from scratch near 0.88 — 40 labelled
points are too few to relearn the features, and a large lr on the body overfits them. The size
of the gap depends on the draw of the tasks (``task=dict(seed=...)``): over six draws it ranged
from none (or slightly reversed) to six points, head-only and discriminative ending about two
points above full fine-tuning and scratch on average. Head-only and discriminative end close
together here; the ratios show why — the body's updates are 100x and 10x smaller than the head's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdsim import arguments, datasets
from gdsim.nn.callbacks import UpdateRatios
from gdsim.nn.discriminative import layer_lrs
from gdsim.nn.mlp import MLP
from gdsim.nn.training import fit
from gdsim.optimizers import Adam
from gdsim.plotting import theme

__all__ = ["transfer_tasks", "transfer_experiment", "TransferResult", "CONDITIONS"]

CONDITIONS = ("scratch", "full", "head", "discriminative")


def transfer_tasks(
    n_clusters=8, n_classes=2, shift=1.5, n_source=4000, n_target=40, n_test=2000, seed=1
):
    """``(X_a, y_a), (X_b, y_b), (X_b_test, y_b_test)``: the source and target tasks described in
    the module docstring, standardized with the source's mean and std."""
    n_clusters = arguments.check_int("n_clusters", n_clusters, minimum=2)
    n_classes = arguments.check_int("n_classes", n_classes, minimum=2)
    if n_classes > n_clusters:
        raise ValueError(f"n_classes must be <= n_clusters ({n_clusters}), got {n_classes}")
    arguments.check_nonnegative("shift", shift)
    n_target = arguments.check_int("n_target", n_target, minimum=1)
    n_test = arguments.check_int("n_test", n_test, minimum=1)
    seed = arguments.check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(n_clusters, 2))
    moved = centers + rng.normal(0.0, shift, size=centers.shape)
    X_a, y_a = datasets.blobs(
        arguments.check_int("n_source", n_source, minimum=n_clusters),
        centers=centers,
        cluster_std=1.5,
        seed=seed + 1,
    )
    X_b, clusters = datasets.blobs(n_target + n_test, centers=moved, cluster_std=1.5, seed=seed + 2)
    y_b = clusters % n_classes
    mean, std = X_a.mean(axis=0), X_a.std(axis=0)

    def scale(X):
        return (X - mean) / std

    return (
        (scale(X_a), y_a),
        (scale(X_b[:n_target]), y_b[:n_target]),
        (scale(X_b[n_target:]), y_b[n_target:]),
    )


@dataclass
class TransferResult:
    """``history`` arrays are ``(epochs, n_conditions, n_seeds)``; ``ratios`` is
    ``(updates, n_layers, n_conditions, n_seeds)``; ``layer_lrs[c]`` the per-layer lrs of
    condition ``c``; ``pretrain`` the source task's History ``(epochs, n_seeds)``."""

    conditions: tuple
    seeds: list
    layer_lrs: dict
    history: object
    ratios: np.ndarray
    batches_per_epoch: int
    pretrain: object

    def final(self, key="val_accuracy", last=10):
        """``(n_conditions,)``: ``key`` averaged over the last ``last`` epochs and the seeds."""
        return self.history[key][-last:].mean(axis=(0, 2))

    def best(self, key="val_accuracy"):
        """``(n_conditions,)``: the best epoch's ``key`` (seed mean), what early stopping could
        keep."""
        return self.history[key].mean(axis=2).max(axis=0)

    def table(self):
        lines = [f"{'condition':16s} {'layer lrs':28s} {'final acc':>9s} {'best acc':>9s}"]
        for c, (name, final, best) in enumerate(zip(self.conditions, self.final(), self.best())):
            lrs = ", ".join(f"{v:.0e}" if v else "0" for v in self.layer_lrs[name])
            lines.append(f"{name:16s} {lrs:28s} {final:9.3f} {best:9.3f}")
        return "\n".join(lines)

    def plot(self, axes=None, per_epoch=True):
        """Top: test accuracy on the target task per epoch, one line per condition (seed mean).
        Bottom: one panel per condition, the update-to-weight ratio of each layer (log axis,
        per-epoch means unless ``per_epoch=False``; frozen layers are 0 and not drawn), with
        the 1e-3 rule of thumb dashed. Returns ``Drawn(axes, accuracy, ratios)``."""
        C = len(self.conditions)
        if axes is None:
            import matplotlib.pyplot as plt

            with theme.style():
                fig = plt.figure(figsize=(3.4 * C, 7.2), layout="constrained")
                grid = fig.add_gridspec(2, C, height_ratios=[1.1, 1])
                top = fig.add_subplot(grid[0, :])
                bottom = [fig.add_subplot(grid[1, c]) for c in range(C)]
                for ax in bottom[1:]:
                    ax.sharey(bottom[0])
                axes = [top] + bottom
        top, bottom = axes[0], list(axes[1:])
        epochs = np.arange(1, len(self.history.epoch) + 1)
        accuracy = [
            top.plot(
                epochs,
                self.history.val_accuracy[:, c].mean(axis=1),
                color=theme.color(c),
                label=name,
            )[0]
            for c, name in enumerate(self.conditions)
        ]
        top.set_xlabel("epoch")
        top.set_ylabel("target test accuracy")
        top.set_title("Fine-tuning a pretrained network on a small related task")
        top.legend(loc="lower right", framealpha=0.9)
        ratios = self.ratios.mean(axis=-1)  # (updates, layers, conditions)
        if per_epoch:
            n = self.batches_per_epoch
            ratios = ratios[: len(ratios) // n * n].reshape(-1, n, *ratios.shape[1:]).mean(axis=1)
            x = np.arange(1, len(ratios) + 1)
        else:
            x = np.arange(len(ratios)) / self.batches_per_epoch
        drawn_ratios = []
        L = ratios.shape[1]
        for c, (ax, name) in enumerate(zip(bottom, self.conditions)):
            lines = []
            for layer in range(L):
                values = ratios[:, layer, c]
                label = f"layer {layer + 1}" + (" (head)" if layer == L - 1 else "")
                if np.any(values > 0):
                    lines.append(ax.plot(x, values, color=theme.color(layer + 4), label=label)[0])
                else:
                    lines.append(None)
            frozen = [str(layer + 1) for layer in range(L) if lines[layer] is None]
            if frozen:
                ax.text(
                    0.97,
                    0.03,
                    f"layer{'s' if len(frozen) > 1 else ''} {', '.join(frozen)}: "
                    "frozen (no updates)",
                    transform=ax.transAxes,
                    ha="right",
                    va="bottom",
                    fontsize=9,
                    color="#555555",
                )
            ax.axhline(1e-3, color="#777777", ls="--", lw=1)
            ax.set_yscale("log")
            ax.set_title(name)
            ax.set_xlabel("epoch")
            drawn_ratios.append(lines)
        bottom[0].set_ylabel("‖Δθ‖ / ‖θ‖ per update")
        bottom[0].legend(
            handles=[ln for ln in drawn_ratios[0] if ln is not None],
            loc="best",
            framealpha=0.9,
            fontsize=9,
        )
        return theme.finish(theme.Drawn(axes=axes, accuracy=accuracy, ratios=drawn_ratios))


def transfer_experiment(
    seeds=3,
    epochs=100,
    lr=1e-2,
    hidden=32,
    pretrain_epochs=30,
    batch_size=8,
    optimizer=Adam,
    task=None,
    verbose=0,
):
    """Pretrain on task A, fine-tune on task B four ways (module docstring); one call.

    ``optimizer`` is an optimizer class called with ``lr=`` (default Adam, fastai's default
    family); ``lr`` is the head's lr in every condition. ``task`` passes keywords to
    :func:`transfer_tasks`. Returns a :class:`TransferResult`.
    """
    if isinstance(seeds, (list, tuple, np.ndarray)):
        seeds = [arguments.check_int("seeds", s, minimum=0) for s in seeds]
    else:
        seeds = list(range(arguments.check_int("seeds", seeds, minimum=1)))
    arguments.check_positive("lr", lr)
    hidden = arguments.check_int("hidden", hidden, minimum=1)
    # checked here, not by fit: pretraining would otherwise run before a bad value is seen
    arguments.check_int("epochs", epochs, minimum=0)
    arguments.check_int("pretrain_epochs", pretrain_epochs, minimum=0)
    arguments.check_int("batch_size", batch_size, minimum=1)
    arguments.check_choice("verbose", verbose, [0, 1, 2])
    if not callable(optimizer):  # an instance is not: it is built here, once per phase
        raise TypeError(
            "optimizer must be an optimizer class (or factory) called with lr=..., "
            f"such as gdsim.Adam, got {optimizer!r}"
        )
    if not (task is None or isinstance(task, dict)):
        raise TypeError(f"task must be a dict of transfer_tasks keywords, got {task!r}")
    (X_a, y_a), (X_b, y_b), test = transfer_tasks(**(task or {}))
    n_clusters, n_classes = int(y_a.max()) + 1, int(max(y_b.max(), test[1].max())) + 1
    S, C = len(seeds), len(CONDITIONS)
    source = MLP([2, hidden, hidden, n_clusters], population=S, seed=seeds)
    pretrain = fit(
        source, optimizer(lr=3e-3), X_a, y_a, epochs=pretrain_epochs, batch_size=32, verbose=verbose
    )
    # member c·S + s; the new heads (and the scratch bodies) come from seeds disjoint from the
    # pretraining seeds, the same for every condition
    target = MLP(
        [2, hidden, hidden, n_classes], population=C * S, seed=np.tile([1000 + s for s in seeds], C)
    )
    pretrained = source.get_weights()
    fresh = target.get_weights()
    body = [np.concatenate([fresh[i][:S]] + [w] * (C - 1)) for i, w in enumerate(pretrained[:4])]
    target.set_weights(body + fresh[4:])
    lrs = {
        "scratch": [lr] * 3,
        "full": [lr] * 3,
        "head": [0.0, 0.0, lr],
        "discriminative": layer_lrs(slice(lr / 100, lr), 3).tolist(),
    }
    per_member = np.repeat(np.array([lrs[name] for name in CONDITIONS]).T, S, axis=1)  # (3, C·S)
    recorder = UpdateRatios()
    history = fit(
        target,
        optimizer(lr=lr),
        X_b,
        y_b,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=test,
        callbacks=[recorder],
        layer_lrs=per_member,
        verbose=verbose,
    )
    ratios = recorder.ratios.reshape(len(recorder.ratios), 3, C, S)
    return TransferResult(
        CONDITIONS, seeds, lrs, history.reshape(C, S), ratios, recorder.batches_per_epoch, pretrain
    )
