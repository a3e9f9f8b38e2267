"""The figures of lesson 6, Loss curves tell you a lot.

One function each, reachable as ``gdsim figure NAME``. Each takes the data the lesson computed
(``runs=`` with their ``labels=``, ``cases=``, ``landscape=``) and computes the lesson's own when
called alone; each title is read off the data by a ``*_title`` function the tests check.
"""

from __future__ import annotations

import numpy as np

from gdsim import optimizers, plotting, surfaces
from gdsim import schedules as S
from gdsim.plotting.animation import animate
from gdsim.sim import simulate
from gdsim.teach.gallery.base import figure, short_e
from gdsim.toolkit.diagnosis import diagnose

START = [[-1.9, 1.5]]
STEPS = 200
NOISE = 0.5


def _short(label):
    return label.split(" (")[0]


# -- a loss curve is the shadow of a motion -------------------------------------------------------


def regime_runs(steps=STEPS, seed=3):
    """``(runs, labels)``: one noisy run from the same start on the bowl at a large constant, a
    small constant and a large decaying lr."""
    regimes = {
        "large, constant (0.18)": 0.18,
        "small, constant (0.004)": 0.004,
        "large, decaying (cosine from 0.18)": S.cosine(0.18, T_max=steps),
    }
    bowl = surfaces.get("quadratic", condition=10)
    runs = [
        simulate(bowl, optimizers.SGD(lr=lr), START, steps, noise=NOISE, seed=seed)
        for lr in regimes.values()
    ]
    return runs, list(regimes)


BOUNCE = 10.0  # a curve whose last quarter sits this many times above its best "bounces"
FALLING = 0.8  # a curve whose last quarter is below this share of the quarter before "falls"


