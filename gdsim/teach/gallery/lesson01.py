"""The figures of lesson 1, Gradient descent and the learning rate.

One function each, reachable as ``gdsim figure NAME``. Each takes the runs the lesson computed
(``run=``, ``scan=``, ``result=``) and computes the lesson's own when called alone; each title
is read off the data by a ``*_title`` function the tests check.
"""

from __future__ import annotations

import numpy as np

from gdsim import optimizers, plotting, surfaces
from gdsim.plotting.animation import animate
from gdsim.plotting.maps import plot_stability
from gdsim.sim.maps import DIVERGED_CLASS, stability
from gdsim.sim.sweep import sweep
from gdsim.teach.gallery.base import figure

START = [[-1.6, 1.2]]
REGIME_LRS = (0.02, 0.1, 0.19, 0.205)
CRAWL = 1e-2  # a run still above this share of its starting loss at the end "crawls"
SOLVED = 1e-6  # the loss the fastest-lr figure counts the steps to


def bowl():
    """The lesson's test bed: ½(x² + 10y²), curvature 1 along x and L = 10 along y."""
    return surfaces.get("quadratic", condition=10)


def curvatures(surface):
    """The Hessian's eigenvalues at the (first) minimum, smallest first."""
    surface = surfaces.as_surface(surface)
    return np.linalg.eigvalsh(surface.hessian(surface.minima[:1]))[0]


def cliff(surface):
    """2/L, L the sharpest curvature at the minimum: the largest stable lr of plain GD there."""
    return 2 / curvatures(surface)[-1]


# -- the bowl ------------------------------------------------------------------------------------


def bowl_title(surface):
    """What the landscape shows: its two curvatures, and the limit the steep one sets."""
    gentle, steep = curvatures(surface)
    return (
        f"Gentle along one axis (curvature {gentle:.3g}), "
        f"steep along the other (L = {steep:.3g}):\n"
        f"gradient descent is stable only for lr < 2/L = {2 / steep:.3g}"
    )


@figure("bowl-curvatures", quick={"resolution": 60})
def bowl_curvatures(surface=None, *, resolution=200, figsize=None):
    """PNG, lesson 1: the elongated bowl ½(x² + 10y²), its two curvatures drawn as axes."""
    surface = bowl() if surface is None else surfaces.as_surface(surface)
    _, ax = plotting.subplots(figsize=figsize or (8.4, 6.2))
    plotting.contour(surface, ax=ax, resolution=resolution)
    values, vectors = np.linalg.eigh(surface.hessian(surface.minima[:1])[0])
    centre = surface.minima[0]
    (x0, x1), (y0, y1) = surface.bounds
    reach = 0.42 * min(x1 - x0, y1 - y0)
    for i, (value, vector) in enumerate(zip(values, vectors.T)):
        c = plotting.color(i)
        tip = centre + reach * vector
        ax.annotate(
            "",
            tip,
            centre - reach * vector,
            arrowprops=dict(arrowstyle="<->", color=c, lw=2.5),
            zorder=5,
        )
        name = "L, the steepest" if i == len(values) - 1 else "the gentlest"
        ax.annotate(
            f"curvature {value:.3g}\n({name})",
            tip,
            xytext=(6, -6) if i == 0 else (8, -4),
            textcoords="offset points",
            ha="right" if i == 0 else "left",
            va="top",
            color=c,
            bbox=dict(boxstyle="round,pad=0.25", fc="white", ec=c, alpha=0.92),
            zorder=8,
        )
    ax.set_title("")
    ax.figure.suptitle(bowl_title(surface))
    return plotting.legible(ax.figure)


# -- too small, just right, too large ------------------------------------------------------------


def regime_runs(steps=40):
    """The lesson's four lrs from the same start on the bowl (one sweep)."""
    return sweep(bowl(), optimizers.SGD, START, steps, lr=list(REGIME_LRS))


def zig_zags(positions, surface):
    """True for each path (``positions (T, n, 2)``) that crosses the valley floor on most steps:
    its coordinate along the sharpest curvature at the minimum flips sign at most of the steps
    where it is not yet zero."""
    surface = surfaces.as_surface(surface)
    _, vectors = np.linalg.eigh(surface.hessian(surface.minima[:1])[0])
    steep = (positions - surface.minima[0]) @ vectors[:, -1]  # (T, n)
    steep = np.where(np.abs(steep) > 1e-9 * np.abs(steep).max(axis=0), steep, 0.0)  # round-off
    pairs = steep[1:] * steep[:-1]
    alive = pairs != 0
    return (pairs < 0).sum(axis=0) > 0.5 * np.maximum(alive.sum(axis=0), 1)


