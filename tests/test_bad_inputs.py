"""Every bad input answered (issue #9 §5): a catalogue of bad arguments to every public function.

Each case is ``(callable, argument, kwargs, error, words)``: calling ``callable(**kwargs)`` must
raise ``error`` (a ValueError or TypeError) whose message contains every one of ``words``
(the argument's name, and where it matters the value or what is allowed), with no warning on
the way (a ComplexWarning or RuntimeWarning is turned into an error here). A case that names
the argument it exercises counts for the walk at the end, which fails when a public function
has an argument without a bad-value case.

The good behaviours that used to fail the same way (``steps=0`` with a schedule, a
``np.random.Generator`` as seed, a single callback not in a list, the CLI's file errors) are
tested after the catalogue.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import gdsim
import gdsim.homework
from gdsim import cli, datasets, nn, schedules, surfaces

# -- small, valid things to spoil one argument at a time ----------------------------------------

S = surfaces.get("himmelblau")
P = np.array([[0.0, 0.0], [1.0, 1.0]])
OPT = gdsim.SGD(lr=0.01)
RUN = gdsim.simulate(S, OPT, P, 5)
EMPTY_RUN = gdsim.simulate(S, OPT, np.zeros((0, 2)), 5)
SWEPT = gdsim.sweep(S, gdsim.SGD, P, 3, lr=[0.01, 0.02])
X, Y = datasets.blobs(40, seed=0)
X_EMPTY, Y_EMPTY = np.zeros((0, 2)), np.zeros(0, dtype=int)


def model(**options):
    return nn.MLP([2, 4, 3], seed=0, **options)


HISTORY = nn.fit(model(), gdsim.SGD(lr=0.1), X, Y, epochs=6, verbose=0)
CYCLE = nn.fit_one_cycle(model(), X, Y, 1, verbose=0)
RULE = gdsim.ReduceLROnPlateau(monitor="loss")


UNNAMED = "unnamed"  # a row's fifth entry: the message names the kind, not the argument
# ("unknown surface 'himmelblua'; did you mean 'himmelblau'?" for ``name=``)


def _cases(function, base, rows):
    """Cases for ``function``: each row ``(argument, bad value, error, words[, UNNAMED])``
    replaces (or adds) one keyword of ``base``; a dict as the bad value replaces several keywords
    (``"*args"`` among them: positional arguments). The message must contain the argument's name
    (not for ``**`` catch-alls or UNNAMED rows) and every one of ``words``."""
    out = []
    for row in rows:
        argument, value, error = row[:3]
        words = row[3] if len(row) > 3 else ()
        words = (words,) if isinstance(words, str) else tuple(words)
        named = not argument.startswith("**") and UNNAMED not in row[4:]
        changes = value if isinstance(value, dict) else {argument: value}
        kwargs = {**base, **changes}
        shown = value if isinstance(value, dict) else repr(value)
        name = getattr(function, "__qualname__", repr(function))
        out.append(
            pytest.param(
                function,
                argument,
                kwargs,
                error,
                ((argument,) if named else ()) + words,
                id=f"{name}-{argument}-{str(shown)[:40]}",
            )
        )
    return out


def _first_parameter(function):
    return next(iter(inspect.signature(function).parameters))


GRADERS = [
    gdsim.homework.check_momentum_step,
    gdsim.homework.check_adam_step,
    gdsim.homework.check_cosine_restarts,
    gdsim.homework.check_dense_backward,
    gdsim.homework.check_plateau_rule,
    gdsim.homework.check_lr_valley,
    gdsim.homework.check_warmup_cosine,
]

SIM = dict(surface=S, optimizer=OPT, starts=P, steps=5)
SWEEP = dict(surface=S, make_optimizer=gdsim.SGD, starts=P, steps=5, lr=[0.01, 0.02])
BASINS = dict(surface=S, optimizer=OPT, grid=4, steps=5)
STABILITY = dict(surface=S, optimizer=gdsim.SGD, steps=4, lr=[0.01, 0.02])
ANIMATE = dict(surface=S, runs=RUN, frames=3)
FIT = dict(model=model(), optimizer=gdsim.SGD(lr=0.1), X=X, y=Y, epochs=1, verbose=0)
LR_FIND_MLP = dict(target=model(), optimizer=gdsim.SGD(), data=X, y=Y, num_it=10)
LR_FIND_SURFACE = dict(target=S, optimizer=gdsim.SGD(), data=P, num_it=10)
LANDSCAPE = dict(model=model(), X=X, y=Y, resolution=3)
SEARCH = dict(
    make_optimizer=gdsim.SGD,
    X=X,
    y=Y,
    validation_data=(X, Y),
    layers=[2, 3],
    epochs=1,
    seeds=1,
    lr=[0.1],
)
TRAINABILITY = dict(model=model(), X=X, y=Y, steps=2, lr=((0.01, 0.1), (0.01, 0.1)), resolution=2)
RANDOM = dict(
    make_optimizer=gdsim.SGD,
    X=X,
    y=Y,
    validation_data=(X, Y),
    n_candidates=1,
    layers=[2, 3],
    epochs=1,
    seeds=1,
    lr=(0.01, 0.1),
)

CASES = [
    # -- simulate --------------------------------------------------------------------------------
    *_cases(
        gdsim.simulate,
        SIM,
        [
            ("surface", "himmelblua", ValueError, "did you mean 'himmelblau'"),
            ("surface", 3, TypeError),
            ("optimizer", gdsim.SGD, TypeError, "gdsim.SGD(lr=0.1)"),
            ("optimizer", "sgd", TypeError),
            ("starts", [[1.0, 2.0, 3.0]], ValueError, "(..., 2)"),
            ("starts", "abc", TypeError),
            ("starts", [[np.nan, 0.0]], ValueError, "finite"),
            ("starts", [[0.0, np.inf]], ValueError, "finite"),
            ("starts", np.array([[1j, 0.0]]), TypeError, "complex"),
            ("steps", -1, ValueError, "-1"),
            ("steps", 2.5, TypeError, "2.5"),
            ("steps", True, TypeError),
            ("record", "every", ValueError, "'all'"),
            ("record", 0, ValueError, ">= 1"),
            ("record", 1.5, TypeError),
            ("noise", -1.0, ValueError, ">= 0"),
            ("noise", np.inf, ValueError, "inf"),
            ("noise", [0.1, 0.2], TypeError),
            ("noise", "a", TypeError),
            ("noise", 1j, TypeError, "complex"),
            ("seed", "abc", TypeError, "'abc'"),
            ("seed", -1, ValueError, ">= 0"),
            ("seed", 1.5, TypeError, "1.5"),
            ("callbacks", [3], TypeError),
            ("callbacks", [RULE, RULE], ValueError, "at most one"),
            (
                "callbacks",
                {"callbacks": [RULE], "optimizer": gdsim.SGD(lr=schedules.constant(0.1))},
                TypeError,
                "constant lr",
            ),
            ("tol", 0.0, ValueError, "> 0"),
            ("tol", np.inf, ValueError, "inf"),
            ("tol", "a", TypeError),
            ("track_settling", "yes", TypeError, "True or False"),
            ("block_size", 1000, ValueError),
            ("block_size", "a", TypeError),
            ("workers", 0, ValueError, ">= 1"),
            ("workers", 1.5, TypeError),
            ("progress", "yes", TypeError, "True or False"),
        ],
    ),
    # per-run hyperparameters that do not match the starts, constant or scheduled
    *_cases(
        gdsim.simulate,
        SIM,
        [
            (
                "optimizer",
                {"optimizer": gdsim.SGD(lr=[0.1, 0.2, 0.3])},
                ValueError,
                ("lr", "(3,)", "(2,)", "starts"),
                UNNAMED,
            ),
            (
                "optimizer",
                {"optimizer": gdsim.SGD(lr=schedules.cosine(np.array([0.1, 0.2, 0.3]), 10))},
                ValueError,
                ("lr", "(3,)", "(2,)"),
                UNNAMED,
            ),
            (
                "optimizer",
                {"optimizer": gdsim.SGD(lr=0.1, momentum=[0.1, 0.2, 0.3])},
                ValueError,
                ("momentum", "(3,)"),
                UNNAMED,
            ),
        ],
    ),
    # -- sweep -----------------------------------------------------------------------------------
    *_cases(
        gdsim.sweep,
        SWEEP,
        [
            ("surface", "rosenbrok", ValueError, "did you mean 'rosenbrock'"),
            ("make_optimizer", 3, TypeError),
            ("starts", [[1.0, 2.0, 3.0]], ValueError),
            ("starts", np.array([[1j, 0.0]]), TypeError, "complex"),
            ("steps", -2, ValueError),
            ("record", "last", ValueError),
            ("noise", np.inf, ValueError, "inf"),
            ("seed", "abc", TypeError),
            ("callbacks", [3], TypeError),
            ("tol", -1.0, ValueError),
            ("track_settling", 2, TypeError),
            ("progress", "no", TypeError, "True or False"),
            ("**grid", {"lr": []}, ValueError, "lr"),
            ("**grid", {"lr": [0.1, -0.1]}, ValueError, "lr must be > 0"),
            ("**grid", {"lr": [0.1], "start": [0]}, ValueError, ("start", "starts")),
            ("**grid", {"lr": [0.1], "x": [0]}, ValueError, "'x'"),
            ("**grid", {"lr": [0.1], "foo": [1, 2]}, ValueError, ("foo", "'momentum'")),
            ("**grid", {"lr": None}, TypeError, "lr"),
            (
                "**grid",
                {
                    "make_optimizer": lambda **kw: gdsim.SGD(
                        momentum=np.array([0.1, 0.2, 0.3]), **kw
                    )
                },
                ValueError,
                ("momentum", "(3,)"),
            ),
        ],
    ),
    *_cases(
        gdsim.sweep,
        dict(surface=S, make_optimizer=gdsim.SGD, starts=P, steps=5),
        [
            ("**grid", {}, ValueError, "grid axis"),
        ],
    ),
    # -- basins ----------------------------------------------------------------------------------
    *_cases(
        gdsim.basins,
        BASINS,
        [
            ("surface", "himelblau", ValueError, "did you mean"),
            ("optimizer", 3, TypeError),
            ("optimizer", gdsim.SGD, TypeError, "gdsim.SGD(lr=0.01)"),
            ("grid", ("a", 3), TypeError, "'a'"),
            ("grid", 1, ValueError, ">= 2"),
            ("grid", (2.5, 3), TypeError, "2.5"),
            ("grid", "big", TypeError),
            ("steps", 0, ValueError, ">= 1"),
            ("bounds", (0, 1), ValueError, "((xmin, xmax), (ymin, ymax))"),
            ("bounds", ((1, 0), (0, 1)), ValueError, "xmin < xmax"),
            ("bounds", ((0, np.inf), (0, 1)), ValueError, "finite"),
            ("bounds", "box", TypeError),
            ("tol", -1.0, ValueError),
            ("noise", -0.5, ValueError),
            ("seed", -3, ValueError),
            ("workers", 0, ValueError),
            ("progress", 1, TypeError, "True or False"),
            (
                "**sweep_values",
                {"lr": [0.01], "starts": [[0.0, 0.0]]},
                ValueError,
                ("starts", "pixel"),
            ),
            ("**sweep_values", {"lr": [0.01], "record": ["all"]}, ValueError, "record"),
            ("**sweep_values", {"lr": [0.01], "foo": [1]}, ValueError, "foo"),
            (
                "**sweep_values",
                {"lr": [0.01], "optimizer": gdsim.SGD(momentum=[0.1, 0.5, 0.9])},
                ValueError,
                ("momentum", "(3,)"),
            ),
        ],
    ),
    # -- stability -------------------------------------------------------------------------------
    *_cases(
        gdsim.stability,
        STABILITY,
        [
            ("surface", 3.0, TypeError),
            ("optimizer", 3, TypeError),
            ("steps", 1, ValueError, ">= 2"),
            ("start", [1.0, 2.0, 3.0], ValueError, "(2,)"),
            ("start", "centre", TypeError),
            ("starts", [[1.0, 2.0, 3.0]], ValueError, "(n, 2)"),
            ("starts", np.array([[1j, 0.0]]), TypeError, "complex"),
            ("starts", {"starts": [[0.0, 0.0]], "momentum": [0.0, 0.5]}, ValueError, "not both"),
            ("tol", 0.0, ValueError),
            ("progress", "yes", TypeError, "True or False"),
            ("**grid", {"lr": [0.01], "record": [1]}, ValueError, "record"),
            ("**grid", {"lr": [0.01], "momentum": [0.0], "alpha": [0.9]}, ValueError, "one or two"),
            ("**grid", {"lr": [0.01, -1.0]}, ValueError, "lr must be > 0"),
        ],
    ),
    *_cases(
        gdsim.stability,
        dict(surface=S, optimizer=gdsim.SGD),
        [
            ("**grid", {}, ValueError, "one or two"),
        ],
    ),
    # -- animate ---------------------------------------------------------------------------------
    *_cases(
        gdsim.animate,
        ANIMATE,
        [
            ("surface", "himmelbla", ValueError, "did you mean"),
            ("runs", 3, TypeError),
            ("runs", [], TypeError),
            ("runs", EMPTY_RUN, ValueError, "0 starts"),
            ("frames", 0, ValueError),
            ("frames", 100, ValueError, "steps + 1"),
            ("every", 0, ValueError),
            ("every", {"every": 2, "frames": 3}, ValueError, "not both"),
            ("fps", 0, ValueError, "> 0"),
            ("fps", np.inf, ValueError, "inf"),
            ("fps", "fast", TypeError),
            ("trail", 0, ValueError),
            ("legend", "yes", TypeError, "True or False"),
            ("panels", "cost", ValueError, "'loss'"),
            ("internals", [(5, 0)], ValueError),
            ("internals", "yes", TypeError),
            ("color_by", "basin", ValueError, "'minimum'"),
            ("facet", "yes", TypeError),
            ("labels", ["a", "b", "c"], ValueError),
            ("title", 3, TypeError),
            ("dpi", 0, ValueError),
            ("dpi", np.inf, ValueError),
            ("figsize", (0, 3), ValueError),
            ("figsize", "big", TypeError),
            ("max_frames", 0, ValueError),
            ("hold", -1.0, ValueError),
            ("hold", np.inf, ValueError),
            ("**contour_options", {"levels": 1}, ValueError, "levels"),
            ("**contour_options", {"foo": 1}, TypeError, "foo"),
        ],
    ),
    # -- optimizers (finiteness, complex numbers and shapes; tests/test_optimizers.py has the rest)
    *_cases(
        gdsim.SGD,
        {},
        [
            ("lr", np.inf, ValueError, "inf"),
            ("lr", 0.1 + 1j, TypeError, "complex"),
            ("momentum", np.nan, ValueError, "NaN"),
            ("dampening", np.inf, ValueError, "inf"),
            ("weight_decay", np.inf, ValueError, "inf"),
            ("weight_decay", -1.0, ValueError),
            ("nesterov", "yes", TypeError),
            ("maximize", "yes", TypeError, "True or False"),
            ("convention", "torch", ValueError, "'pytorch'"),
            (
                "momentum",
                {"lr": [0.1, 0.2], "momentum": [0.1, 0.2, 0.3]},
                ValueError,
                ("lr", "(2,)", "(3,)"),
            ),
        ],
    ),
    *_cases(
        gdsim.Adagrad,
        {},
        [
            ("lr", -1.0, ValueError),
            ("lr_decay", np.inf, ValueError, "inf"),
            ("weight_decay", np.inf, ValueError, "inf"),
            ("initial_accumulator_value", np.inf, ValueError, "inf"),
            ("eps", np.inf, ValueError, "inf"),
            ("maximize", 1, TypeError),
            ("convention", "tf", ValueError),
        ],
    ),
    *_cases(
        gdsim.RMSprop,
        {},
        [
            ("lr", "a", TypeError),
            ("alpha", 1.5, ValueError),
            ("eps", np.inf, ValueError, "inf"),
            ("weight_decay", np.inf, ValueError, "inf"),
            ("momentum", -0.5, ValueError),
            ("centered", 1, TypeError),
            ("maximize", None, TypeError),
            ("convention", 3, ValueError),
        ],
    ),
    *[
        case
        for cls in (gdsim.Adam, gdsim.AdamW)
        for case in _cases(
            cls,
            {},
            [
                ("lr", np.inf, ValueError, "inf"),
                ("betas", (0.9,), TypeError, "pair"),
                ("betas", (0.9, np.inf), ValueError, "beta2", UNNAMED),
                ("eps", np.inf, ValueError, "inf"),
                ("eps", -1e-8, ValueError),
                ("weight_decay", np.inf, ValueError, "inf"),
                ("amsgrad", "no", TypeError),
                ("maximize", "no", TypeError),
                ("convention", "kears", ValueError, "did you mean 'keras'"),
            ],
        )
    ],
    # the base class, as an optimizer written outside gdsim calls it
    *_cases(
        gdsim.Optimizer,
        {"lr": 0.1},
        [
            ("convention", "jax", ValueError, "'pytorch'"),
            ("**hyperparameters", {"lr": -0.1}, ValueError, "lr must be > 0, got -0.1"),
            ("**hyperparameters", {"beta": np.inf}, ValueError, "beta must be finite"),
            ("**hyperparameters", {"beta": "high"}, TypeError, "beta"),
            ("**hyperparameters", {"beta": [0.5, 1j]}, TypeError, ("beta", "complex")),
            (
                "**hyperparameters",
                {"beta": [0.5, 0.6], "lr": [0.1, 0.2, 0.3]},
                ValueError,
                ("lr", "(3,)", "beta", "(2,)"),
            ),
        ],
    ),
    *_cases(
        gdsim.optimizers.get,
        {"name": "adam"},
        [
            (
                "name",
                "adamm",
                ValueError,
                "unknown optimizer 'adamm'; did you mean 'adam'",
                UNNAMED,
            ),
            ("**options", {"lr": -1.0}, ValueError, "lr"),
            ("**options", {"foo": 1.0}, TypeError, "foo"),
        ],
    ),
    # -- metric-driven rules -----------------------------------------------------------------------
    *_cases(
        gdsim.ReduceLROnPlateau,
        {},
        [
            ("monitor", 3, TypeError),
            ("factor", 1.0, ValueError),
            ("patience", -1, ValueError),
            ("patience", 2.5, TypeError),
            ("mode", "minimum", ValueError, "'min'"),
            ("min_delta", np.inf, ValueError, "inf"),
            ("cooldown", -1, ValueError),
            ("min_lr", np.inf, ValueError, "inf"),
            ("convention", "torch", ValueError),
            ("threshold_mode", "relative", ValueError, "'rel'"),
            ("eps", np.inf, ValueError, "inf"),
        ],
    ),
    *_cases(
        gdsim.Adaptive,
        {},
        [
            ("tol", np.inf, ValueError, "inf"),
            ("n_iter_no_change", 0, ValueError),
            ("factor", 0.0, ValueError),
            ("min_lr", -1.0, ValueError),
            ("monitor", None, TypeError),
        ],
    ),
    # -- schedules: non-finite and complex values (tests/test_schedules.py has the rest) --------
    *_cases(
        schedules.exponential,
        {"lr": 0.1, "gamma": 0.9},
        [
            ("gamma", np.inf, ValueError, "inf"),
            ("lr", np.inf, ValueError, "inf"),
            ("lr", 0.1 + 0j, TypeError, "complex"),
        ],
    ),
    *_cases(schedules.step, {"lr": 0.1, "step_size": 2}, [("gamma", np.inf, ValueError, "inf")]),
    *_cases(
        schedules.time_decay,
        {"lr": 0.1, "decay": 0.1},
        [
            ("decay", np.inf, ValueError, "inf"),
        ],
    ),
    *_cases(
        schedules.cosine,
        {"lr": 0.1, "T_max": 10},
        [
            ("eta_min", np.inf, ValueError, "inf"),
            (
                "eta_min",
                {"lr": np.array([0.1, 0.2]), "eta_min": np.array([0.0, 0.01, 0.02])},
                ValueError,
                ("eta_min", "(3,)", "(2,)"),
            ),
        ],
    ),
    *_cases(
        schedules.cyclic,
        {"base_lr": 0.01, "max_lr": 0.1},
        [
            ("gamma", np.inf, ValueError, "inf"),
        ],
    ),
    *_cases(
        schedules.one_cycle,
        {"max_lr": 0.1, "total_steps": 10},
        [
            ("div_factor", np.inf, ValueError, "inf"),
        ],
    ),
    *_cases(
        schedules.cosine(np.array([0.1, 0.2]), 10),
        {},
        [
            ("step", {"step": np.arange(5)}, ValueError, ("step", "(5,)", "(2,)")),
        ],
    ),
    # -- diagnose, ensembles, search, landscapes, transfer ----------------------------------------
    *_cases(
        gdsim.diagnose,
        {"history": HISTORY},
        [
            ("history", 3, TypeError, "History"),
            ("history", "loss", TypeError),
            ("history", [1.0, 0.5], ValueError, "epochs"),
            ("val_loss", {"history": np.ones(10), "val_loss": np.ones(9)}, ValueError, "(10,)"),
            ("val_loss", {"history": np.ones(10), "val_loss": "high"}, TypeError),
            (
                "thresholds",
                {"thresholds": {"foo": 1.0}},
                ValueError,
                "unknown threshold 'foo'",
                UNNAMED,
            ),
            ("thresholds", {"thresholds": {"noise": -1.0}}, ValueError, "noise"),
            ("thresholds", 3, TypeError),
        ],
    ),
    *_cases(
        gdsim.Ensemble,
        {},
        [
            ("models", [], ValueError),
            ("models", [3], TypeError),
            ("models", 3, TypeError),
        ],
    ),
    *_cases(
        gdsim.SnapshotEnsemble,
        {"n_cycles": 2, "lr_max": 0.1},
        [
            ("n_cycles", 0, ValueError),
            ("lr_max", np.inf, ValueError, "inf"),
            ("lr_max", [0.1, 0.2], TypeError),
            ("per", "step", ValueError, "'batch'"),
        ],
    ),
    *_cases(
        gdsim.snapshot_experiment,
        {"epochs": 2, "n_cycles": 1},
        [
            ("seeds", 0, ValueError),
            ("seeds", [-1], ValueError),
            ("epochs", -1, ValueError),
            ("n_cycles", 0, ValueError),
            ("lr_max", -1.0, ValueError),
            ("per", "cycle", ValueError),
            ("verbose", 3, ValueError, "3"),
        ],
    ),
    *_cases(
        gdsim.lr_find,
        LR_FIND_MLP,
        [
            ("target", 3, TypeError),
            ("optimizer", gdsim.SGD, TypeError, "gdsim.SGD(...)"),
            ("optimizer", "sgd", TypeError),
            # the MLP's data are X and the surface's the starts: the messages say so
            ("data", X_EMPTY, ValueError, ("X", "0"), UNNAMED),
            ("data", np.ones((5, 3)), ValueError, ("X", "(n_samples, 2)"), UNNAMED),
            ("data", X.astype(str), TypeError, "X", UNNAMED),
            ("y", {"y": None}, TypeError),
            ("y", Y[:5], ValueError, "same length"),
            ("start_lr", 0.0, ValueError),
            ("end_lr", np.inf, ValueError, "inf"),
            ("end_lr", 1e-8, ValueError, "start_lr"),
            ("num_it", 1, ValueError),
            ("mode", "log", ValueError, "'exp'"),
            ("smooth", 1.0, ValueError),
            ("stop_div", "yes", TypeError),
            ("validation_data", X, TypeError, "pair"),
            ("batch_size", 0, ValueError),
            ("seed", "abc", TypeError),
            ("lr_mult", [1.0, 2.0, 3.0], ValueError, "one value per layer"),
        ],
    ),
    *_cases(
        gdsim.lr_find,
        LR_FIND_SURFACE,
        [
            ("data", [[1.0, 2.0, 3.0]], ValueError, "starts", UNNAMED),
            ("data", np.array([[1j, 0.0]]), TypeError, ("starts", "complex"), UNNAMED),
            ("noise", np.inf, ValueError, "inf"),
            ("seed", -1, ValueError),
            ("optimizer", gdsim.Adam, TypeError, "gdsim.Adam(...)"),
        ],
    ),
    *_cases(
        gdsim.loss_landscape,
        LANDSCAPE,
        [
            ("model", 3, TypeError),
            ("X", np.ones((4, 3)), ValueError),
            ("X", X.astype(str), TypeError),
            ("y", Y[:3], ValueError),
            ("directions", "pcaa", ValueError, "did you mean 'pca'"),
            ("trajectory", np.ones((3, 2)), ValueError),
            ("member", 5, ValueError),
            ("resolution", 1, ValueError),
            ("extent", -1.0, ValueError),
            ("extent", (1, 0), ValueError),
            ("seed", "abc", TypeError),
            ("norm", "unit", ValueError),
            ("ignore", "all", ValueError),
            ("chunk", 0, ValueError),
        ],
    ),
    *_cases(
        gdsim.grid_search,
        SEARCH,
        [
            ("make_optimizer", 3, TypeError),
            ("X", X.astype(str), TypeError),
            ("y", Y[:3], ValueError),
            ("validation_data", None, ValueError),
            ("layers", [2], ValueError),
            ("epochs", 0, ValueError),
            ("seeds", 0, ValueError),
            ("batch_size", 0, ValueError),
            ("metric", "acc", ValueError),
            ("score", "last", ValueError),
            ("schedule_per", "step", ValueError),
            (
                "model_options",
                {"model_options": {"activation": "relux"}},
                ValueError,
                "activation",
                UNNAMED,
            ),
            ("model_options", 3, TypeError),
            ("verbose", 5, ValueError),
            ("**grid", {"lr": [np.inf]}, ValueError, "lr"),
            ("**grid", {"lr": [0.1], "momentum": []}, ValueError, "momentum"),
        ],
    ),
    *_cases(
        gdsim.random_search,
        RANDOM,
        [
            ("make_optimizer", None, TypeError),
            ("X", np.ones((3, 3)), ValueError),
            ("y", Y[:2], ValueError),
            ("validation_data", (X,), TypeError),
            ("n_candidates", 0, ValueError),
            ("layers", "2-3", ValueError),
            ("epochs", 1.5, TypeError),
            ("seeds", [], ValueError),
            ("seed", "abc", TypeError),
            ("batch_size", -1, ValueError),
            ("metric", "auc", ValueError),
            ("score", "mean", ValueError),
            ("schedule_per", "epochs", ValueError),
            ("model_options", "relu", TypeError),
            ("verbose", -1, ValueError),
            ("**space", {"lr": (0.1, 0.01)}, ValueError, "lr"),
            ("**space", {"lr": (0.01, 0.1, 1.0)}, ValueError, "lr"),
        ],
    ),
    *_cases(
        gdsim.transfer_experiment,
        {"seeds": 1, "epochs": 1, "pretrain_epochs": 1},
        [
            ("seeds", 0, ValueError),
            ("epochs", -1, ValueError),
            ("lr", np.inf, ValueError, "inf"),
            ("hidden", 0, ValueError),
            ("pretrain_epochs", -1, ValueError),
            ("batch_size", 0, ValueError),
            ("optimizer", gdsim.SGD(lr=0.1), TypeError),
            ("task", {"task": {"foo": 1}}, TypeError, "foo"),
            ("task", 3, TypeError),
            ("verbose", 7, ValueError),
        ],
    ),
    *_cases(
        gdsim.explore,
        {},
        [
            ("surface", "himmelblo", ValueError, "did you mean"),
            ("**options", {"optimizer": "adamm"}, ValueError, "optimizer"),
            ("**options", {"steps": 5}, ValueError, "steps"),
            ("**options", {"lr": -1.0}, ValueError, "lr"),
            ("**options", {"seed": "abc"}, TypeError, "seed"),
            ("**options", {"seed": -1}, ValueError, "seed must be >= 0"),
            ("**options", {"foo": 1}, TypeError, "foo"),
        ],
    ),
    *(
        _cases(
            getattr(gdsim, "trainability", None),
            TRAINABILITY,
            [
                ("model", 3, TypeError, "MLP"),
                ("model", {"model": nn.MLP([2, 3], seed=0)}, ValueError, "two layers"),
                ("model", {"model": model(population=2)}, ValueError, "population"),
                ("X", X_EMPTY, ValueError, "0"),
                ("X", X.astype(str), TypeError),
                ("y", Y[:3], ValueError, "same length"),
                ("steps", 0, ValueError, ">= 1"),
                ("lr", 0.1, TypeError, "two ranges"),
                ("lr", ((1.0, 0.1), (0.1, 1.0)), ValueError, "lo < hi"),
                ("lr", ((0.0, 1.0), (0.1, 1.0)), ValueError, "positive"),
                ("lr", ((0.1, np.inf), (0.1, 1.0)), ValueError, "finite"),
                ("resolution", 1, ValueError, ">= 2"),
                ("resolution", (2, 3, 4), ValueError),
                ("optimizer", "sgd", TypeError),
                ("optimizer", gdsim.SGD(lr=schedules.constant(0.1)), TypeError, "schedule"),
                ("groups", "all", TypeError, "two layer groups"),
                ("train_biases", "no", TypeError, "True or False"),
                ("threshold", 0.5, ValueError, "> 1"),
                ("threshold", -1.0, ValueError),
                ("window", 0, ValueError, ">= 1"),
                ("workers", 0, ValueError, ">= 1"),
                ("client", "localhost:8786", TypeError, "Client"),
                ("chunk_size", 0, ValueError, ">= 1"),
                ("progress", "yes", TypeError, "True or False"),
            ],
        )
        if hasattr(gdsim, "trainability")
        else []
    ),
    # -- the MLP, fit and the training policies ----------------------------------------------------
    *_cases(
        nn.MLP,
        {"layers": [2, 3]},
        [
            ("layers", [2], ValueError),
            ("layers", [2, 0], ValueError),
            ("layers", "2-3", ValueError),
            ("layers", [2, 2.5], TypeError),
            ("activation", "rellu", ValueError, "did you mean 'relu'"),
            ("output", "soft", ValueError),
            ("loss", "mae", ValueError),
            ("loss", {"loss": "binary_crossentropy"}, ValueError, "sigmoid"),
            ("init", "he", ValueError),
            ("output_init", "glorot", ValueError),
            ("population", 0, ValueError),
            ("population", 2.0, TypeError),
            ("seed", "abc", TypeError),
            ("seed", -1, ValueError),
            ("seed", 1.5, TypeError),
            ("seed", {"seed": [1, 2, 3], "population": 2}, ValueError, "2"),
        ],
    ),
    *_cases(
        nn.fit,
        FIT,
        [
            ("model", 3, TypeError, "MLP"),
            ("optimizer", gdsim.SGD, TypeError, "gdsim.SGD(...)"),
            ("optimizer", "sgd", TypeError),
            ("optimizer", [], ValueError),
            ("optimizer", {"optimizer": gdsim.SGD(lr=[0.1, 0.2])}, ValueError, ("lr", "(2,)")),
            ("X", X_EMPTY, ValueError, "0"),
            ("X", X.astype(str), TypeError),
            ("X", X + 0j, TypeError, "complex"),
            ("X", np.ones((40, 3)), ValueError, "(n_samples, 2)"),
            ("y", Y.astype(str), TypeError),
            ("y", np.array(["cat"] * 40), TypeError),
            ("y", Y[:3], ValueError, "same length"),
            ("y", Y + 5, ValueError, "[0, 3)"),
            ("y", Y + 0.5, ValueError, "integer"),
            ("epochs", -1, ValueError),
            ("epochs", 1.5, TypeError),
            ("batch_size", 0, ValueError),
            ("validation_data", X, TypeError),
            ("validation_data", (X_EMPTY, Y_EMPTY), ValueError, "0"),
            ("validation_data", (np.ones((3, 3)), Y[:3]), ValueError, "X_val"),
            ("shuffle", "yes", TypeError),
            ("callbacks", [3], TypeError),
            ("callbacks", "EarlyStopping", TypeError),
            ("seed", "abc", TypeError),
            ("seed", -1, ValueError),
            ("seed", 1.5, TypeError),
            ("verbose", 3, ValueError, ("verbose", "3")),
            ("schedule_per", "step", ValueError, "'batch'"),
            ("batch_loss", "yes", TypeError),
            ("layer_lrs", [0.1], ValueError, "one value per layer"),
            ("layer_lrs", {"layer_lrs": [0.1, 0.1], "lr_mult": [1.0, 1.0]}, ValueError, "not both"),
            ("lr_mult", [1.0, 2.0, 3.0], ValueError, "one value per layer"),
            ("lr_mult", "big", TypeError),
        ],
    ),
    *_cases(
        nn.fit,
        {**FIT, "model": model(population=2)},
        [
            ("optimizer", {"optimizer": gdsim.SGD(lr=[0.1, 0.2, 0.3])}, ValueError, ("lr", "(3,)")),
            ("seed", [1, 2, 3], ValueError, "seed"),
        ],
    ),
    *_cases(
        nn.LRRule,
        {"rule": RULE},
        [
            ("rule", 3, TypeError),
            ("monitor", 3, TypeError),
            ("members", "first", TypeError),
        ],
    ),
    *_cases(
        nn.LearningRateScheduler,
        {"schedule": schedules.constant(0.1)},
        [
            ("schedule", 0.1, TypeError),
            ("verbose", 5, ValueError),
        ],
    ),
    *_cases(
        nn.EarlyStopping,
        {},
        [
            ("monitor", 3, TypeError),
            ("min_delta", -1.0, ValueError),
            ("patience", -1, ValueError),
            ("verbose", "loud", ValueError),
            ("mode", "maximum", ValueError, "'max'"),
            ("baseline", np.inf, ValueError, "inf"),
            ("restore_best_weights", "yes", TypeError),
            ("start_from_epoch", -1, ValueError),
        ],
    ),
    *_cases(
        nn.ModelCheckpoint,
        {},
        [
            ("filepath", "w{epochs}.npz", ValueError, ("epochs", "{epoch}")),
            ("filepath", "w{0}.npz", ValueError, "{epoch}"),
            ("filepath", "w{epoch.npz", ValueError, "filepath"),
            ("filepath", 3, TypeError),
            ("monitor", None, TypeError),
            ("mode", "up", ValueError),
            ("save_best_only", "yes", TypeError),
            ("restore_best", 2, TypeError),
            ("min_delta", np.nan, ValueError),
        ],
    ),
    *_cases(
        nn.layer_lrs,
        {"lr": 0.1, "groups": 2},
        [
            ("lr", -0.1, ValueError),
            ("lr", slice(0.1, 0.01, 2), ValueError),
            ("lr", [0.1, 0.2, 0.3], ValueError, "one value per"),
            ("lr", np.inf, ValueError, "inf"),
            ("groups", 0, ValueError),
            ("groups", "all", TypeError),
            ("groups", [], ValueError),
        ],
    ),
    *_cases(
        nn.fit_one_cycle,
        {"model": model(), "X": X, "y": Y, "epochs": 1, "verbose": 0},
        [
            ("model", 3, TypeError),
            ("X", X_EMPTY, ValueError),
            ("y", Y[:3], ValueError),
            ("epochs", 0, ValueError),
            ("lr_max", -1.0, ValueError),
            ("lr_max", np.inf, ValueError, "inf"),
            ("optimizer", gdsim.Adam, TypeError, "gdsim.Adam(...)"),
            ("div", 0.0, ValueError),
            ("div_final", np.inf, ValueError),
            ("pct_start", 1.5, ValueError),
            ("moms", (0.95, 0.85), ValueError),
            ("moms", 0.9, TypeError),
            ("wd", -1.0, ValueError),
            ("lr_mult", [1.0], ValueError),
            ("**fit_options", {"verbose": 3}, ValueError, "verbose"),
            ("**fit_options", {"foo": 1}, TypeError, "foo"),
        ],
    ),
    *_cases(
        nn.fit_sgdr,
        {"model": model(), "X": X, "y": Y, "n_cycles": 1, "cycle_len": 1, "verbose": 0},
        [
            ("model", "mlp", TypeError),
            ("X", X.astype(str), TypeError),
            ("y", Y[:3], ValueError),
            ("n_cycles", 0, ValueError),
            ("cycle_len", 1.5, TypeError),
            ("lr_max", 0.0, ValueError),
            ("cycle_mult", 0, ValueError),
            ("optimizer", gdsim.SGD, TypeError, "gdsim.SGD(...)"),
            ("lr_mult", [1.0, 2.0, 3.0], ValueError),
            ("**fit_options", {"batch_size": 0}, ValueError, "batch_size"),
        ],
    ),
    *_cases(
        nn.plot_cycle,
        {"histories": CYCLE},
        [
            ("histories", HISTORY, ValueError, "batch_lr"),
            ("histories", 3, TypeError),
            ("axes", [1, 2], ValueError, "3"),
            ("member", 5, ValueError),
            ("smooth", 1.5, ValueError),
        ],
    ),
    *_cases(
        nn.with_schedule,
        {"optimizer": gdsim.SGD(momentum=0.9), "schedule": schedules.constant(0.1)},
        [
            ("optimizer", gdsim.SGD, TypeError, "gdsim.SGD(...)"),
            ("schedule", 0.1, TypeError),
            ("cycle_momentum", "yes", TypeError),
        ],
    ),
    # -- datasets ----------------------------------------------------------------------------------
    *_cases(
        datasets.blobs,
        {},
        [
            ("n_samples", 0, ValueError),
            ("centers", 0, ValueError),
            ("centers", [1.0, 2.0], ValueError),
            ("n_features", 0, ValueError),
            ("cluster_std", -1.0, ValueError),
            ("cluster_std", np.inf, ValueError, "inf"),
            ("center_box", (1.0, np.inf), ValueError),
            ("center_box", (10.0, -10.0), ValueError),
            ("shuffle", "yes", TypeError),
            ("seed", "abc", TypeError),
        ],
    ),
    *_cases(
        datasets.moons,
        {},
        [
            ("n_samples", 1, ValueError),
            ("noise", -0.1, ValueError),
            ("shuffle", "no", TypeError),
            ("seed", 1.5, TypeError),
        ],
    ),
    *_cases(
        datasets.circles,
        {},
        [
            ("n_samples", 1.0, TypeError),
            ("noise", np.inf, ValueError),
            ("factor", 1.0, ValueError),
            ("shuffle", None, TypeError),
            ("seed", "abc", TypeError),
        ],
    ),
    *_cases(
        datasets.spirals,
        {},
        [
            ("n_samples", 0, ValueError),
            ("n_classes", 0, ValueError),
            ("noise", -1.0, ValueError),
            ("turns", np.inf, ValueError),
            ("shuffle", 2, TypeError),
            ("seed", "abc", TypeError),
        ],
    ),
    *_cases(
        datasets.xor,
        {},
        [
            ("n_samples", -1, ValueError),
            ("noise", np.nan, ValueError),
            ("seed", "abc", TypeError),
        ],
    ),
    *_cases(
        datasets.train_test_split,
        {"X": X, "y": Y},
        [
            ("X", X[:5], ValueError, "same length"),
            ("y", Y[:5], ValueError, "same length"),
            ("test_size", 1.5, ValueError),
            ("test_size", 40, ValueError),
            ("test_size", "half", TypeError),
            ("shuffle", "yes", TypeError),
            ("seed", "abc", TypeError),
        ],
    ),
    *_cases(
        datasets.one_hot,
        {"y": Y},
        [
            ("y", Y + 0.5, ValueError, "integer"),
            ("y", np.array(["a", "b"]), TypeError),
            ("y", np.ones((2, 2)), ValueError),
            ("n_classes", 2, ValueError),
            ("n_classes", 2.5, TypeError),
        ],
    ),
    *_cases(
        datasets.standardize,
        {"X": X},
        [
            ("X", X_EMPTY, ValueError),
            ("X", X.astype(str), TypeError),
            ("X", np.array([[np.inf, 0.0]]), ValueError, "finite"),
        ],
    ),
    *_cases(
        datasets.standardize,
        {},
        [
            (
                "others",
                {"*args": (X, np.ones((3, 5)))},
                ValueError,
                ("others[0]", "2 columns", "(3, 5)"),
            ),
            ("others", {"*args": (X, X.astype(str))}, TypeError, "others[0]"),
        ],
    ),
    # -- surfaces ----------------------------------------------------------------------------------
    *_cases(
        surfaces.get,
        {"name": "quadratic"},
        [
            (
                "name",
                "quadratik",
                ValueError,
                "unknown surface 'quadratik'; did you mean 'quadratic'",
                UNNAMED,
            ),
            ("name", 3, ValueError, "unknown surface 3", UNNAMED),
            ("**params", {"condition": -1.0}, ValueError, "condition"),
            ("**params", {"condition": np.inf}, ValueError, "condition"),
            ("**params", {"foo": 1.0}, TypeError, "foo"),
        ],
    ),
    *_cases(
        surfaces.custom,
        {"value": lambda p: (p**2).sum(-1)},
        [
            ("value", 3, TypeError),
            ("grad", "auto", TypeError),
            ("bounds", (0, 1), ValueError, "bounds"),
            ("bounds", ((0, np.inf), (0, 1)), ValueError, "bounds"),
            ("minima", [[1.0, 2.0, 3.0]], ValueError, "minima"),
            ("name", "", TypeError),
        ],
    ),
    # -- methods users call on what gdsim returns (not walked: a sample of the common ones) -----
    *_cases(
        SWEPT.select,
        {},
        [
            ("**coords", {"foo": 1}, ValueError, "unknown axis 'foo'"),
            ("**coords", {"lr": 0.5}, ValueError, ("lr=0.5", "[0.01, 0.02]")),
        ],
    ),
    *_cases(
        model().freeze,
        {},
        [
            ("n", 5, ValueError, "[-2, 2]"),
            ("n", 1.5, TypeError),
        ],
    ),
    *_cases(
        model().predict,
        {},
        [
            ("X", np.ones((3, 3)), ValueError, "(n_samples, 2)"),
            ("X", np.array([["a", "b"]]), TypeError),
        ],
    ),
    *_cases(
        model().evaluate,
        {"X": X},
        [
            ("y", np.array(["a"] * 40), TypeError),
        ],
    ),
    *_cases(
        model().set_weights,
        {},
        [
            ("weights", [np.ones(2)], ValueError, "4 arrays"),
        ],
    ),
    *_cases(
        OPT.with_hyperparameters,
        {},
        [
            ("**changes", {"foo": 1.0}, ValueError, "unknown SGD hyperparameter 'foo'"),
            ("**changes", {"lr": np.inf}, ValueError, "lr must be finite"),
            ("**changes", {"momentum": [0.1, 0.2, 0.3], "lr": [0.1, 0.2]}, ValueError, "(3,)"),
        ],
    ),
    *_cases(
        schedules.cosine(0.1, 10),
        {},
        [
            ("step", -1, ValueError, ">= 0"),
            ("step", 1.5, TypeError),
        ],
    ),
    # -- homework graders (a wrong student function is answered by a failing Report, below) -----
    *[
        case
        for check in GRADERS
        for case in _cases(
            check,
            {_first_parameter(check): abs},
            [
                ("seed", "abc", TypeError),
                ("seed", -1, ValueError),
                ("hint", 3, ValueError),
                ("edge_cases", "yes", TypeError),
            ],
        )
    ],
]


def _load_cases(tmp_path):
    """Broken files for ``MLP.load``: random bytes, a truncated file, a missing key, NaN weights."""
    good = tmp_path / "good.npz"
    model().save_weights(good)
    data = dict(np.load(good))
    paths = {}
    paths["random"] = tmp_path / "random.npz"
    paths["random"].write_bytes(np.random.default_rng(0).bytes(300))
    paths["truncated"] = tmp_path / "truncated.npz"
    paths["truncated"].write_bytes(good.read_bytes()[:300])
    # whatever the file's layout: drop its first entry, or fill its largest float array with NaN
    missing = dict(list(data.items())[1:])
    np.savez(tmp_path / "missing.npz", **missing)
    paths["missing"] = tmp_path / "missing.npz"
    weights = max((k for k, v in data.items() if v.dtype.kind == "f"), key=lambda k: data[k].size)
    np.savez(tmp_path / "nan.npz", **{**data, weights: np.full_like(data[weights], np.nan)})
    paths["nan"] = tmp_path / "nan.npz"
    paths["absent"] = tmp_path / "absent.npz"
    return paths


def _call(function, kwargs):
    """Call with warnings as errors (a ComplexWarning or RuntimeWarning is not an answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import matplotlib.pyplot as plt

        kwargs = dict(kwargs)
        args = kwargs.pop("*args", ())
        try:
            return function(*args, **kwargs)
        finally:
            plt.close("all")


@pytest.mark.parametrize("function, argument, kwargs, error, words", CASES)
def test_bad_input_is_answered_naming_the_argument(function, argument, kwargs, error, words):
    with pytest.raises(error) as raised:
        _call(function, kwargs)
    assert type(raised.value) in (ValueError, TypeError), (
        f"{type(raised.value).__name__}: {raised.value}"
    )
    message = str(raised.value)
    for word in words:
        assert word in message, f"{word!r} not in the message: {message}"


@pytest.mark.parametrize("broken", ["random", "truncated", "missing", "nan", "absent"])
def test_mlp_load_answers_a_broken_file(tmp_path, broken):
    path = _load_cases(tmp_path)[broken]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, FileNotFoundError)) as raised:
            nn.MLP.load(path)
    assert str(path.name) in str(raised.value) or str(path) in str(raised.value)


