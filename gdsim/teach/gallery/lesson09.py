"""The figures of lesson 9, Differential learning rates and fine-tuning.

One function each, reachable as ``gdsim figure NAME``. Each takes what the lesson computed (the
tasks, the transfer experiment, the range test, a fine-tuning path's landscape) and computes
the lesson's own when called alone.
"""

from __future__ import annotations

import numpy as np

from gdsim import nn, optimizers, plotting
from gdsim.teach.gallery import lesson07
from gdsim.teach.gallery.base import figure
from gdsim.toolkit import landscape, transfer
from gdsim.toolkit.finder import lr_find

# -- the two tasks ---------------------------------------------------------------------------------


def tasks():
    """The lesson's task pair: ``(X_a, y_a), (X_b, y_b), (X_test, y_test)``."""
    return transfer.transfer_tasks()


def class_centres(X, y):
    """The mean of each class's points, ``(n_classes, 2)``."""
    return np.array([X[y == k].mean(axis=0) for k in range(int(y.max()) + 1)])


def tasks_title(pair):
    """The sizes and classes of the two tasks, counted off the data."""
    (X_a, y_a), (X_b, y_b), (X_test, _) = pair
    return (
        f"Task A: {len(X_a)} points in {len(np.unique(y_a))} classes; task B: the same "
        f"clusters moved a little,\nrelabelled into {len(np.unique(y_b))} classes, only "
        f"{len(X_b)} labelled points to learn from (big) and {len(X_test)} to test on (faint)"
    )


@figure("transfer-tasks")
def transfer_tasks(pair=None, *, figsize=None):
    """PNG, lesson 9: the big source task A and the small shifted target task B side by side.

    ``pair`` is ``transfer_tasks()``'s ``((X_a, y_a), (X_b, y_b), (X_test, y_test))``; on
    task B, black crosses mark task A's cluster centres, so the shift is in view."""
    pair = tasks() if pair is None else pair
    (X_a, y_a), (X_b, y_b), (X_test, y_test) = pair
    fig, (left, right) = plotting.subplots(
        1, 2, figsize=figsize or (12.0, 5.8), sharex=True, sharey=True
    )
    left.scatter(*X_a.T, c=y_a, s=3, cmap="tab10")
    left.set_title(f"task A: {len(X_a)} points, {len(np.unique(y_a))} classes (one colour each)")
    for k in np.unique(y_b):
        c = plotting.color(int(k))
        right.scatter(*X_test[y_test == k].T, color=c, s=3, alpha=0.15)
        right.scatter(
            *X_b[y_b == k].T, color=c, s=45, edgecolors="black", label=f"class {k}: labelled"
        )
    right.plot(
        *class_centres(X_a, y_a).T,
        "X",
        color="black",
        ms=10,
        mec="white",
        ls="none",
        label="task A's cluster centres",
    )
    right.set_title(f"task B: {len(X_b)} labelled points, {len(np.unique(y_b))} classes")
    right.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    for ax in (left, right):
        ax.set_xlabel("x₁ (standardized)")
    left.set_ylabel("x₂ (standardized)")
    fig.suptitle(tasks_title(pair))
    return plotting.legible(fig)


# -- four ways to learn task B ---------------------------------------------------------------------


def experiment(seeds=5, epochs=100, pretrain_epochs=30):
    """The lesson's ``transfer_experiment`` (five seeds)."""
    return transfer.transfer_experiment(seeds=seeds, epochs=epochs, pretrain_epochs=pretrain_epochs)


def body_to_head(result, condition="discriminative"):
    """How many times smaller each body layer's mean update-to-weight ratio is than the head's
    under ``condition`` (one number per body layer)."""
    c = list(result.conditions).index(condition)
    ratios = result.ratios[:, :, c].mean(axis=(0, -1))  # (layers,)
    return ratios[-1] / ratios[:-1]


def kept_body_wins(result):
    """True when both conditions that keep the pretrained body (frozen or slow) end above both
    that rewrite it (scratch, one rate everywhere)."""
    final = dict(zip(result.conditions, result.final()))
    kept = [final[c] for c in ("head", "discriminative") if c in final]
    rewritten = [final[c] for c in ("scratch", "full") if c in final]
    return bool(kept and rewritten and min(kept) > max(rewritten))


def conditions_title(result):
    """The conditions ranked by final test accuracy, and how much smaller the body's updates
    are than the head's under discriminative rates, read off the experiment."""
    final = result.final()
    order = np.argsort(final)[::-1]
    ranked = ", ".join(f"{result.conditions[c]} {final[c]:.3f}" for c in order)
    first = "Keeping the pretrained body wins. " if kept_body_wins(result) else ""
    title = f"{first}Final test accuracy on task B: {ranked}"
    if "discriminative" in result.conditions:
        factors = body_to_head(result)
        layers = [f"layer {k + 1}'s {f:.0f}×" for k, f in enumerate(factors)]
        title += (
            "\nunder discriminative rates the updates of the body are smaller than the head's: "
            + ", ".join(layers)
        )
    return title