def regimes(run):
    """One word per lr of ``run`` (a sweep over lr), read off every start's run: "diverges"
    (the loss ends above where it started, or overflowed), "crawls" (it ends above ``CRAWL``
    of its starting loss), "zig-zags in" (it converges but most steps reverse the last one) or
    "converges" (see :func:`zig_zags`); a diverging run that zig-zags is "zig-zags out"."""
    words = []
    for group in plotting.groups(run):
        losses = group.losses
        up = group.diverged.any() or (losses[-1] > losses[0]).any()
        zig = zig_zags(group.positions, run.surface).all()
        if up:
            words.append("zig-zags out" if zig else "diverges")
        elif (losses[-1] > CRAWL * losses[0]).any():
            words.append("crawls")
        else:
            words.append("zig-zags in" if zig else "converges")
    return words


def _lrs(run):
    return [float(v) for v in run.coords["lr"]]


def regimes_title(run):
    """The regime of each lr, and where the cliff 2/L is when the runs agree with it."""
    lrs, words = _lrs(run), regimes(run)
    parts = [f"{lr:g} {word}" for lr, word in zip(lrs, words)]
    first = f"lr = {', '.join(parts)}"
    limit = cliff(run.surface)
    growing = np.array([w in ("diverges", "zig-zags out") for w in words])
    above = np.array(lrs) > limit
    if growing.any() and (growing == above).all():
        return f"{first}:\nevery lr above 2/L = {limit:.3g} diverges, none below it does"
    return first


def _factor(surface, lr):
    """ρ = max |1 − lr·λ| over the curvatures λ: the slowest direction's shrink per step."""
    return float(np.max(np.abs(1 - lr * curvatures(surface))))


def regime_labels(run):
    """Legend labels: each lr with its factor ρ = max|1 − lr·λ| (above 1: it grows)."""
    return [f"lr={lr:g}, ρ = {_factor(run.surface, lr):.3g}" for lr in _lrs(run)]


@figure("lr-regimes-movie", quick={"steps": 12, "frames": 3})
def lr_regimes_movie(run=None, *, steps=40, frames=41, fps=8, dpi=60, figsize=None):
    """GIF, lesson 1: four lrs from one start on the bowl, one panel each: crawl, converge,
    zig-zag in, zig-zag out."""
    run = regime_runs(steps) if run is None else run
    return animate(
        run,
        facet=True,
        frames=min(frames, run.positions.shape[0]),
        fps=fps,
        dpi=dpi,
        labels=regime_labels(run),
        title=regimes_title(run),
        figsize=figsize,
    )


@figure("lr-regimes-losses", quick={"steps": 12})
def lr_regimes_losses(run=None, *, steps=40, figsize=None):
    """PNG, lesson 1: the loss of the four lrs, each falling (or growing) by ρ² a step."""
    run = regime_runs(steps) if run is None else run
    _, ax = plotting.subplots(figsize=figsize or (10.0, 5.4))
    plotting.losses(run, ax=ax, labels=regime_labels(run), legend=False)
    start = float(np.max(run.losses[0]) - run.surface.minima_values[0])
    ax.axhline(start, color="black", ls=":", lw=1.5, label="starting loss: above it, diverging")
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        title="ρ = max|1 − lr·λ|: per step\nthe distance shrinks by ρ",
    )
    ax.figure.suptitle(regimes_title(run))
    return plotting.legible(ax.figure)


# -- just right is close to the cliff ------------------------------------------------------------


def fastest_scan(steps=1000, n=200):
    """``n`` lrs from 0.005 to 0.25 on the bowl, ``steps`` steps each (one sweep)."""
    grid = np.geomspace(0.005, 0.25, n)
    return sweep(bowl(), optimizers.SGD, START, steps, lr=list(grid))


def steps_to(scan, threshold=SOLVED):
    """(lrs, steps): the first recorded step each lr's loss is below ``threshold`` (NaN: never)."""
    lrs = np.array(_lrs(scan))
    losses = scan.losses.reshape(scan.losses.shape[0], len(lrs), -1).max(axis=2)
    below = losses < threshold
    steps = np.where(below.any(axis=0), scan.recorded_steps[below.argmax(axis=0)], np.nan)
    return lrs, steps.astype(float)


def fastest_title(scan, threshold=SOLVED):
    """Which lr was fastest, and how it sits against 2/L and the theory's 2/(L + μ)."""
    lrs, steps = steps_to(scan, threshold)
    if np.isnan(steps).all():
        return f"No lr tried gets the loss below {threshold:g}"
    best = int(np.nanargmin(steps))
    gentle, steep = curvatures(scan.surface)
    limit, theory = 2 / steep, 2 / (steep + gentle)
    first = (
        f"The fastest lr, {lrs[best]:.2g} ({steps[best]:.0f} steps to a loss < {threshold:g}),\n"
    )
    if lrs[best] < limit and lrs[best] > 0.8 * limit:
        where = "sits just under the cliff 2/L"
    elif lrs[best] < limit:
        where = "is below the cliff 2/L"
    else:
        return f"{first}is not below 2/L = {limit:.3g}"
    agrees = abs(lrs[best] - theory) < 0.05 * theory
    return f"{first}{where} = {limit:.3g}, " + (
        f"where the theory puts it: 2/(L + μ) = {theory:.3g}"
        if agrees
        else f"away from the theory's 2/(L + μ) = {theory:.3g}"
    )