# -- the walk: every public argument has a bad-value case ---------------------------------------

# built by gdsim and handed to the user, never built by hand: no arguments to check
RECORDS = {
    gdsim.Run,
    nn.History,
    nn.TrainingRun,
    gdsim.Animation,
    getattr(gdsim, "TrainabilityMap", None),
}


def _public():
    """(name, callable) for every public function and class of gdsim's surface: the top level,
    gdsim.nn, gdsim.datasets, the surface and optimizer registries and the homework graders.
    gdsim.schedules has its own walk (tests/test_schedules.py)."""
    top = getattr(gdsim, "__all__", None) or [n for n in dir(gdsim) if not n.startswith("_")]
    found = [(f"gdsim.{n}", getattr(gdsim, n)) for n in top]
    found += [(f"gdsim.nn.{n}", getattr(nn, n)) for n in nn.__all__]
    found += [(f"gdsim.datasets.{n}", getattr(datasets, n)) for n in datasets.__all__]
    found += [
        ("gdsim.surfaces.get", surfaces.get),
        ("gdsim.surfaces.custom", surfaces.custom),
        ("gdsim.optimizers.get", gdsim.optimizers.get),
    ]
    found += [
        (f"gdsim.homework.{n}", getattr(gdsim.homework, n))
        for n in gdsim.homework.__all__
        if n.startswith("check_")
    ]
    out, seen = [], set()
    for name, obj in found:
        if inspect.ismodule(obj) or not callable(obj) or obj in RECORDS or id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append((name, obj))
    return out


