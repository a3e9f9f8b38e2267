"""``diagnose``: read a loss curve the way the seed lecture does, and say what to change.

The lecture's reading of loss trends (seeds/000, "Learning rate diagnosis through loss trend"):

* a large, constant learning rate never converges: look for **big jumps** in the loss;
* a small one takes a very long time: look for **slow or no change** in the training loss;
* the ideal: a big drop in the early epochs, then a smooth trend;
* the model does not improve on the validation set: likely **overfitting**;
* the validation loss oscillates: the validation set does not resemble the training set, or
  there is not enough data.

``diagnose`` turns each reading into a rule on a few robust numbers measured on one run's
curves. The first rule that fires gives the label (the order matters: a run that diverged also
has big jumps, and a run whose lr is too high also overfits nothing)::

    label                 fires when (thresholds in THRESHOLDS)
    diverged              a non-finite loss, or the smoothed final loss > growth × the first epoch's
    too high              noise > 0.05  and  bounce > 0.15
    too low               decrease < 0.10, or early_share < 0.35 while late_change > 0.01
    overfitting           val_rise > max(0.15, 2 × val_noise)  and  train_fall_since_val_best > 0.05
    unstable validation   val_noise > 0.10  and  val_noise > 5 × noise
    plateau               late_change < 0.01
    healthy               none of the above

The numbers (every one is a ratio, so they do not depend on the loss's units or scale):

* ``decrease``: ``(loss[0] − final) / loss[0]``, with ``final`` the smoothed last value;
* ``early_share``: the part of that decrease achieved in the first 10% of the epochs. A good
  lr front-loads progress (the lecture's "big drop early"); a tiny one crawls at a steady rate,
  so the first tenth of the epochs gives about a tenth of the progress;
* ``noise``: mean ``|loss[t] − loss[t−1]|`` over the second half of training, relative to its
  median level: how much the loss jumps from one epoch to the next once the big drop is over;
* ``bounce``: how far the loss of the last quarter (median) sits above the best loss the run
  ever reached. Mini-batch noise around a descent stays close to its best; a too-large step
  keeps throwing the weights back up the walls of the valley;
* ``late_change``: relative improvement of the smoothed loss over the second half;
* ``val_rise``: how far the validation loss of the last quarter (median) sits above the minimum
  of the smoothed validation loss; it must also beat twice the validation loss's own jumps, so
  that one noisy epoch cannot pass for a trend;
* ``train_fall_since_val_best``: relative fall of the smoothed training loss since then;
* ``val_noise``: ``noise`` measured on the validation loss. Keras-style records make validation
  a little jumpier than training even in a healthy run (the training loss is a mean over the
  epoch's batches, the validation loss a snapshot at its end): ratios of 2–4 are normal, hence
  the factor 5.

"Smoothed" is a running median over about 5% of the epochs (at least 3), which ignores single
spikes but keeps trends. The thresholds were set on the seed tutorial's learning-rate sweep
(blobs, MLP [2, 50, 3], SGD, 200 epochs, 10 seeds) and on synthetic curves; pass
``thresholds={...}`` to try others. A rule needs enough epochs to see a trend:
``diagnose`` refuses fewer than ``MIN_EPOCHS``.

Limits, worth showing a class: the curve is all it reads. A step so large that it kills the
network in the first epoch (dead ReLUs, every input mapped to the class prior) leaves a flat,
smooth curve at the chance-level loss, which reads as a plateau — or even as healthy, since the
huge first-epoch loss makes the drop look big. The accuracy, or a search's table, gives it away.
Short runs (tens of epochs) are read less reliably than the tutorial's 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from gdsim import arguments

__all__ = ["diagnose", "Diagnosis", "Diagnoses", "LABELS", "THRESHOLDS", "MIN_EPOCHS"]

MIN_EPOCHS = 5

# label -> the lecture's advice, one sentence each
LABELS = {
    "diverged": "The loss blew up: lower the learning rate by a factor of 10 or more.",
    "too high": "Big jumps mean the weights always change in big steps and never settle: lower "
    "the learning rate, or start large and decay it (ReduceLROnPlateau, a schedule).",
    "too low": "Slow or no change: at this learning rate the model takes a very long time to "
    "converge, so raise it (try 10x), unless the model is small and you can wait.",
    "overfitting": "The validation loss rises while the training loss falls: the model is "
    "overfitting, so reduce its complexity (or keep the best epoch with "
    "EarlyStopping / ModelCheckpoint).",
    "unstable validation": "The validation loss oscillates while training is smooth: the "
    "validation set does not resemble the training set or there is not "
    "enough data, so collect more.",
    "plateau": "The loss has stopped improving: lower the learning rate now (ReduceLROnPlateau) "
    "to take smaller steps into the minimum, or stop training.",
    "healthy": "A big early drop and a smooth trend: keep this learning rate (an adaptive decay "
    "can still polish the end).",
}

THRESHOLDS = {
    "growth": 2.0,  # diverged: final loss above 2x the first epoch's
    "noise": 0.05,  # too high: jumps of more than 5% per epoch ...
    "bounce": 0.15,  # ... and sitting more than 15% above its best
    "decrease": 0.10,  # too low: less than 10% total decrease ...
    "early_share": 0.35,  # ... or under 35% of it in the first tenth of the epochs ...
    "late_change": 0.01,  # ... while still improving (plateau: improving by less)
    "val_rise": 0.15,  # overfitting: validation loss 15% above its best ...
    "val_rise_noise": 2.0,  # ... and 2x its own epoch-to-epoch jumps ...
    "train_fall": 0.05,  # ... while training loss fell 5% more since then
    "val_noise": 0.10,  # unstable validation: validation jumps of 10% per epoch ...
    "val_noise_ratio": 5.0,  # ... and 5x the training loss's
}


@dataclass(frozen=True)
class Diagnosis:
    """One run's reading: ``label`` (a key of :data:`LABELS`), the lecture's ``advice``,
    ``reason`` (the numbers that decided it, in words) and every measured number in
    ``evidence``."""

    label: str
    advice: str
    reason: str
    evidence: dict = field(default_factory=dict)

    def __repr__(self):
        numbers = "  ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        return f"{self.label}: {self.reason}\n  advice: {self.advice}\n  evidence: {numbers}"

    def __str__(self):
        return repr(self)


class Diagnoses:
    """Diagnoses of a population, one per run, in the population's shape.

    ``labels`` is a string array of that shape; ``d[i]`` (or ``d[i, j]``) a :class:`Diagnosis`;
    ``counts()`` how many runs got each label; ``table()`` one line per run.
    """

    COLUMNS = ("decrease", "early_share", "noise", "bounce", "late_change", "val_rise", "val_noise")

    def __init__(self, items, shape):
        self.items = list(items)
        self.shape = tuple(shape)
        self.labels = np.array([d.label for d in self.items], dtype=object).reshape(self.shape)

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, index):
        flat = np.arange(len(self.items)).reshape(self.shape)[index]
        if np.ndim(flat) == 0:
            return self.items[int(flat)]
        return Diagnoses([self.items[i] for i in np.ravel(flat)], np.shape(flat))

    def counts(self):
        """``{label: number of runs}`` in the order of :data:`LABELS`."""
        found = [d.label for d in self.items]
        return {label: found.count(label) for label in LABELS if label in found}

    def table(self, format="text"):
        """One row per run: its index in the population, the label and the key numbers.
        ``format``: ``"text"`` (aligned columns) or ``"markdown"``."""
        arguments.check_choice("format", format, ["text", "markdown"])
        header = ["run", "label"] + list(self.COLUMNS)
        rows = [
            [str(index if len(index) != 1 else index[0]), d.label]
            + [_fmt(d.evidence.get(c, np.nan)) for c in self.COLUMNS]
            for index, d in zip(np.ndindex(*self.shape), self.items)
        ]
        return render_table(header, rows, format)

    def advice(self):
        """``{label: the lecture's advice}`` for every label some run got, in that order."""
        found = {d.label: d.advice for d in self.items}
        return {label: found[label] for label in LABELS if label in found}

    def __repr__(self):
        counts = self.counts()
        advice = "\n".join(
            f"  {label} ({counts[label]} run{'s' if counts[label] > 1 else ''}): {text}"
            for label, text in self.advice().items()
        )
        return f"Diagnoses(shape={self.shape}, counts={counts})\n{self.table()}\nadvice:\n{advice}"


def _fmt(value):
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return "–" if not np.isfinite(value) else f"{value:.3g}"


def render_table(header, rows, format="text"):
    """Rows of strings as aligned text columns or a markdown table (also used by gdsim.search)."""
    if format == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    return "\n".join(
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in [header] + rows
    )


# -- measuring -------------------------------------------------------------------------------------


def _smooth(x):
    """Running median over ~5% of the epochs (odd, at least 3); the window shrinks at the ends."""
    n = len(x)
    half = max(1, n // 40)
    return np.array([np.median(x[max(0, t - half) : t + half + 1]) for t in range(n)])


def _noise(x):
    """Mean epoch-to-epoch jump over the second half, relative to that half's median level."""
    tail = x[len(x) // 2 :]
    level = abs(np.median(tail))
    return float(np.mean(np.abs(np.diff(tail))) / level) if level > 0 else 0.0


def _ratio(num, den):
    return float(num / den) if den != 0 else 0.0


def _measure(loss, val):
    """Every number of the module docstring for one run (finite, trimmed curves)."""
    n = len(loss)
    s = _smooth(loss)
    first, final = loss[0], s[-1]
    total = first - final
    early = s[max(1, round(n / 10))]
    tail = loss[-max(2, n // 4) :]
    ev = {
        "epochs": n,
        "decrease": _ratio(total, abs(first)),
        "early_share": _ratio(first - early, total) if total > 0 else float("nan"),
        "noise": _noise(loss),
        "bounce": _ratio(np.median(tail) - loss.min(), abs(np.median(tail))),
        "late_change": _ratio(s[n // 2] - final, abs(s[n // 2])),
        "growth": _ratio(final, abs(first)),
    }
    if val is not None:
        sv = _smooth(val)
        best = int(np.argmin(sv))
        ev.update(
            {
                "val_rise": _ratio(np.median(val[-max(2, n // 4) :]) - sv[best], abs(sv[best])),
                "val_best_epoch": best,
                "train_fall_since_val_best": _ratio(s[best] - final, abs(s[best])),
                "val_noise": _noise(val),
            }
        )
    return ev


def _pct(x):
    return f"{100 * x:.1f}%"


def _decide(ev, t, has_val):
    """The first rule that fires, and the sentence that says why."""
    if ev["growth"] > t["growth"]:
        return "diverged", (
            f"the smoothed final loss is {ev['growth']:.3g}x the first epoch's "
            f"(threshold {t['growth']:g}x)"
        )
    if ev["noise"] > t["noise"] and ev["bounce"] > t["bounce"]:
        return "too high", (
            f"the training loss jumps {_pct(ev['noise'])} per epoch "
            f"(threshold {_pct(t['noise'])}) and its last quarter sits "
            f"{_pct(ev['bounce'])} above its best (threshold {_pct(t['bounce'])})"
        )
    if ev["decrease"] < t["decrease"]:
        return "too low", (
            f"the training loss fell only {_pct(ev['decrease'])} in {ev['epochs']} "
            f"epochs (threshold {_pct(t['decrease'])})"
        )
    if ev["early_share"] < t["early_share"] and ev["late_change"] > t["late_change"]:
        return "too low", (
            f"the first tenth of the epochs gave only {_pct(ev['early_share'])} of "
            f"the decrease (threshold {_pct(t['early_share'])}) and the loss is "
            f"still falling steadily ({_pct(ev['late_change'])} in the second half)"
        )
    if (
        has_val
        and ev["val_rise"] > max(t["val_rise"], t["val_rise_noise"] * ev["val_noise"])
        and ev["train_fall_since_val_best"] > t["train_fall"]
    ):
        return "overfitting", (
            f"the validation loss ended {_pct(ev['val_rise'])} above its best "
            # evidence counts from 0 (an index into the history); people count epochs from 1
            f"(epoch {ev['val_best_epoch'] + 1}; threshold "
            f"{_pct(max(t['val_rise'], t['val_rise_noise'] * ev['val_noise']))}) "
            f"while the training loss fell another "
            f"{_pct(ev['train_fall_since_val_best'])}"
        )
    if (
        has_val
        and ev["val_noise"] > t["val_noise"]
        and ev["val_noise"] > t["val_noise_ratio"] * ev["noise"]
    ):
        return "unstable validation", (
            f"the validation loss jumps {_pct(ev['val_noise'])} per "
            f"epoch (threshold {_pct(t['val_noise'])}), "
            f"{_ratio(ev['val_noise'], ev['noise']):.3g}x the training "
            f"loss's (threshold {t['val_noise_ratio']:g}x)"
        )
    if ev["late_change"] < t["late_change"]:
        return "plateau", (
            f"the loss improved only {_pct(ev['late_change'])} over the second "
            f"half (threshold {_pct(t['late_change'])})"
        )
    return "healthy", (
        f"the loss fell {_pct(ev['decrease'])}, {_pct(ev['early_share'])} of it in "
        f"the first tenth of the epochs, and jumps only {_pct(ev['noise'])} per epoch"
    )


def _diagnose_one(loss, val, stopped_at, diverged_at, thresholds):
    loss = np.asarray(loss, dtype=float)
    val = None if val is None else np.asarray(val, dtype=float)
    if stopped_at >= 0 and diverged_at < 0:
        # a member stopped by a callback has NaN after its stop: that is not divergence
        loss = loss[: stopped_at + 1]
        val = None if val is None else val[: stopped_at + 1]
    bad = ~np.isfinite(loss)
    if bad.any() or diverged_at >= 0:
        epoch = int(np.argmax(bad)) if bad.any() else int(diverged_at)
        return Diagnosis(
            "diverged",
            LABELS["diverged"],
            f"the training loss is not finite from epoch {epoch} on",
            {"epochs": len(loss), "diverged_at": epoch},
        )
    if len(loss) < MIN_EPOCHS:
        raise ValueError(
            f"history must hold at least {MIN_EPOCHS} epochs for diagnose to read a "
            f"trend, got {len(loss)}"
        )
    if val is not None and not np.isfinite(val).all():
        val = None  # validation blew up alone (rare): judge the training curve
    ev = _measure(loss, val)
    label, reason = _decide(ev, thresholds, val is not None)
    return Diagnosis(label, LABELS[label], reason, ev)


def _curves(history, val_loss):
    """``(loss, val_loss or None, stopped_at, diverged_at)`` as arrays ``(epochs, *shape)``."""
    stopped = diverged = None
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        stopped = getattr(history, "stopped_at", None)
        diverged = getattr(history, "diverged_at", None)
        history = history.history  # gdsim's History, or a Keras History
    if isinstance(history, Mapping):
        if "loss" not in history:
            raise ValueError(f"history has no 'loss'; it holds {sorted(history)}")
        if val_loss is not None:
            raise TypeError("pass val_loss only with a plain loss array, not with a History")
        loss, val_loss = history["loss"], history.get("val_loss")
    else:
        loss = history
    wanted = "a History, a dict with 'loss', or an array of losses (epochs, ...)"
    if isinstance(loss, (str, bytes)) or np.ndim(loss) == 0:
        raise TypeError(f"history must be {wanted}, got {type(history).__name__}")
    loss = arguments.as_real_array("history", loss, what=wanted)
    if val_loss is not None:
        val_loss = arguments.as_real_array("val_loss", val_loss, what="an array of losses")
    if loss.shape[0] == 0:
        raise ValueError(f"history must hold at least one epoch, got loss of shape {loss.shape}")
    if val_loss is not None and val_loss.shape != loss.shape:
        raise ValueError(f"val_loss must have the shape of loss {loss.shape}, got {val_loss.shape}")
    shape = loss.shape[1:]
    stopped = np.full(shape, -1) if stopped is None else np.broadcast_to(stopped, shape)
    diverged = np.full(shape, -1) if diverged is None else np.broadcast_to(diverged, shape)
    return loss, val_loss, stopped, diverged


def diagnose(history, val_loss=None, *, thresholds=None):
    """Label each run's loss curve as the seed lecture would, with its advice and the evidence.

    ``history`` is a :class:`gdsim.nn.History` (any population shape: ``(epochs,)``,
    ``(epochs, K)``, ``(epochs, n_conditions, n_seeds)``), a dict (or Keras History) with
    ``"loss"`` and optionally ``"val_loss"``, or a plain array of training losses
    ``(epochs, ...)`` with ``val_loss`` beside it. Returns one :class:`Diagnosis` for a single
    run, else :class:`Diagnoses` in the population's shape. The rules, the numbers they read and
    why are in the module docstring; ``thresholds`` overrides entries of :data:`THRESHOLDS`.

    What it teaches: a curve's shape, not its final value, tells you which way to move the lr.
    """
    t = dict(THRESHOLDS)
    if thresholds is not None:
        if not isinstance(thresholds, Mapping):
            raise TypeError(
                f"thresholds must be a dict of {{name: value}} overriding entries of "
                f"THRESHOLDS, got {thresholds!r}"
            )
        unknown = set(thresholds) - set(THRESHOLDS)
        if unknown:
            raise arguments.unknown_name_error("threshold", sorted(unknown)[0], THRESHOLDS)
        for name, value in thresholds.items():
            # inf is allowed: it switches a rule off (e.g. growth=inf never reads "diverged")
            arguments.check_nonnegative(f"thresholds[{name!r}]", value, finite=False)
        t.update(thresholds)
    loss, val, stopped, diverged = _curves(history, val_loss)
    shape = loss.shape[1:]
    n_runs = int(np.prod(shape))
    flat = loss.reshape(len(loss), n_runs)
    flat_val = None if val is None else val.reshape(len(val), n_runs)
    with np.errstate(all="ignore"):
        items = [
            _diagnose_one(
                flat[:, k],
                None if flat_val is None else flat_val[:, k],
                int(stopped.reshape(-1)[k]),
                int(diverged.reshape(-1)[k]),
                t,
            )
            for k in range(n_runs)
        ]
    return items[0] if shape == () else Diagnoses(items, shape)
