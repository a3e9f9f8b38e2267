"""The learning-rate range test ("LR finder"): Smith (2017, §3.3) as fastai's ``lr_find`` runs it.

Train briefly while the learning rate grows every batch, watch the loss, and read a good lr off
the curve: too small and the loss does not move, too large and it explodes; a good lr sits on
the steep descent before the bottom::

    result = gdsim.nn.lr_find(model, gdsim.SGD(), X, y)        # an MLP (or a population)
    result = gdsim.lr_find("rosenbrock", gdsim.SGD(), starts)  # a 2-D surface
    result.valley, result.slide, result.minimum, result.steep    # the four suggestions
    result.plot()

The procedure (fastai 2.8 ``Learner.lr_find``, ``LRFinder``, ``AvgSmoothLoss``; REFERENCE.md §5):

1. Batch ``i = 0 .. num_it−1`` trains at ``η_i = start·(end/start)^(i/num_it)`` (``mode="exp"``)
   or ``start + (end − start)·i/num_it`` (``"linear"``); ``end`` itself is never used.
2. Its loss ``ℓ_i`` (of the weights before that batch's update) is smoothed and debiased:
   ``a ← β·a + (1−β)·ℓ_i``, ``L̃_i = a / (1 − β^(i+1))`` with ``β = smooth = 0.98``.
3. The sweep stops after the batch where ``L̃_i > 4·min_{j≤i} L̃_j`` (``stop_div``), where the
   loss turns NaN or infinite, or after ``num_it`` batches. A population stops member by member.
4. The suggestions read ``lrs[num_it//10 : −5]`` and the matching ``L̃``, cut at the first
   non-finite value (fastai cuts at NaN; an infinite loss only occurs with ``stop_div=False``):

   * ``valley``: the longest strictly decreasing run of losses (an O(n²) dynamic programme:
     ``lds_i = 1 + max{lds_j : j < i, L̃_j > L̃_i}``), ``end`` = its first longest end,
     ``start = end − lds_end``; with ``s = (end − start)/3`` the suggestion is
     ``lrs[start + ⌊s⌋ + ⌊s/2⌋]`` — half-way down the valley's middle third.
   * ``slide``: ``G = np.gradient(L̃)``; a window of 15 points slides left from the end while
     ``|G_right − G_left| > 0.005``; the suggestion is the lr at the window's last left edge.
   * ``minimum``: ``lrs[argmin L̃] / 10``.
   * ``steep``: the left point of the steepest descent per log-lr,
     ``argmin_i (L̃_{i+1} − L̃_i)/(ln η_{i+1} − ln η_i)``.

Afterwards the model is exactly as before, bit for bit: its weights, its frozen layers and its
shuffle streams (so the next ``fit`` shuffles as if the sweep had never run). The optimizer is
never changed (the sweep trains a copy with the swept lr); gdsim optimizers keep no state
between ``fit`` calls.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments, plotting, schedules, surfaces
from gdsim.nn.callbacks import Callback
from gdsim.nn.mlp import MLP
from gdsim.nn.training import check_data, fit
from gdsim.plotting import theme
from gdsim.sim.engine import check_starts, simulate

__all__ = [
    "lr_find",
    "LRFinderResult",
    "SurfaceLRFinderResult",
    "sweep_lrs",
    "suggest",
    "valley",
    "slide",
    "minimum",
    "steep",
    "SUGGESTIONS",
]

SUGGESTIONS = ("valley", "slide", "minimum", "steep")
MARKERS = {"valley": "o", "slide": "s", "minimum": "D", "steep": "^"}
DIVERGENCE_FACTOR = 4.0  # fastai: stop once the smoothed loss exceeds 4x the best so far


# -- the lr sequence and the smoothed loss ---------------------------------------------------------


def _check(start_lr, end_lr, num_it, mode, smooth):
    arguments.check_positive("start_lr", start_lr)
    arguments.check_positive("end_lr", end_lr)
    if np.ndim(start_lr) or np.ndim(end_lr):
        raise TypeError("start_lr and end_lr must be single numbers")
    if not start_lr < end_lr:
        raise ValueError(
            f"start_lr must be < end_lr, got start_lr={start_lr:g} >= end_lr={end_lr:g}"
        )
    num_it = arguments.check_int("num_it", num_it, minimum=2)
    arguments.check_choice("mode", mode, ["exp", "linear"])
    arguments.check_in_range("smooth", smooth, 0.0, 1.0)
    return float(start_lr), float(end_lr), num_it, mode, float(smooth)


def _lr_at(i, start_lr, end_lr, num_it, mode):
    if mode == "exp":
        return start_lr * (end_lr / start_lr) ** (i / num_it)
    return start_lr + (i / num_it) * (end_lr - start_lr)


def sweep_lrs(start_lr=1e-7, end_lr=10.0, num_it=100, mode="exp"):
    """The lr of batches ``0 .. num_it−1``: ``start·(end/start)^(i/num_it)`` (``"exp"``) or
    ``start + (end − start)·i/num_it`` (``"linear"``), fastai's ``SchedExp`` / ``SchedLin`` at
    ``pos = i/num_it``."""
    return _lr_at(np.arange(num_it), start_lr, end_lr, num_it, mode)


def _lr_schedule(num_it, settings):
    """The same sequence as a schedule of the step, for ``fit`` and ``simulate``."""
    start, end, mode = settings["start_lr"], settings["end_lr"], settings["mode"]
    return schedules.function(lambda step: _lr_at(step, start, end, num_it, mode))


class _Smoother:
    """fastai's debiased moving average of the loss plus the divergence rule, one value per curve.

    ``floor`` shifts the divergence rule to ``L̃ − floor > 4·(best − floor)``: 0 for the MLP
    (a loss is never negative), a surface's lowest known value on a 2-D surface.
    """

    def __init__(self, n, beta, stop_div, floor=0.0):
        self.beta, self.stop_div, self.floor = beta, stop_div, floor
        self.average = np.zeros(n)
        self.best = np.full(n, np.inf)
        self.count = 0

    def update(self, loss, active):
        """Feed one loss per curve (only ``active`` curves move); returns ``(L̃, stop)``."""
        with np.errstate(all="ignore"):
            self.count += 1
            self.average = np.where(
                active, self.beta * self.average + (1 - self.beta) * loss, self.average
            )
            smoothed = self.average / (1 - self.beta**self.count)
            self.best = np.where(active & (smoothed < self.best), smoothed, self.best)
            stop = ~np.isfinite(smoothed)
            if self.stop_div:
                stop |= smoothed - self.floor > DIVERGENCE_FACTOR * (self.best - self.floor)
        return smoothed, stop & active


# -- the suggestions (fastai/callback/schedule.py, one curve each) --------------------------------


def valley(lrs, losses):
    """The lr half-way down the middle third of the longest valley; returns ``(lr, (lr, loss))``."""
    n = len(losses)
    if n == 0:
        return np.nan, (np.nan, np.nan)
    lds = np.ones(n, dtype=int)
    max_start = max_end = 0
    for i in range(1, n):
        higher = losses[:i] > losses[i]
        if higher.any():
            lds[i] = lds[:i][higher].max() + 1
        # strict: the first longest valley wins, as in fastai
        if lds[i] > lds[max_end]:
            max_end, max_start = i, i - lds[i]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))


def slide(lrs, losses, lr_diff=15, thresh=0.005, adjust_value=1.0):
    """The interval slide rule; returns ``(lr, (lr, loss interpolated at lr in log10 lr))``."""
    n = len(losses)
    if n < max(lr_diff + 1, 2):
        return np.nan, (np.nan, np.nan)
    grad = np.gradient(losses)
    right, left = -1, -1 - lr_diff
    candidate = lrs[left]
    while left >= -n and abs(grad[right] - grad[left]) > thresh:
        candidate = lrs[left]
        right -= 1
        left -= 1
    suggestion = float(candidate) * adjust_value
    return suggestion, (suggestion, float(np.interp(np.log10(suggestion), np.log10(lrs), losses)))


def minimum(lrs, losses):
    """A tenth of the lr at the lowest loss; the point marked is the lowest loss itself."""
    if len(losses) == 0:
        return np.nan, (np.nan, np.nan)
    i = int(np.argmin(losses))
    return float(lrs[i]) / 10, (float(lrs[i]), float(losses[i]))


def steep(lrs, losses):
    """The lr where the loss falls fastest per unit of log lr (the left point of that step)."""
    if len(losses) < 2:
        return np.nan, (np.nan, np.nan)
    slopes = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    i = int(np.argmin(slopes))
    return float(lrs[i]), (float(lrs[i]), float(losses[i]))


_FUNCTIONS = {"valley": valley, "slide": slide, "minimum": minimum, "steep": steep}


def suggest(lrs, losses, num_it):
    """Every suggestion for one recorded curve: ``{name: (lr, (x, y) to mark)}``.

    ``lrs`` and ``losses`` are what the sweep recorded (smoothed losses); as fastai does, the
    first ``num_it // 10`` and the last 5 points are dropped and the rest cut at the first
    non-finite loss."""
    lrs = np.asarray(lrs, dtype=float)[num_it // 10 : -5]
    losses = np.asarray(losses, dtype=float)[num_it // 10 : -5]
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        lrs, losses = lrs[: bad[0]], losses[: bad[0]]
    with np.errstate(all="ignore"):
        return {name: fn(lrs, losses) for name, fn in _FUNCTIONS.items()}


# -- the result ------------------------------------------------------------------------------------


class LRFinderResult:
    """A finished range test: what each batch used and lost, and the suggestions.

    ``lrs (n,)`` the lr of each batch; ``losses`` the raw batch losses and ``smoothed`` the
    debiased averages, ``(n, K)`` for a population (``(n,)`` for one curve), NaN after a curve
    stopped; ``lengths (K,)`` how many batches each curve recorded. ``suggestions[name]`` and the
    attributes ``valley``, ``slide``, ``minimum``, ``steep`` give one lr per curve (a float for
    one curve); ``points[name]`` the ``(lr, loss)`` fastai marks on its plot.
    """

    def __init__(self, lrs, losses, smoothed, lengths, num_it, settings, single, floor=0.0):
        self.floor = floor
        self.lrs, self.losses, self.smoothed = lrs, losses, smoothed
        self.lengths, self.num_it, self.settings, self.single = lengths, num_it, settings, single
        per_curve = [suggest(lrs[:n], smoothed[:n, k], num_it) for k, n in enumerate(lengths)]
        self.suggestions = {
            name: self._out(np.array([s[name][0] for s in per_curve])) for name in SUGGESTIONS
        }
        self.points = {
            name: tuple(self._out(np.array([s[name][1][j] for s in per_curve])) for j in (0, 1))
            for name in SUGGESTIONS
        }
        if single:
            self.losses, self.smoothed, self.lengths = losses[:, 0], smoothed[:, 0], int(lengths[0])

    def _loss_at(self, k, lr):
        """Curve ``k``'s smoothed loss at ``lr``, interpolated in log lr."""
        lrs, smoothed = self.curve(k)
        if not len(lrs) or not np.isfinite(lr):
            return np.nan
        return float(np.interp(np.log10(lr), np.log10(lrs), smoothed))

    def _out(self, values):
        return float(values[0]) if self.single else values

    def __getattr__(self, name):
        suggestions = self.__dict__.get("suggestions", {})
        if name in suggestions:
            return suggestions[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def n_curves(self):
        return 1 if self.single else len(self.lengths)

    def curve(self, k=0, smoothed=True):
        """``(lrs, losses)`` recorded by curve ``k`` (its own length)."""
        values = self.smoothed if smoothed else self.losses
        if self.single:
            return self.lrs[: self.lengths], values[: self.lengths]
        return self.lrs[: self.lengths[k]], values[: self.lengths[k], k]

    def __repr__(self):
        def show(v):
            return f"{v:.3g}" if np.ndim(v) == 0 else "[" + ", ".join(f"{x:.3g}" for x in v) + "]"

        inside = ", ".join(f"{name}={show(self.suggestions[name])}" for name in SUGGESTIONS)
        return f"{type(self).__name__}({inside})"

    def _y(self, values, log):
        return np.maximum(values - self.floor, np.finfo(float).tiny) if log else values

    def plot(self, ax=None, member=None, skip_end=5, suggestions=SUGGESTIONS, raw=False, log=False):
        """fastai's plot: smoothed loss against lr (log axis) without the last ``skip_end``
        points, the suggestions marked where fastai marks them (``minimum`` at the lr it
        suggests, a tenth of the lowest point's, where fastai dots the lowest point). One
        curve: every suggestion in its own colour; a population: one colour per member with its
        ``valley`` marked (or ``member=k`` for one member). ``raw=True`` adds the unsmoothed
        batch losses, faint. ``log=True`` draws the loss minus ``floor`` (a surface's lowest
        value) on a log axis.
        Returns ``Drawn(ax, lines, raw, markers)``."""
        for name in suggestions:
            arguments.check_choice("suggestion", name, SUGGESTIONS)
        skip_end = arguments.check_int("skip_end", skip_end, minimum=0)
        ax = theme.prepare_axes(ax)
        members = [0] if self.single else ([member] if member is not None else range(self.n_curves))
        drawn = theme.Drawn(ax=ax, lines=[], raw=[], markers={})
        one = len(members) == 1
        for i, k in enumerate(members):
            lrs, smoothed = self.curve(k)
            _, losses = self.curve(k, smoothed=False)
            keep = slice(None, len(lrs) - skip_end if skip_end else None)
            c = theme.color(0 if one else i)
            if raw:
                drawn["raw"].append(
                    ax.plot(lrs[keep], self._y(losses[keep], log), color=c, alpha=0.25, lw=1)[0]
                )
            label = (
                ("smoothed loss" if self.settings["smooth"] else "loss") if one else f"member {k}"
            )
            drawn["lines"].append(
                ax.plot(lrs[keep], self._y(smoothed[keep], log), color=c, label=label)[0]
            )
        for j, name in enumerate(
            suggestions if one else [n for n in ("valley",) if n in suggestions]
        ):
            xs, ys = (np.atleast_1d(v) for v in self.points[name])
            lr = np.atleast_1d(self.suggestions[name])
            if name == "minimum":
                # fastai dots the lowest point, ten times the lr it suggests: drawn at the
                # suggestion instead, on the curve, so a dot always sits at its legend's lr
                xs = lr.copy()
                ys = np.array([self._loss_at(k, lr[k]) for k in range(len(lr))])
            if one:
                xs, ys, lr = xs[members], ys[members], lr[members]
                label = f"{name}: {lr[0]:.2g}"
                colors = [theme.color(j + 1)]
            else:
                label = f"{name} suggestions"
                colors = [theme.color(i) for i in range(len(members))]
            drawn["markers"][name] = ax.scatter(
                xs,
                self._y(ys, log),
                c=colors,
                marker=MARKERS[name],  # a shape each too, for readers who cannot tell the colours
                s=70,
                zorder=5,
                edgecolors="black",
                linewidths=0.6,
                label=label,
            )
        if raw and not log:
            # single noisy batches would set the scale; the smoothed curves are the message
            shown = np.concatenate([line.get_ydata() for line in drawn["lines"]])
            shown = shown[np.isfinite(shown)]
            if shown.size:
                low, high = shown.min(), shown.max()
                pad = 0.1 * (high - low or abs(high) or 1.0)
                ax.set_ylim(low - pad, high + 3 * pad)
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("learning rate (log scale)")
        smoothing = " (smoothed)" if self.settings["smooth"] else ""
        ax.set_ylabel(("loss − f*" if log and self.floor else "loss") + smoothing)
        if log:
            # a run that converges drives the gap to 1e-300; the rise is the message, so show
            # twelve decades below the highest point at most
            shown = np.concatenate([line.get_ydata() for line in drawn["lines"]])
            shown = shown[np.isfinite(shown) & (shown > 0)]
            if shown.size:
                ax.set_ylim(max(shown.min(), shown.max() * 1e-12) / 3, shown.max() * 3)
        # beside the axes: the blow-up at the right end is what the reader must see
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, framealpha=0.9)
        return plotting.finish(drawn)