@pytest.mark.parametrize("check", GRADERS)
def test_a_grader_answers_a_non_function_with_a_failing_report(check):
    # graders never raise at a student: the report says what is wrong
    report = check(3)
    assert not report and _first_parameter(check) in report.message


def test_every_public_argument_has_a_bad_value_case():
    tested = {(id(p.values[0]), p.values[1].lstrip("*")) for p in CASES}
    tested |= {(id(check), _first_parameter(check)) for check in GRADERS}
    missing = []
    for name, obj in _public():
        for parameter in inspect.signature(obj).parameters.values():
            if (id(obj), parameter.name) not in tested:
                missing.append(
                    f"{name}({'**' if parameter.kind == parameter.VAR_KEYWORD else ''}"
                    f"{parameter.name}=...)"
                )
    assert not missing, "no bad-value case for:\n  " + "\n  ".join(missing)


def test_the_walk_sees_the_whole_surface():
    names = {name for name, _ in _public()}
    for expected in (
        "gdsim.simulate",
        "gdsim.sweep",
        "gdsim.basins",
        "gdsim.animate",
        "gdsim.SGD",
        "gdsim.nn.fit",
        "gdsim.nn.MLP",
        "gdsim.datasets.blobs",
        "gdsim.surfaces.get",
    ):
        assert expected in names