@figure("fastest-lr", quick={"steps": 200, "n": 30})
def fastest_lr(scan=None, *, steps=1000, n=200, threshold=SOLVED, figsize=None):
    """PNG, lesson 1: steps to reach a small loss against lr, with 2/L and 2/(L + μ) drawn."""
    scan = fastest_scan(steps, n) if scan is None else scan
    lrs, needed = steps_to(scan, threshold)
    gentle, steep = curvatures(scan.surface)
    _, ax = plotting.subplots(figsize=figsize or (10.0, 5.2))
    c = plotting.color(0)
    ax.plot(lrs, needed, color=c, label="SGD, one run per lr")
    never = np.isnan(needed)
    top = np.nanmax(needed) * 2 if not never.all() else scan.steps
    if never.any():
        ax.plot(
            lrs[never],
            np.full(never.sum(), top),
            "x",
            color=plotting.DIVERGED_COLOR,
            ms=6,
            label=f"never below {threshold:g} in {scan.steps} steps",
        )
    ax.axvline(2 / steep, color="black", ls="--", label=f"2/L = {2 / steep:.3g}: diverges beyond")
    theory = 2 / (steep + gentle)
    ax.axvline(
        theory, color=plotting.color(2), ls=":", lw=2.5, label=f"2/(L+μ) = {theory:.3g}: fastest"
    )
    if not never.all():
        best = int(np.nanargmin(needed))
        ax.plot(
            [lrs[best]],
            [needed[best]],
            "o",
            ms=11,
            color=plotting.color(1),
            mec="black",
            mew=1.0,
            zorder=5,
            label=f"fastest found: lr={lrs[best]:.2g}, {needed[best]:.0f} steps",
        )
    ax.set(
        xscale="log", yscale="log", xlabel="learning rate", ylabel=f"steps to loss < {threshold:g}"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    ax.figure.suptitle(fastest_title(scan, threshold))
    return plotting.legible(ax.figure)


# -- the stability map ---------------------------------------------------------------------------


def cliff_map(steps=200, n_lr=150, n_starts=30):
    """The lesson's stability map: lr against the distance of the start, on the bowl."""
    t = np.linspace(0.1, 2.0, n_starts)[:, None]
    starts = t * np.array([[-0.8, 0.6]])  # starts on a ray from the minimum
    return stability(
        bowl(), optimizers.SGD, steps=steps, lr=np.geomspace(1e-3, 1, n_lr), starts=starts
    )


def first_diverging(result):
    """Per row of a stability map, the first lr (column) classed diverged (NaN: none)."""
    diverged = result.classes == DIVERGED_CLASS
    x = np.asarray(result.x, dtype=float)
    return np.where(diverged.any(axis=1), x[diverged.argmax(axis=1)], np.nan)


def cliff_title(result):
    """Whether the first diverging lr is the same from every start, and where it is."""
    first = first_diverging(result)
    limit = cliff(result.surface)
    if np.isnan(first).any():
        return "Not every start diverges at the lrs tried"
    lo, hi = first.min(), first.max()
    x = np.asarray(result.x, dtype=float)
    before = x[np.searchsorted(x, lo) - 1] if np.searchsorted(x, lo) > 0 else -np.inf
    if lo == hi and before <= limit < lo:
        return (
            "The cliff does not depend on the start:\nfrom every start the first diverging "
            f"lr is {lo:.3g}, the first tried past 2/L = {limit:.3g}"
        )
    return f"The first diverging lr ranges from {lo:.3g} to {hi:.3g} across the starts"


@figure("cliff-by-start", quick={"steps": 60, "n_lr": 30, "n_starts": 6})
def cliff_by_start(result=None, *, steps=200, n_lr=150, n_starts=30, figsize=None):
    """PNG, lesson 1: the stability map over lr and start distance on the bowl, with 2/L."""
    result = cliff_map(steps, n_lr, n_starts) if result is None else result
    _, ax = plotting.subplots(figsize=figsize or (10.0, 5.4))
    plot_stability(result, ax=ax)
    ax.set_ylabel("distance of the start\nfrom the minimum")
    ax.set_title("")
    ax.figure.suptitle(cliff_title(result))
    return plotting.legible(ax.figure)