class SurfaceLRFinderResult(LRFinderResult):
    """A range test on a 2-D surface; one curve per start. :meth:`plot_trajectories` links the
    curve to what constant-lr runs at some of its learning rates do."""

    def __init__(self, surface, optimizer, starts, *args):
        self.surface, self.optimizer, self.starts = surface, optimizer, starts
        super().__init__(*args)

    def marked_lrs(self, k=0):
        """Learning rates worth a look, as a dict label -> lr: where nothing happens yet (the
        first point the suggestions consider), the ``valley`` and ``minimum`` suggestions, the
        lr of the lowest loss, and the last lr before the sweep stopped."""
        lrs, losses = self.curve(k)
        first = min(self.num_it // 10, len(lrs) - 1)
        finite = np.isfinite(losses)
        low = int(np.argmin(np.where(finite, losses, np.inf))) if finite.any() else first
        picks = {
            "too small": lrs[first],
            "valley": np.atleast_1d(self.suggestions["valley"])[k],
            "minimum (lowest / 10)": np.atleast_1d(self.suggestions["minimum"])[k],
            "lowest loss": lrs[low],
            "last before stop": lrs[len(lrs) - 1],
        }
        return {label: float(lr) for label, lr in picks.items() if np.isfinite(lr)}

    def plot_trajectories(self, lrs=None, steps=None, start=0, axes=None, log=True):
        """Left, the finder curve of start ``start`` with the chosen lrs marked; right, runs of
        ``steps`` steps (default ``num_it``) at each of those constant lrs from that start, in
        the same colours. ``lrs`` is a list or dict label -> lr (default :meth:`marked_lrs`).
        ``log`` draws the left curve as the gap to the lowest minimum on a log axis.
        Returns ``Drawn(axes, curve, markers, runs, trajectories)``."""
        picks = (
            self.marked_lrs(start)
            if lrs is None
            else (dict(lrs) if isinstance(lrs, dict) else {f"lr={v:.2g}": float(v) for v in lrs})
        )
        for label, v in picks.items():
            arguments.check_positive(f"lrs[{label!r}]", v)
        steps = self.num_it if steps is None else arguments.check_int("steps", steps, minimum=1)
        if axes is None:
            import matplotlib.pyplot as plt

            with theme.style():
                fig = plt.figure(figsize=(12.5, 5), layout="constrained")
                axes = fig.subplots(1, 2)
        left, right = axes
        curve = self.plot(
            ax=left, member=None if self.single else start, skip_end=0, suggestions=(), log=log
        )
        curve["lines"][0].set_color("#555555")
        lrs_k, smoothed = self.curve(start)
        colors = [theme.color(i) for i in range(len(picks))]
        markers = []
        for (label, lr), c in zip(picks.items(), colors):
            y = np.interp(np.log(lr), np.log(lrs_k), self._y(smoothed, log))
            markers.append(
                left.scatter(
                    [lr],
                    [y],
                    color=c,
                    s=70,
                    zorder=5,
                    edgecolors="black",
                    label=f"{label}: {lr:.2g}",
                )
            )
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, framealpha=0.9)
        left.set_title("LR range test")
        point = np.reshape(self.starts, (-1, 2))[start]
        runs = [
            simulate(self.surface, self.optimizer.with_hyperparameters(lr=lr), point, steps)
            for lr in picks.values()
        ]
        drawn_runs = plotting.trajectories(
            runs, ax=right, labels=list(picks), colors=colors, legend=False
        )
        right.set_title(f"{steps} steps at each constant lr")
        return theme.Drawn(
            axes=axes, curve=curve, markers=markers, runs=runs, trajectories=drawn_runs
        )