# -- what used to fail the same way but must work -----------------------------------------------


@pytest.mark.parametrize(
    "lr", [0.01, schedules.cosine(0.01, 10), schedules.cosine(np.array([0.01, 0.02]), 10)]
)
def test_zero_steps_return_the_start(lr):
    run = gdsim.simulate(S, gdsim.SGD(lr=lr), P, 0)
    np.testing.assert_array_equal(run.final, P)
    assert run.positions.shape == (1, 2, 2) and run.lrs.shape[0] == 0
    swept = gdsim.sweep(S, gdsim.SGD, P, 0, lr=[schedules.cosine(0.01, 10), 0.02])
    np.testing.assert_array_equal(swept.final, np.broadcast_to(P, (2, 2, 2)))


def test_zero_epochs_fit_nothing():
    m = model()
    before = m.get_weights()
    history = nn.fit(m, gdsim.SGD(lr=0.1), X, Y, epochs=0, verbose=0)
    assert history.loss.shape == (0,)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_generator_seed_is_accepted_and_deterministic():
    def noisy(seed):
        return gdsim.simulate(S, gdsim.SGD(lr=0.01), P, 20, noise=0.5, seed=seed).final

    np.testing.assert_array_equal(noisy(np.random.default_rng(7)), noisy(np.random.default_rng(7)))
    assert not np.array_equal(noisy(np.random.default_rng(7)), noisy(np.random.default_rng(8)))
    rng = np.random.default_rng(7)
    # a generator is a stream: each call draws afresh
    assert not np.array_equal(noisy(rng), noisy(rng))

    swept = gdsim.sweep(
        S,
        gdsim.SGD,
        P,
        20,
        noise=0.5,
        seed=np.random.default_rng(3),
        lr=[0.01, schedules.constant(0.01)],
    )
    # one seed for the whole sweep: both cells (one looped, one not) see the same noise
    np.testing.assert_array_equal(swept.final[0], swept.final[1])

    def trained(seed):
        m = nn.MLP([2, 4, 3], seed=np.random.default_rng(seed))
        nn.fit(m, gdsim.SGD(lr=0.1), X, Y, epochs=2, seed=np.random.default_rng(seed), verbose=0)
        return m.get_weights()

    for a, b in zip(trained(1), trained(1)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(trained(1)[0], trained(2)[0])
    basin = gdsim.basins(S, OPT, grid=3, steps=5, noise=0.1, seed=np.random.default_rng(0))
    again = gdsim.basins(S, OPT, grid=3, steps=5, noise=0.1, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(basin.labels, again.labels)
    seeds = []
    for _ in range(2):
        with gdsim.explore(seed=np.random.default_rng(5)) as explorer:
            seeds.append(explorer.widgets["seed"].value)
    assert seeds[0] == seeds[1]
    found = gdsim.lr_find(model(), gdsim.SGD(), X, Y, num_it=10, seed=np.random.default_rng(0))
    again = gdsim.lr_find(model(), gdsim.SGD(), X, Y, num_it=10, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(found.losses, again.losses)


def test_a_single_callback_needs_no_list():
    plain = nn.fit(model(), gdsim.SGD(lr=0.1), X, Y, epochs=3, verbose=0, callbacks=[RULE])
    single = nn.fit(model(), gdsim.SGD(lr=0.1), X, Y, epochs=3, verbose=0, callbacks=RULE)
    np.testing.assert_array_equal(plain.loss, single.loss)
    stopper = nn.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    stopped = nn.fit(model(), gdsim.SGD(lr=0.1), X, Y, epochs=5, verbose=0, callbacks=stopper)
    assert stopped.stopped_at >= 0
    rule = gdsim.ReduceLROnPlateau(monitor="loss", patience=1)
    a = gdsim.simulate(S, gdsim.SGD(lr=0.01), P, 20, callbacks=rule)
    b = gdsim.simulate(S, gdsim.SGD(lr=0.01), P, 20, callbacks=[rule])
    np.testing.assert_array_equal(a.lrs, b.lrs)


def test_checkpoint_pattern_with_epoch_works(tmp_path):
    pattern = str(tmp_path / "w{epoch}.npz")
    nn.fit(
        model(),
        gdsim.SGD(lr=0.1),
        X,
        Y,
        epochs=2,
        verbose=0,
        validation_data=(X, Y),
        callbacks=[nn.ModelCheckpoint(pattern, save_best_only=False)],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1.npz", "w2.npz"]


@pytest.mark.parametrize(
    "argv",
    [
        ["tour", "--quick", "--out", "/proc/gdsim-x"],
        ["lessons", "/proc/gdsim-x"],
        ["figure", "momentum", "--out", "/gdsim-no-such-dir/x.png"],
    ],
)
def test_cli_file_errors_are_one_clear_line(argv, capsys):
    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code in (1, 2)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith(f"gdsim {argv[0]}:") and "/" in err
