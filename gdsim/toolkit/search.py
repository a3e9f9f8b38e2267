"""Learning-rate search: grid and log-uniform random search, every candidate trained at once.

::

    result = gdsim.search.grid_search(gdsim.SGD, X, y, (X_val, y_val), layers=[2, 50, 3],
                                      epochs=50, seeds=3, lr=[1, 0.1, 0.01], momentum=[0, 0.9])
    print(result.table())      # mean ± std over the seeds of each candidate's validation scores
    result.best                # {'lr': 0.1, 'momentum': 0.9}
    result.plot()              # score against lr (log axis), one line per momentum

How: all candidates × seeds are ONE population of ``K = n_candidates × n_seeds`` networks trained
by one ``fit`` call; each hyperparameter becomes an array of shape ``(K,)``, one value per member.
Member ``c·n_seeds + s`` is candidate ``c`` with seed ``s``.

Why the comparison is fair:

* a fixed budget: every candidate gets the same epochs, batch size and number of updates;
* common random numbers: seed ``s`` gives the same initial weights and the same batch order to
  every candidate, so two candidates differ only in their hyperparameters, and the spread over
  seeds shows how much of a difference is luck.

The score is the validation metric at the ``"final"`` epoch (default: what the budget buys) or
at each member's ``"best"`` epoch (what early stopping with a checkpoint would keep, slightly
optimistic because the same validation set picks the epoch and scores it).
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from gdsim import arguments, plotting, schedules
from gdsim.nn import MLP, History, fit

__all__ = ["grid_search", "random_search", "SearchResult", "log_uniform", "uniform", "SCHEDULES"]

# Schedules that can be searched by name: each builds the lr of a member from its base ``lr``
# (an array, one per member) and the budget in schedule steps. A callable (lr, steps) -> Schedule
# can be searched too.
SCHEDULES = {
    "constant": None,
    "cosine": lambda lr, steps: schedules.cosine(lr, T_max=steps, clamp=True),
    "linear": lambda lr, steps: schedules.polynomial(lr, total_iters=steps),
}
METRICS = ("val_accuracy", "val_loss")


class _Range:
    """A continuous interval to sample from: log-uniform (``log=True``) or uniform."""

    def __init__(self, name, low, high, log):
        arguments.check_finite(f"{name} range", np.array([low, high], dtype=float))
        if log:
            arguments.check_positive(f"{name} range low (log-uniform)", low)
        if not low < high:
            raise ValueError(f"{name} range must have low < high, got ({low:g}, {high:g})")
        self.low, self.high, self.log = float(low), float(high), log

    def sample(self, rng, n):
        if self.log:
            return np.exp(rng.uniform(np.log(self.low), np.log(self.high), n))
        return rng.uniform(self.low, self.high, n)


def log_uniform(low, high):
    """For :func:`random_search`: sample ``exp(U(log low, log high))`` (each decade equally)."""
    return ("log", low, high)


def uniform(low, high):
    """For :func:`random_search`: sample ``U(low, high)``."""
    return ("lin", low, high)


class SearchResult:
    """Every candidate's scores over the seeds, its Histories, the best one, a table and a plot.

    ``candidates`` lists one dict of hyperparameters per candidate; ``history`` is the whole
    population's :class:`History` shaped ``(epochs, n_candidates, n_seeds)`` and ``histories[c]``
    candidate ``c``'s ``(epochs, n_seeds)``; ``scores[metric]`` is ``(n_candidates, n_seeds)``.
    """

    def __init__(self, kind, candidates, names, seeds, history, metric, score, grid_shape=None):
        self.kind, self.candidates, self.names = kind, candidates, names
        self.seeds, self.history, self.metric, self.score = seeds, history, metric, score
        self.grid_shape = grid_shape
        self.scores = {m: self._scores(history[m], m) for m in METRICS}

    def _scores(self, values, metric):
        if self.score == "final":
            return values[-1]
        maximize = metric.endswith("accuracy")
        # a non-finite epoch (divergence) is never the best one; a member with none left scores
        # the worst possible value
        worst = -np.inf if maximize else np.inf
        clean = np.where(np.isfinite(values), values, worst)
        return clean.max(axis=0) if maximize else clean.min(axis=0)

    @property
    def n_seeds(self):
        return len(self.seeds)

    def mean(self, metric=None):
        """Mean score over the seeds, one per candidate (NaN or inf if a seed diverged)."""
        return np.mean(self.scores[metric or self.metric], axis=1)

    def std(self, metric=None):
        """Sample standard deviation over the seeds (ddof=1; 0 with a single seed)."""
        values = self.scores[metric or self.metric]
        if self.n_seeds == 1:
            return np.zeros(len(values))
        with np.errstate(all="ignore"):
            return np.std(values, axis=1, ddof=1)

    @property
    def best_index(self):
        """The candidate with the best mean score (a diverged seed counts as the worst score)."""
        mean = self.mean()
        if self.metric.endswith("accuracy"):
            return int(np.argmax(np.where(np.isfinite(mean), mean, -np.inf)))
        return int(np.argmin(np.where(np.isfinite(mean), mean, np.inf)))

    @property
    def best(self):
        """The best candidate's hyperparameters (``make_optimizer(**result.best)`` when no
        schedule was searched; a schedule appears by its name)."""
        return dict(self.candidates[self.best_index])

    @property
    def histories(self):
        """One :class:`History` per candidate, ``(epochs, n_seeds)``."""
        h = self.history
        return [
            History(
                {k: v[:, c] for k, v in h.history.items()},
                h.epoch,
                h.diverged_at[c],
                h.stopped_at[c],
                h.params,
            )
            for c in range(len(self.candidates))
        ]

    def diagnose(self, **options):
        """:func:`gdsim.diagnose` on every candidate and seed: why the losers lost."""
        from gdsim.toolkit.diagnosis import diagnose

        return diagnose(self.history, **options)

    def table(self, format="text"):
        """One row per candidate: hyperparameters, mean ± std over the seeds of val_accuracy and
        val_loss (final or best epoch, as the header says), diverged seeds, and the most common
        :func:`gdsim.diagnose` label. The best candidate is marked ``*``."""
        arguments.check_choice("format", format, ["text", "markdown"])
        from gdsim.toolkit.diagnosis import MIN_EPOCHS, render_table

        labels = None
        if len(self.history.epoch) >= MIN_EPOCHS:
            found = self.diagnose().labels
            labels = [Counter(row).most_common(1)[0][0] for row in found.reshape(len(found), -1)]
        header = ["#"] + list(self.names) + [f"{m} ({self.score}, mean ± std)" for m in METRICS]
        header += ["diverged"] + (["diagnosis"] if labels else [])
        diverged = self.history.diverged.sum(axis=1)
        rows = []
        for c, candidate in enumerate(self.candidates):
            row = [f"{c}{'*' if c == self.best_index else ''}"]
            row += [_show(candidate[name]) for name in self.names]
            row += [f"{self.mean(m)[c]:.4g} ± {self.std(m)[c]:.2g}" for m in METRICS]
            row += [f"{diverged[c]}/{self.n_seeds}"] + ([labels[c]] if labels else [])
            rows.append(row)
        return render_table(header, rows, format)

    def __repr__(self):
        epochs = self.history.params.get("epochs")
        return (
            f"SearchResult({self.kind}: {len(self.candidates)} candidates × {self.n_seeds} "
            f"seeds, {epochs} epochs each; best {_describe(self.best)} by {self.score} "
            f"{self.metric})\n{self.table()}"
        )

    def plot(self, ax=None, metric=None):
        """Score against lr on a log axis, mean ± std over the seeds as error bars, one line per
        combination of the other hyperparameters; the best candidate is a star.

        What it teaches: the curve is usually a broad hill; the top is flat over a factor of a few,
        and its edges (divergence on the right, crawling on the left) are where a run goes wrong.
        Returns ``Drawn(ax, lines, best, groups)``.
        """
        metric = metric or self.metric
        arguments.check_choice("metric", metric, METRICS)
        ax = plotting.prepare_axes(ax)
        mean, std = self.mean(metric), self.std(metric)
        lr = np.array([c["lr"] for c in self.candidates], dtype=float)
        others = [n for n in self.names if n != "lr"]
        keys = [tuple(_show(c[n]) for n in others) for c in self.candidates]
        distinct = list(dict.fromkeys(keys))
        drawn = plotting.Drawn(ax=ax, lines=[], best=None, groups=[], points=None)
        if len(distinct) < len(self.candidates) or not others:
            for g, key in enumerate(distinct):
                members = sorted(
                    (c for c in range(len(keys)) if keys[c] == key), key=lambda c: lr[c]
                )
                label = ", ".join(f"{n}={v}" for n, v in zip(others, key)) or None
                drawn["lines"].append(
                    ax.errorbar(
                        lr[members],
                        mean[members],
                        yerr=std[members],
                        color=plotting.color(g),
                        marker="o",
                        ms=5,
                        capsize=3,
                        elinewidth=1.2,
                        label=label,
                    )
                )
                drawn["groups"].append(label)
        else:
            # every candidate has its own value (random search over a range): colour the points
            # by the first other hyperparameter instead of joining them into lines
            shade = np.array([self.candidates[c][others[0]] for c in range(len(keys))], dtype=float)
            drawn["lines"].append(
                ax.errorbar(
                    lr, mean, yerr=std, fmt="none", ecolor="#888888", capsize=3, elinewidth=1.2
                )
            )
            drawn["points"] = ax.scatter(lr, mean, c=shade, cmap="viridis", s=30, zorder=3)
            ax.figure.colorbar(drawn["points"], ax=ax, label=others[0])
        b = self.best_index
        drawn["best"] = ax.plot(
            lr[b],
            mean[b],
            **{**plotting.MINIMUM_STYLE, "markersize": 16},
            label=f"best: {_describe(self.best)}",
        )[0]
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel(f"{metric} ({self.score} epoch)")
        ax.set_title(
            f"{self.kind} search: mean ± std over {self.n_seeds} seeds, "
            f"{self.history.params.get('epochs')} epochs each",
            fontsize=plotting.FONT_SIZE,
        )
        ax.legend(loc="best", framealpha=0.9)
        return plotting.finish(drawn)


def _show(value):
    return f"{value:.3g}" if isinstance(value, (float, np.floating)) else str(value)


def _describe(candidate):
    return ", ".join(f"{k}={_show(v)}" for k, v in candidate.items())


# -- running ---------------------------------------------------------------------------------------


def _schedule_factory(value):
    """``(label, factory or None)`` for one value of the ``schedule`` axis."""
    if value is None:
        return "constant", None
    if isinstance(value, str):
        if value not in SCHEDULES:
            raise arguments.unknown_name_error("schedule", value, SCHEDULES)
        return value, SCHEDULES[value]
    if callable(value):
        return getattr(value, "__name__", repr(value)), value
    raise TypeError(
        f"schedule values must be names {list(SCHEDULES)} or callables "
        f"(lr, steps) -> Schedule, got {value!r}"
    )


def _scheduled_lr(lr, factories, steps):
    """One Schedule giving every member its own lr curve: members sharing a schedule are built
    in one call with their base lrs as an array, so the table of lrs is still vectorized."""
    built = []
    for factory in dict.fromkeys(factories):
        idx = np.array([i for i, f in enumerate(factories) if f is factory])
        built.append((idx, None if factory is None else factory(lr[idx], steps)))

    def value(e):
        out = np.empty(np.broadcast_shapes(np.shape(e), lr.shape))
        for idx, schedule in built:
            out[..., idx] = (
                lr[idx] if schedule is None else np.broadcast_to(schedule(e), out[..., idx].shape)
            )
        return out

    return schedules.Schedule("searched", value, {"lr": lr})


def _seed_list(seeds):
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return list(range(arguments.check_int("seeds", seeds, minimum=1)))
    seeds = [arguments.check_int("seeds[i]", s, minimum=0) for s in np.ravel(seeds).tolist()]
    if not seeds:
        raise ValueError("seeds must be a number of seeds >= 1 or a non-empty list of seeds")
    return seeds


def _run(
    kind,
    make_optimizer,
    candidates,
    names,
    X,
    y,
    validation_data,
    layers,
    epochs,
    seeds,
    batch_size,
    metric,
    score,
    schedule_per,
    model_options,
    verbose,
    grid_shape=None,
):
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be callable (e.g. gdsim.SGD), got {make_optimizer!r}")
    if validation_data is None:
        raise ValueError(
            "a search scores candidates on validation data: pass validation_data=(X_val, y_val)"
        )
    arguments.check_choice("metric", metric, METRICS)
    arguments.check_choice("score", score, ["final", "best"])
    arguments.check_choice("schedule_per", schedule_per, ["batch", "epoch"])
    epochs = arguments.check_int("epochs", epochs, minimum=1)
    batch_size = arguments.check_int("batch_size", batch_size, minimum=1)
    arguments.check_choice("verbose", verbose, [0, 1, 2])
    if not (model_options is None or isinstance(model_options, dict)):
        raise TypeError(
            f"model_options must be a dict of MLP keywords (activation=..., ...), "
            f"got {model_options!r}"
        )
    seeds = _seed_list(seeds)
    S = len(seeds)
    kwargs = {
        n: np.repeat(np.array([c[n] for c in candidates], dtype=float), S)
        for n in names
        if n != "schedule"
    }
    if "schedule" in names:
        factories = [_schedule_factory(c["schedule"])[1] for c in candidates for _ in seeds]
        n_steps = epochs * (-(-len(X) // batch_size)) if schedule_per == "batch" else epochs
        kwargs["lr"] = _scheduled_lr(kwargs["lr"], factories, n_steps)
    optimizer = make_optimizer(**kwargs)
    model = MLP(
        layers,
        population=len(candidates) * S,
        seed=seeds * len(candidates),
        **(model_options or {}),
    )
    history = fit(
        model,
        optimizer,
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        verbose=verbose,
        schedule_per=schedule_per,
    )
    # the table and ``best`` show a schedule by its name
    shown = [
        {**c, "schedule": _schedule_factory(c["schedule"])[0]} if "schedule" in c else dict(c)
        for c in candidates
    ]
    return SearchResult(
        kind, shown, names, seeds, history.reshape(len(candidates), S), metric, score, grid_shape
    )


def _values(name, values):
    values = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
    if not values:
        raise ValueError(f"{name} must list at least one value to search, got []")
    if name != "schedule":
        # each value becomes one entry of a per-member array, so it must be a number
        arguments.check_finite(f"{name} values", values)
    if name == "lr":
        arguments.check_positive("lr", np.array(values, dtype=float))
    return values


def grid_search(
    make_optimizer,
    X,
    y,
    validation_data,
    *,
    layers,
    epochs=20,
    seeds=3,
    batch_size=32,
    metric="val_accuracy",
    score="final",
    schedule_per="batch",
    model_options=None,
    verbose=0,
    **grid,
):
    """Train every combination of ``grid`` (``lr=[...]`` required; ``momentum=[...]``,
    ``schedule=[...]`` or any hyperparameter ``make_optimizer`` takes) on the same seeds.

    ``make_optimizer(**hyperparameters)`` builds the optimizer; it receives one array of shape
    ``(K,)`` per searched name (``gdsim.SGD`` itself works). ``schedule`` values are names in
    :data:`SCHEDULES` (``"constant"``, ``"cosine"``, ``"linear"``: decaying over the whole
    budget) or callables ``(lr, steps) -> Schedule``. ``seeds`` is a count or a list of seeds;
    ``layers`` and ``model_options`` build the :class:`~gdsim.nn.MLP`. Returns a
    :class:`SearchResult`; ``metric`` picks the best by its ``score`` (``"final"`` or ``"best"``
    epoch).
    """
    if "lr" not in grid:
        raise ValueError("grid_search searches the learning rate: pass lr=[...]")
    names = list(grid)
    axes = [_values(n, grid[n]) for n in names]
    candidates = [dict(zip(names, combo)) for combo in itertools.product(*axes)]
    return _run(
        "grid",
        make_optimizer,
        candidates,
        names,
        X,
        y,
        validation_data,
        layers,
        epochs,
        seeds,
        batch_size,
        metric,
        score,
        schedule_per,
        model_options,
        verbose,
        grid_shape=tuple(len(a) for a in axes),
    )


def random_search(
    make_optimizer,
    X,
    y,
    validation_data,
    *,
    n_candidates,
    layers,
    epochs=20,
    seeds=3,
    seed=None,
    batch_size=32,
    metric="val_accuracy",
    score="final",
    schedule_per="batch",
    model_options=None,
    verbose=0,
    **space,
):
    """Sample ``n_candidates`` points of ``space`` and train them all on the same seeds.

    ``lr=(low, high)`` is sampled log-uniformly (every decade equally likely), as is any
    ``log_uniform(low, high)``; another ``name=(low, high)`` or ``uniform(low, high)`` uniformly;
    a list is a set of choices (``momentum=[0, 0.9]``, ``schedule=["constant", "cosine"]``).
    ``seed`` fixes the sampling; the rest is as :func:`grid_search`. Candidates are sorted by lr.
    Why random: with the same budget it tries ``n_candidates`` distinct lrs where a grid of
    lr × momentum tries only a few of each (Bergstra & Bengio, 2012).
    """
    n_candidates = arguments.check_int("n_candidates", n_candidates, minimum=1)
    if "lr" not in space:
        raise ValueError("random_search searches the learning rate: pass lr=(low, high)")
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    columns = {}
    for name, spec in space.items():
        if isinstance(spec, tuple) and len(spec) == 3 and spec[0] in ("log", "lin"):
            columns[name] = _Range(name, spec[1], spec[2], spec[0] == "log").sample(
                rng, n_candidates
            )
        elif isinstance(spec, tuple):
            if len(spec) != 2:
                raise ValueError(f"{name} range must be (low, high), got {spec!r}")
            columns[name] = _Range(name, *spec, log=name == "lr").sample(rng, n_candidates)
        else:
            choices = _values(name, spec)
            columns[name] = [choices[i] for i in rng.integers(len(choices), size=n_candidates)]
    raw = [{name: columns[name][i] for name in space} for i in range(n_candidates)]
    raw = [{k: float(v) if isinstance(v, np.floating) else v for k, v in c.items()} for c in raw]
    raw.sort(key=lambda c: c["lr"])
    return _run(
        "random",
        make_optimizer,
        raw,
        list(space),
        X,
        y,
        validation_data,
        layers,
        epochs,
        seeds,
        batch_size,
        metric,
        score,
        schedule_per,
        model_options,
        verbose,
    )