# -- running the sweep -----------------------------------------------------------------------------


def lr_find(
    target,
    optimizer,
    data,
    y=None,
    start_lr=1e-7,
    end_lr=10.0,
    num_it=100,
    mode="exp",
    smooth=None,
    stop_div=True,
    validation_data=None,
    batch_size=32,
    seed=None,
    noise=0.0,
    lr_mult=None,
):
    """The LR range test on an MLP (``lr_find(model, optimizer, X, y)``) or on a 2-D surface
    (``lr_find(surface, optimizer, starts)``); see the module docstring for the procedure.

    MLP: ``num_it // n_batches + 1`` epochs of ``fit`` (batch size ``batch_size``, shuffled by
    each member's stream or ``seed``), no validation pass; every member of a population gets its
    own curve and stops on its own. With ``validation_data`` the curve is the validation loss
    after each update instead (as torch-lr-finder's ``val_loader``). ``lr_mult`` spreads the
    swept lr over the layers (frozen layers stay frozen). Surface: ``starts`` is one point
    ``(2,)`` or several ``(n, 2)``, one curve each; ``noise`` (with ``seed``) adds Gaussian
    noise to the gradients; the divergence rule is applied to the loss minus the surface's
    lowest known minimum value.

    ``smooth`` (β) defaults to fastai's 0.98 wherever the loss is noisy (mini-batches, a surface
    with ``noise``) and to 0 on a noiseless surface: there the average would only add its lag of
    about 1/(1−β) = 50 batches — four decades of lr with the default sweep.
    """
    if not (isinstance(target, (MLP, str)) or hasattr(target, "grad_xy")):
        raise TypeError(
            f"target must be a gdsim.nn.MLP or a surface (a Surface or its name), got {target!r}"
        )
    for o in optimizer if isinstance(target, MLP) and isinstance(optimizer, list) else [optimizer]:
        arguments.check_optimizer("optimizer", o)
    arguments.check_nonnegative("noise", noise)
    seed = arguments.check_seed("seed", seed)
    if smooth is None:
        smooth = 0.0 if not isinstance(target, MLP) and not np.any(noise) else 0.98
    start_lr, end_lr, num_it, mode, smooth = _check(start_lr, end_lr, num_it, mode, smooth)
    stop_div = arguments.check_bool("stop_div", stop_div)
    settings = dict(start_lr=start_lr, end_lr=end_lr, mode=mode, smooth=smooth, stop_div=stop_div)
    if isinstance(target, MLP):
        if y is None:
            raise TypeError("lr_find(model, optimizer, X, y) needs the targets y")
        return _lr_find_mlp(
            target, optimizer, data, y, num_it, settings, validation_data, batch_size, seed, lr_mult
        )
    if y is not None or validation_data is not None:
        raise TypeError(
            "on a surface, lr_find(surface, optimizer, starts) takes no y or validation_data"
        )
    return _lr_find_surface(target, optimizer, data, num_it, settings, noise, seed)


