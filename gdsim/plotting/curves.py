"""Curves against time that need no landscape: the learning rate per step (one schedule,
several, or the gallery of every common one) and the training curves of an MLP's ``History``.

Like every figure function, each takes ``ax=None`` and returns a
:class:`gdsim.plotting.theme.Drawn`; all of them are importable from :mod:`gdsim.plotting` too. The
loss of a Run against step lives with its paths, in :func:`gdsim.plotting.losses`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from gdsim import arguments
from gdsim.plotting.theme import FONT_SIZE, LINE_WIDTH, Drawn, color, finish, prepare_axes, style

# -- schedules -------------------------------------------------------------------------------------


def _named(schedules):
    if isinstance(schedules, dict):
        return list(schedules.items())
    if callable(schedules):
        schedules = [schedules]
    return [(repr(s) if not getattr(s, "__name__", None) else s.__name__, s) for s in schedules]


def schedule_values(schedule, steps):
    """``schedule(0..steps-1)`` as ``(curves, steps)``: one row per curve (a swept parameter
    gives several)."""
    values = np.asarray(schedule(np.arange(steps)), dtype=float)
    if values.ndim == 0:
        return np.full((1, steps), float(values))
    axis = [i for i, s in enumerate(values.shape) if s == steps]
    axis = axis[-1] if axis else values.ndim - 1
    return np.moveaxis(values, axis, -1).reshape(-1, steps)


def schedules(schedules, steps, *, ax=None, log=False, colors=None, legend=None):
    """Learning rate against step for one or several schedules (a dict name -> schedule, a list
    or a single one): how a schedule spends its step budget before a single run is made.

    Returns ``Drawn(ax, lines)`` with one list of lines per schedule.
    """
    steps = arguments.check_int("steps", steps, minimum=1)
    ax = prepare_axes(ax)
    drawn = Drawn(ax=ax, lines=[])
    named = _named(schedules)
    for g, (name, schedule) in enumerate(named):
        c = colors[g % len(colors)] if colors is not None else color(g)
        curves = schedule_values(schedule, steps)
        # the lr is constant during a step, so draw it as steps, which also shows decay
        # drops honestly
        drawn["lines"].append(
            [
                ax.plot(
                    np.arange(steps),
                    row,
                    color=c,
                    drawstyle="steps-post",
                    label=name if i == 0 else None,
                )[0]
                for i, row in enumerate(curves)
            ]
        )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if legend or (legend is None and len(named) > 1):
        ax.legend(loc="best", framealpha=0.9)
    return finish(drawn)


def schedule_gallery(path=None, *, steps=300, lr=0.1, figsize=None):
    """Every common schedule on one page, each in its own panel with the same axes, so the
    shapes can be compared at a glance: step decays, smooth decays, restarts, cycles, warm-up,
    and the transformer schedules (warmup-stable-decay, inverse square root).

    Returns ``path`` after saving when given, else ``Drawn(figure, axes, lines)``.
    """
    import matplotlib.pyplot as plt

    from gdsim import schedules as S

    steps = arguments.check_int("steps", steps, minimum=10)
    third, half, tenth = steps // 3, steps // 2, steps // 10
    gallery = {
        "constant": S.constant(lr),
        "step (÷10 every third)": S.step(lr, third, 0.1),
        "multistep": S.multistep(lr, [steps // 2, 3 * steps // 4], 0.1),
        "exponential (γ=0.99)": S.exponential(lr, 0.99),
        "time decay (Keras)": S.time_decay(lr, 0.05),
        "inverse scaling (sklearn)": S.inverse_scaling(lr, 0.5),
        "polynomial": S.polynomial(lr, steps, 2.0),
        "cosine": S.cosine(lr, steps),
        # cycles of T, 2T, 4T that end at or after the last step: no restart right at the end
        "SGDR (warm restarts)": S.sgdr(lr, -(-steps // 7), 2),
        "cyclic (triangular)": S.cyclic(lr / 10, lr, steps // 6),
        "one cycle": S.one_cycle(lr, steps),
        "linear warm-up + cosine": S.warmup(S.cosine(lr, steps - steps // 10), steps // 10),
        "warmup-stable-decay (WSD)": S.wsd(
            lr, tenth, half, steps - tenth - half, decay_type="1-sqrt"
        ),
        "inverse sqrt (Noam)": S.inverse_sqrt(lr, tenth),
    }
    columns = 4
    rows = -(-len(gallery) // columns)
    with style():
        fig, grid = plt.subplots(
            rows,
            columns,
            figsize=figsize or (13.0, 2.6 * rows),
            sharex=True,
            sharey=True,
            layout="constrained",
        )
    axes = list(grid.ravel())
    for j in range(len(gallery), len(axes)):  # the last row's spare panels
        axes[j].set_visible(False)
        axes[j - columns].xaxis.set_tick_params(labelbottom=True)  # the panel above ends a column
    axes = axes[: len(gallery)]
    drawn = Drawn(figure=fig, axes=axes, lines=[])
    for i, (ax, (name, schedule)) in enumerate(zip(axes, gallery.items())):
        drawn["lines"].append(
            schedules({name: schedule}, steps, ax=ax, colors=[color(i)], legend=False).lines[0]
        )
        ax.set_title(name, fontsize=FONT_SIZE)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_ylim(0, lr * 1.08)
        ax.grid(alpha=0.3)
    fig.supxlabel("step")
    fig.supylabel("learning rate")
    fig.suptitle(
        f"Learning-rate schedules over {steps} steps (peak lr {lr:g})", fontsize=FONT_SIZE + 3
    )
    if path is None:
        return finish(drawn)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


# -- training curves (the MLP's History) -----------------------------------------------------------


def history(history, metrics=None, *, ax=None, labels=None, log_loss=True, mean=True):
    """Training curves from a ``History``: one panel per metric, validation dashed.

    The population axes read as ``(epochs, conditions, seeds...)``: each condition (e.g. a
    learning rate; ``labels`` names them) gets one colour, its seeds thin lines and, with
    ``mean``, their mean as a bold line, so the spread between seeds is visible next to the
    effect of the condition. ``ax`` is one axes per metric. Returns ``Drawn(axes, lines)`` with
    ``lines[metric][condition]`` the list of lines drawn.
    """
    import matplotlib.pyplot as plt

    keys = list(history.keys())
    if metrics is None:
        metrics = [m for m in ("loss", "accuracy") if m in keys] or keys[:1]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for metric in metrics:
        if metric not in keys:
            raise arguments.unknown_name_error("metric", metric, keys)
    if ax is None:
        with style():
            fig, axes = plt.subplots(
                1,
                len(metrics),
                figsize=(5.2 * len(metrics), 4.2),
                layout="constrained",
                squeeze=False,
            )
        axes = list(axes.ravel())
    else:
        axes = list(np.ravel(ax)) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != len(metrics):
            raise ValueError(f"ax must hold one axes per metric ({len(metrics)}), got {len(axes)}")
    drawn = Drawn(axes=axes, lines={})
    for ax_, metric in zip(axes, metrics):
        drawn["lines"][metric] = []
        for name, line_style in ((metric, "-"), ("val_" + metric, "--")):
            if name not in keys:
                continue
            values = np.asarray(history[name], dtype=float)
            epochs = np.arange(1, len(values) + 1)
            per_condition = (
                values.reshape(len(values), -1)
                if values.ndim <= 2
                else values.reshape(values.shape[:2] + (-1,)).transpose(1, 0, 2)
            )
            if values.ndim <= 2:
                per_condition = per_condition.T[:, :, None]  # (conditions, epochs, seeds = 1)
            for c, curves in enumerate(per_condition):
                label = (
                    labels[c]
                    if labels is not None
                    else (f"#{c}" if len(per_condition) > 1 else None)
                )
                label = (
                    None if line_style == "--" else label
                )  # one legend entry per condition; dashes explained once
                many = curves.shape[1] > 1
                lines = [
                    ax_.plot(
                        epochs,
                        curves[:, s],
                        line_style,
                        color=color(c),
                        lw=1.0 if many and mean else LINE_WIDTH,
                        alpha=0.35 if many and mean else 0.9,
                        label=None if many and mean else label,
                    )[0]
                    for s in range(curves.shape[1])
                ]
                if many and mean:
                    with warnings.catch_warnings():
                        warnings.simplefilter(
                            "ignore", RuntimeWarning
                        )  # epochs where every seed is NaN
                        lines.append(
                            ax_.plot(
                                epochs,
                                np.nanmean(curves, axis=1),
                                line_style,
                                color=color(c),
                                lw=LINE_WIDTH,
                                label=label,
                            )[0]
                        )
                drawn["lines"][metric].append(lines)
        if "val_" + metric in keys:
            ax_.plot([], [], "--", color="black", lw=LINE_WIDTH, label="validation (dashed)")
        if metric.endswith("loss") and log_loss:
            ax_.set_yscale("log")
        ax_.set_xlabel("epoch")
        ax_.set_ylabel(metric)
        if ax_.get_legend_handles_labels()[1]:
            ax_.legend(loc="best", framealpha=0.9, fontsize=FONT_SIZE - 2)
    return finish(drawn)


def _ema(values, beta=0.98):
    """fastai's debiased moving average along the first axis (NaN-free input)."""
    out = np.empty_like(values)
    average = np.zeros(values.shape[1:])
    for i, v in enumerate(values):
        average = beta * average + (1 - beta) * v
        out[i] = average / (1 - beta ** (i + 1))
    return out