@figure("transfer-conditions", quick={"seeds": 1, "epochs": 6, "pretrain_epochs": 3})
def transfer_conditions(result=None, *, seeds=5, epochs=100, pretrain_epochs=30, figsize=None):
    """PNG, lesson 9: test accuracy of the four ways to learn task B, and each layer's update size.

    ``result`` is the lesson's ``transfer_experiment`` (default :func:`experiment`); below,
    one panel per condition, ‖Δθ‖/‖θ‖ per layer with the 1e-3 rule of thumb dashed."""
    result = experiment(seeds, epochs, pretrain_epochs) if result is None else result
    C = len(result.conditions)
    fig = plotting.subplots(figsize=figsize or (13.6, 7.6))[0]
    fig.clear()
    grid = fig.add_gridspec(2, C, height_ratios=[1.1, 1])
    top = fig.add_subplot(grid[0, :])
    bottom = [fig.add_subplot(grid[1, c]) for c in range(C)]
    for ax in bottom[1:]:
        ax.sharey(bottom[0])
    result.plot(axes=[top] + bottom)
    top.get_legend().remove()
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    bottom[0].get_legend().remove()
    handles = [h for h in bottom[0].get_lines() if not h.get_label().startswith("_")]
    fig.legend(
        handles,
        [h.get_label() for h in handles],
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
    )
    top.set_title("test accuracy on task B (seed means)")
    fig.suptitle(conditions_title(result))
    return plotting.legible(fig)


# -- the fast.ai recipe ----------------------------------------------------------------------------


def head_trained(pair=None):
    """Steps 1 and 2 of the recipe: pretrain on task A, swap in a fresh head, freeze the body and
    train the head for 20 epochs on task B's 40 points; returns the (unfrozen) model."""
    (X_a, y_a), (X_b, y_b), (X_test, y_test) = tasks() if pair is None else pair
    source = nn.MLP([2, 32, 32, 8], seed=0)
    nn.fit(source, optimizers.Adam(lr=3e-3), X_a, y_a, epochs=30, verbose=0)
    model = nn.MLP([2, 32, 32, 2], seed=1000)
    model.set_weights(source.get_weights()[:4] + model.get_weights()[4:])
    model.freeze()
    nn.fit(model, optimizers.Adam(lr=1e-2), X_b, y_b, epochs=20, batch_size=8, verbose=0)
    model.unfreeze()
    return model


def unfrozen_finder(model=None, pair=None):
    """Step 3: the range test on the unfrozen network (Adam, batches of 8)."""
    pair = tasks() if pair is None else pair
    model = head_trained(pair) if model is None else model
    (_, _), (X_b, y_b), _ = pair
    return lr_find(model, optimizers.Adam(), X_b, y_b, batch_size=8)


@figure("range-test-unfrozen")
def range_test_unfrozen(found=None, *, figsize=None):
    """PNG, lesson 9: the range test again after unfreezing the pretrained body, suggestions marked.

    ``found`` is the lesson's ``lr_find`` on the unfrozen model (default
    :func:`unfrozen_finder`); drawn as lesson 7's :func:`range-test-network`."""
    found = unfrozen_finder() if found is None else found
    return lesson07.range_test_network(
        found, title="After unfreezing (Adam, 40 points in batches of 8)", figsize=figsize
    )


CHOICES = {
    "one rate, 1e-2 everywhere": [1e-2, 1e-2, 1e-2],
    "discriminative, slice(1e-4, 1e-2)": [1e-4, 1e-3, 1e-2],
}


def fine_tune_plane(choice="one rate, 1e-2 everywhere", epochs=40, resolution=25, model=None):
    """Step 4 for one choice of layer lrs: fine-tune a copy of the head-trained model for
    ``epochs`` epochs, recording the weights, and slice task B's test loss through the plane of
    the path's two main directions (a :class:`Landscape`)."""
    pair = tasks()
    (_, _), (X_b, y_b), (X_test, y_test) = pair
    tuned = (head_trained(pair) if model is None else model).copy()
    record = landscape.RecordWeights()
    nn.fit(
        tuned,
        optimizers.Adam(lr=1e-2),
        X_b,
        y_b,
        epochs=epochs,
        batch_size=8,
        layer_lrs=CHOICES[choice],
        callbacks=[record],
        verbose=0,
    )
    return landscape.loss_landscape(
        tuned, X_test, y_test, directions="pca", trajectory=record, resolution=resolution
    )


def path_title(plane, name):
    """What the path did to the test loss, read off it: where it was lowest, and whether it
    climbed out of the valley again."""
    loss = np.asarray(plane.path_loss, dtype=float)
    best = int(np.argmin(loss))
    first = (
        f"{name}:\ntest loss {loss[0]:.3f} at the start, lowest {loss[best]:.3f} at epoch {best}"
    )
    if loss[-1] > 1.25 * loss[best]:
        return f"{first},\nthen it climbs out of the valley to {loss[-1]:.3f}"
    return f"{first},\nand it stays in the valley ({loss[-1]:.3f} at the end)"


@figure("fine-tune-path-movie", quick={"epochs": 4, "resolution": 6})
def fine_tune_path_movie(
    plane=None,
    *,
    name="one rate, 1e-2 everywhere",
    epochs=40,
    resolution=25,
    fps=8,
    figsize=None,
):
    """GIF, lesson 9: a fine-tuning path over a slice of task B's test loss, epoch by epoch.

    ``plane`` is the lesson's ``loss_landscape`` with the recorded path (default
    :func:`fine_tune_plane` for ``name``, one of :data:`CHOICES`); ``name`` heads the title."""
    plane = fine_tune_plane(name, epochs, resolution) if plane is None else plane
    movie = landscape.animate_landscape(plane, fps=fps)
    if figsize is not None:
        movie.figure.set_size_inches(figsize)
    movie.figure.axes[0].set_title(path_title(plane, name))
    plotting.legible(movie.figure)
    return movie