def curve_shape(losses):
    """``(level, bounce, fall)`` of one loss curve: the median of its last quarter, that level
    over the best loss it ever reached, and that level over the median of the quarter before."""
    losses = np.asarray(losses, dtype=float)
    quarter = max(len(losses) // 4, 1)
    level = float(np.median(losses[-quarter:]))
    before = float(np.median(losses[-2 * quarter : -quarter])) if len(losses) > quarter else level
    return level, level / float(losses.min()), level / before


def shadow_words(runs):
    """One phrase per run, read off its loss curve: "ends lowest" (the lowest last-quarter
    level), else "bounces N× above its best" (its level over :data:`BOUNCE` times its best),
    "is still falling" (the last quarter below :data:`FALLING` of the one before) or "has
    levelled off"."""
    shapes = [curve_shape(run.losses.reshape(len(run.losses), -1)[:, 0]) for run in runs]
    lowest = int(np.argmin([level for level, _, _ in shapes]))
    words = []
    for i, (level, bounce, fall) in enumerate(shapes):
        if i == lowest:
            words.append(f"ends lowest ({short_e(level)})")
        elif bounce > BOUNCE:
            words.append(f"bounces {bounce:.0f}× above its best")
        elif fall < FALLING:
            words.append("is still falling")
        else:
            words.append("has levelled off")
    return words


def shadow_title(runs, labels):
    """What each run's loss curve does at the end, in words (:func:`shadow_words`)."""
    parts = [
        f"{_short(label).replace(', ', ' ')} {word}"
        for label, word in zip(labels, shadow_words(runs))
    ]
    steps = runs[0].steps
    return f"Three noisy runs' loss curves after {steps} steps: {parts[0]},\n" + ", ".join(
        parts[1:]
    )


@figure("loss-shadow-movie", quick={"steps": 12, "frames": 3})
def loss_shadow_movie(
    runs=None, labels=None, *, steps=STEPS, frames=60, fps=12, dpi=60, trail=12, figsize=None
):
    """GIF, lesson 6: three noisy runs on the bowl, their loss curves growing beside them."""
    if runs is None:
        runs, labels = regime_runs(steps)
    labels = [run.optimizer.label() for run in runs] if labels is None else list(labels)
    movie = animate(
        runs,
        labels=labels,
        frames=min(frames, max(run.positions.shape[0] for run in runs)),
        fps=fps,
        dpi=dpi,
        trail=trail,
        panels=("loss",),
        title=shadow_title(runs, labels),
        figsize=figsize,
    )
    movie.figure.axes[0].set_title(
        "the bowl of lesson 1, noisy gradients", fontsize=plotting.FONT_SIZE
    )
    plotting.legible(movie.figure)
    return movie


# -- diagnosed curves ---------------------------------------------------------------------------


def loss_cases(epochs=200):
    """``{name: (loss, val_loss)}``: the lesson's seven training runs, as its cells train them
    (four lrs on the tutorial's network, an oversized model on 60 points, one run validated on
    30 and on 500 points)."""
    from gdsim import datasets, nn
    from gdsim.teach import experiments

    X_train, X_test, y_train, y_test = experiments.tutorial_data()
    updates = epochs * 16
    lrs = {
        "lr = 1 (large, constant)": optimizers.SGD(lr=1.0, convention="keras"),
        "lr = 1e-6 (small, constant)": optimizers.SGD(lr=1e-6, convention="keras"),
        "lr = 0.1 (constant)": optimizers.SGD(lr=0.1, convention="keras"),
        "lr = 0.1, cosine decay": optimizers.SGD(
            lr=S.cosine(0.1, T_max=updates), convention="keras"
        ),
    }
    model = nn.MLP([2, 50, 3], population=4, seed=0)
    runs = nn.fit(
        model,
        list(lrs.values()),
        X_train,
        y_train,
        epochs=epochs,
        validation_data=(X_test, y_test),
        verbose=0,
    )
    cases = {name: (runs.loss[:, k], runs.val_loss[:, k]) for k, name in enumerate(lrs)}
    X, y = datasets.moons(1060, noise=0.35, seed=0)
    big = nn.MLP([2, 128, 128, 2], seed=1)
    overfit = nn.fit(
        big,
        optimizers.Adam(lr=0.003),
        X[:60],
        y[:60],
        epochs=epochs,
        batch_size=60,
        validation_data=(X[60:], y[60:]),
        verbose=0,
    )
    cases["too big a model for 60 points"] = (overfit.loss, overfit.val_loss)
    for n_val in (30, 500):
        net = nn.MLP([2, 50, 3], seed=0)
        h = nn.fit(
            net,
            optimizers.SGD(lr=0.3),
            X_train,
            y_train,
            epochs=epochs,
            batch_size=500,
            validation_data=(X_test[:n_val], y_test[:n_val]),
            verbose=0,
        )
        cases[f"validated on {n_val} points"] = (h.loss, h.val_loss)
    return cases


def evidence_line(diagnosis):
    """The number behind a diagnosis, in a few words (the rule that fired)."""
    e = diagnosis.evidence
    label = diagnosis.label
    if label == "too high":
        return f"jumps {e['noise']:.0%}/epoch, {e['bounce']:.0%} over best"
    if label == "too low":
        return f"fell only {e['decrease']:.0%}"
    if label == "overfitting":
        return f"val. {e['val_rise']:.0%} over best (epoch {e['val_best_epoch'] + 1:.0f})"
    if label == "unstable validation":
        return f"val. jumps {e['val_noise']:.0%}/epoch"
    if label == "healthy":
        return f"fell {e['decrease']:.0%}, jumps {e['noise']:.1%}/epoch"
    if label == "plateau":
        return f"{e['late_change']:.1%} lower in the 2nd half"
    return diagnosis.reason.split(",")[0]


def _loss_axis(ax, values):
    """A log axis for a loss that spans a factor of 3 or more, a linear one otherwise (a log axis
    within one decade labels its minor ticks, too many to read)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() / values.min() >= 3:
        ax.set_yscale("log")


def diagnoses_title(diagnoses):
    """How many curves got each label, in the order the labels first appear."""
    counts = {}
    for d in diagnoses.values():
        counts[d.label] = counts.get(d.label, 0) + 1
    return f"What gdsim.diagnose reads in {len(diagnoses)} loss curves: " + ", ".join(
        f"{n} {label}" for label, n in counts.items()
    )


@figure("diagnosed-curves", quick={"epochs": 8})
def diagnosed_curves(cases=None, diagnoses=None, *, epochs=200, figsize=None):
    """PNG, lesson 6: seven loss curves, each titled with its diagnosis and its evidence."""
    cases = loss_cases(epochs) if cases is None else cases
    if diagnoses is None:
        diagnoses = {
            name: diagnose({"loss": loss, "val_loss": val}) for name, (loss, val) in cases.items()
        }
    columns = 4
    rows = -(-(len(cases) + 1) // columns)  # one spare panel for the legend
    fig, axes = plotting.subplots(
        rows, columns, figsize=figsize or (13.0, 4.0 * rows), sharex=True, squeeze=False
    )
    axes = list(axes.ravel())
    for ax, (name, (loss, val)) in zip(axes, cases.items()):
        d = diagnoses[name]
        epochs_ = np.arange(1, len(loss) + 1)
        ax.plot(epochs_, loss, color=plotting.color(0), label="train")
        ax.plot(epochs_, val, "--", color=plotting.color(1), label="validation")
        if d.label == "overfitting":
            best = d.evidence["val_best_epoch"] + 1
            ax.axvline(best, color="black", ls=":", lw=1.5, label="best validation epoch")
        _loss_axis(ax, np.concatenate([loss, val]))
        ax.set_title(f"{name}\n→ {d.label}\n{evidence_line(d)}", fontsize=plotting.FONT_SIZE)
    for ax in axes[len(cases) :]:
        ax.axis("off")
    for ax in axes[-columns:]:
        ax.set_xlabel("epoch")
        ax.xaxis.set_tick_params(labelbottom=True)
    handles, names = {}, []
    for ax in axes[: len(cases)]:
        for handle, name in zip(*ax.get_legend_handles_labels()):
            if name not in handles:
                handles[name] = handle
                names.append(name)
    axes[-1].legend([handles[n] for n in names], names, loc="center", frameon=False)
    for ax in axes[::columns]:
        ax.set_ylabel("loss")
    fig.suptitle(diagnoses_title(diagnoses))
    return plotting.legible(fig)


# -- the motion behind a network's loss curve ---------------------------------------------------


def network_landscape(epochs=60, lr=1.0, resolution=30):
    """The tutorial's network trained ``epochs`` epochs at ``lr`` (SGD, Keras numerics), its
    loss on the plane of the two directions its weights moved most, with its path."""
    from gdsim import nn
    from gdsim.teach import experiments
    from gdsim.toolkit import landscape

    X_train, _, y_train, _ = experiments.tutorial_data()
    record = landscape.RecordWeights()
    net = nn.MLP([2, 50, 3], seed=0)
    nn.fit(
        net,
        optimizers.SGD(lr=lr, convention="keras"),
        X_train,
        y_train,
        epochs=epochs,
        verbose=0,
        callbacks=[record],
    )
    return landscape.loss_landscape(
        net, X_train, y_train, directions="pca", trajectory=record, resolution=resolution
    )


def path_title(result):
    """How the loss behaves along the path, read off it by :func:`gdsim.diagnose` (the star
    marks the weights the plane is centred on, here where training stopped, not a minimum)."""
    d = diagnose(np.asarray(result.path_loss))
    noise = d.evidence["noise"]
    bouncing = d.label in ("too high", "diverged")
    first = (
        f"The network's loss never settles:\nit jumps {noise:.0%} epoch to epoch "
        f"(diagnose: {d.label})"
        if bouncing
        else f"The network's loss along its path (diagnose: {d.label})"
    )
    return f"{first},\non the plane of the two directions its weights moved most"


@figure("network-path-movie", quick={"epochs": 6, "resolution": 8})
def network_path_movie(landscape=None, *, epochs=60, lr=1.0, resolution=30, fps=10, figsize=None):
    """GIF, lesson 6: the tutorial's network at lr = 1, its path on its two main directions."""
    from gdsim.toolkit.landscape import animate_landscape

    result = network_landscape(epochs, lr, resolution) if landscape is None else landscape
    movie = animate_landscape(result, fps=fps)
    if figsize is not None:
        movie.figure.set_size_inches(figsize)
    else:
        movie.figure.set_size_inches(8.0, 7.2)
    movie.figure.suptitle(path_title(result))
    plotting.legible(movie.figure)
    return movie