def plot_cycle(histories, axes=None, member=0, smooth=0.98):
    """Learning rate, momentum and loss against the batch, stacked on one time axis: how the
    schedule drives the loss. ``histories`` is a History from :func:`gdsim.nn.fit_one_cycle` /
    :func:`gdsim.nn.fit_sgdr` (or any with ``batch_lr``, ``batch_loss``) or a dict label -> History
    for a comparison; a population shows member ``member``. The loss is drawn raw (faint) and
    smoothed with fastai's debiased average (β = ``smooth``).
    Returns ``Drawn(axes, lr, momentum, loss)`` with one line per History in each."""
    named = histories if isinstance(histories, dict) else {"": histories}
    for label, h in named.items():
        if not hasattr(h, "keys"):
            raise TypeError(f"histories must be a History or a dict label -> History, got {h!r}")
        for key in ("batch_lr", "batch_loss"):
            if key not in h.keys():
                raise ValueError(
                    f"histories: History {label!r} has no {key!r}: train with "
                    "fit_one_cycle or fit_sgdr"
                )
    arguments.check_in_range("smooth", smooth, 0.0, 1.0)
    for label, h in named.items():
        width = np.shape(h["batch_lr"])[1] if np.ndim(h["batch_lr"]) == 2 else 1
        if arguments.check_int("member", member, minimum=0) >= width:
            raise ValueError(f"member must be < the population size {width}, got {member}")
    if axes is not None and len(axes) != 3:
        raise ValueError(f"axes must be 3 axes (lr, momentum, loss), got {len(axes)}")
    if axes is None:
        import matplotlib.pyplot as plt

        with style():
            fig = plt.figure(figsize=(7.5, 7.5), layout="constrained")
            axes = fig.subplots(3, 1, sharex=True)
    ax_lr, ax_mom, ax_loss = axes
    drawn = Drawn(axes=axes, lr=[], momentum=[], loss=[], raw=[])

    def column(values):
        values = np.asarray(values, dtype=float)
        return values if values.ndim == 1 else values[:, member]

    for i, (label, h) in enumerate(named.items()):
        c = color(i)
        lr, loss = column(h["batch_lr"]), column(h["batch_loss"])
        steps = np.arange(len(lr))
        drawn["lr"].append(ax_lr.plot(steps, lr, color=c, label=label or None)[0])
        if "batch_momentum" in h.keys():
            drawn["momentum"].append(ax_mom.plot(steps, column(h["batch_momentum"]), color=c)[0])
        finite = np.isfinite(loss)
        drawn["raw"].append(ax_loss.plot(steps, loss, color=c, alpha=0.2, lw=1)[0])
        if finite.all():
            drawn["loss"].append(ax_loss.plot(steps, _ema(loss, smooth), color=c)[0])
    ax_lr.set_ylabel("learning rate")
    ax_mom.set_ylabel("momentum / β1")
    ax_loss.set_ylabel("batch loss")
    ax_loss.set_xlabel("batch (iteration)")
    if len(named) > 1:
        ax_lr.legend(loc="best", framealpha=0.9)
    if not drawn["momentum"]:
        ax_mom.text(
            0.5,
            0.5,
            "momentum not scheduled",
            transform=ax_mom.transAxes,
            ha="center",
            va="center",
            color="#777777",
        )
    return finish(drawn)