class _RangeTest(Callback):
    """The batch hook of the MLP sweep: records, smooths, and stops curves one by one."""

    def __init__(self, K, num_it, settings, validation):
        self.num_it, self.validation = num_it, validation
        self.smoother = _Smoother(K, settings["smooth"], settings["stop_div"])
        self.losses = np.full((num_it, K), np.nan)
        self.smoothed = np.full((num_it, K), np.nan)
        self.lengths = np.zeros(K, dtype=int)

    def on_batch_end(self, iteration, logs, run):
        active = run.active.copy()
        loss = logs["loss"]
        if self.validation is not None:
            loss = run.model.evaluate_checked(*self.validation)[0]
        smoothed, stop = self.smoother.update(loss, active)
        self.losses[iteration] = np.where(active, loss, np.nan)
        self.smoothed[iteration] = np.where(active, smoothed, np.nan)
        self.lengths[active] = iteration + 1
        run.stop(active if iteration + 1 >= self.num_it else stop)


def _lr_find_mlp(
    model, optimizer, X, y, num_it, settings, validation_data, batch_size, seed, lr_mult
):
    batch_size = arguments.check_int("batch_size", batch_size, minimum=1)
    _, _, _, validation = check_data(model, X, y, validation_data)
    n_batches = -(-len(X) // batch_size)
    schedule = _lr_schedule(num_it, settings)
    sweeping = (
        [o.with_hyperparameters(lr=schedule) for o in optimizer]
        if isinstance(optimizer, (list, tuple))
        else optimizer.with_hyperparameters(lr=schedule)
    )
    recorder = _RangeTest(model.population, num_it, settings, validation)
    saved_theta = [t.copy() for t in model.theta]
    streams = getattr(model, "_shuffle_rngs", None)
    saved_streams = None if streams is None else [rng.bit_generator.state for rng in streams]
    try:
        fit(
            model,
            sweeping,
            X,
            y,
            epochs=num_it // n_batches + 1,
            batch_size=batch_size,
            callbacks=[recorder],
            seed=seed,
            verbose=0,
            lr_mult=lr_mult,
        )
    finally:
        model.theta = saved_theta
        if saved_streams is None:
            model._shuffle_rngs = None
        else:
            for rng, state in zip(streams, saved_streams):
                rng.bit_generator.state = state
            model._shuffle_rngs = streams
    n = int(recorder.lengths.max())
    lrs = sweep_lrs(settings["start_lr"], settings["end_lr"], num_it, settings["mode"])[:n]
    return LRFinderResult(
        lrs,
        recorder.losses[:n],
        recorder.smoothed[:n],
        recorder.lengths,
        num_it,
        settings,
        model.single,
    )


def _lr_find_surface(surface, optimizer, starts, num_it, settings, noise, seed):
    surface = surfaces.as_surface(surface)
    starts = check_starts(starts)
    if starts.ndim > 2:
        raise ValueError(
            f"starts must be one point (2,) or a list of points (n, 2), got shape {starts.shape}"
        )
    points = starts.reshape(-1, 2)
    run = simulate(
        surface,
        optimizer.with_hyperparameters(lr=_lr_schedule(num_it, settings)),
        points,
        num_it,
        noise=noise,
        seed=seed,
    )
    raw = run.losses[:num_it].copy()
    step = np.arange(num_it)[:, None]
    # the engine freezes a run that blew up at its last finite point; for the finder that step
    # and every later one lost everything
    raw[(run.diverged_at >= 0) & (step >= run.diverged_at)] = np.inf
    values = getattr(surface, "minima_values", ())
    floor = float(np.min(values)) if len(values) else 0.0
    K = len(points)
    smoother = _Smoother(K, settings["smooth"], settings["stop_div"], floor)
    smoothed = np.full((num_it, K), np.nan)
    lengths = np.zeros(K, dtype=int)
    active = np.ones(K, dtype=bool)
    for i in range(num_it):
        smoothed[i], stop = smoother.update(raw[i], active)
        smoothed[i, ~active] = np.nan
        lengths[active] = i + 1
        active &= ~stop
        if not active.any():
            break
    raw[np.arange(num_it)[:, None] >= lengths] = np.nan
    n = int(lengths.max())
    lrs = sweep_lrs(settings["start_lr"], settings["end_lr"], num_it, settings["mode"])[:n]
    return SurfaceLRFinderResult(
        surface,
        optimizer,
        starts,
        lrs,
        raw[:n],
        smoothed[:n],
        lengths,
        num_it,
        settings,
        starts.ndim == 1,
        floor,
    )
