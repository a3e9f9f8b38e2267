"""Cyclical learning rates in training: fastai's ``fit_one_cycle`` and ``fit_sgdr``, and any
cyclic schedule with the momentum (or Adam's β1) cycled against the learning rate.

``fit`` steps every schedule once per batch (its ``step`` is the global update index), so a
``cyclic``, ``sgdr`` or ``one_cycle`` schedule given as the optimizer's lr moves every batch::

    schedule = gdsim.schedules.one_cycle(0.1, total_steps=epochs * n_batches, convention="fastai")
    fit(model, with_schedule(gdsim.SGD(momentum=0.9), schedule), X, y, epochs=epochs)

:func:`with_schedule` also hands ``schedule.momentum`` to the optimizer: SGD's and RMSprop's
``momentum``, Adam's and AdamW's ``beta1``. High lr with low momentum and the reverse: while the
lr is large, a large momentum would add to the effective step (η/(1−μ)), so one-cycle lowers
it there (Smith 2018). An optimizer built without momentum (``SGD(momentum=0)``) stays without
it, as in fastai; PyTorch's CyclicLR / OneCycleLR would switch it on (REFERENCE.md §3, a pitfall).

``fit_one_cycle`` (fastai 2.8, ``Learner.fit_one_cycle``; REFERENCE.md §5): with
``pos = i / (epochs · n_batches)`` for batch ``i`` and
``sched_cos(a, b, p) = a + (b − a)(1 − cos πp)/2``::

    lr(pos) = sched_cos(lr_max/div, lr_max, pos/pct)                 pos < pct_start
            = sched_cos(lr_max, lr_max/div_final, (pos − pct)/(1 − pct))   otherwise
    mom(pos): the same shape from moms[0] to moms[1] and back to moms[2]

defaults ``div=25``, ``div_final=1e5``, ``pct_start=0.25``, ``moms=(0.95, 0.85, 0.95)`` and fastai's
Adam: ``AdamW(betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)`` with β1 cycled. ``lr_max`` may
be a number, one per member, or fastai's ``slice(lo, hi)`` / ``slice(hi)`` — one peak per layer,
every layer following the same shape scaled.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments, schedules
from gdsim.nn import discriminative
from gdsim.nn.mlp import MLP
from gdsim.nn.training import fit
from gdsim.optimizers import AdamW

__all__ = ["with_schedule", "fit_one_cycle", "fit_sgdr"]


def _has_momentum(value):
    return callable(value) or bool(np.any(np.asarray(value) != 0))


def with_schedule(optimizer, schedule, cycle_momentum=True):
    """``optimizer`` with ``lr=schedule`` and, when the schedule moves a momentum too
    (``schedule.momentum``: ``cyclic``, ``one_cycle``) and ``cycle_momentum``, that momentum
    as its ``beta1`` (Adam, AdamW) or ``momentum`` (SGD, RMSprop with momentum ≠ 0)."""
    arguments.check_optimizer("optimizer", optimizer)
    if not callable(schedule):
        raise TypeError(f"schedule must be a gdsim schedule, got {schedule!r}")
    cycle_momentum = arguments.check_bool("cycle_momentum", cycle_momentum)
    changes = {"lr": schedule}
    momentum = getattr(schedule, "momentum", None)
    if cycle_momentum and momentum is not None:
        hyper = optimizer.hyperparameters()
        if "beta1" in hyper:
            changes["beta1"] = momentum
        elif "momentum" in hyper and _has_momentum(hyper["momentum"]):
            changes["momentum"] = momentum
    return optimizer.with_hyperparameters(**changes)


def _momentum_name(optimizer):
    hyper = optimizer.hyperparameters()
    return "beta1" if "beta1" in hyper else ("momentum" if "momentum" in hyper else None)


def _peak_and_mult(model, lr_max, lr_mult):
    """``lr_max`` as one top value (a number or one per member) and per-layer multipliers."""
    if isinstance(lr_max, slice):
        if lr_mult is not None:
            raise ValueError("give lr_max as a slice or lr_mult, not both")
        per_layer = discriminative._spread(lr_max, model.n_layers, "lr_max")
        top = float(per_layer.max())
        return top, per_layer / top
    arguments.check_positive("lr_max", lr_max)
    return lr_max, lr_mult


def _check_model_and_optimizer(model, optimizer):
    """The model and the optimizer (fastai's Adam when None), checked before any work."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a gdsim.nn.MLP, got {model!r}")
    if optimizer is None:
        return AdamW(lr=1e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
    return arguments.check_optimizer("optimizer", optimizer)


def _n_batches(X, batch_size):
    batch_size = arguments.check_int("batch_size", batch_size, minimum=1)
    return -(-len(X) // batch_size)


def _train(model, optimizer, X, y, epochs, schedule, lr_mult, cycle_momentum, fit_options):
    """Train with ``schedule`` and add the per-batch lr (of the last layer, as fastai's Recorder
    keeps it), momentum and loss to the History."""
    optimizer = with_schedule(optimizer, schedule, cycle_momentum)
    history = fit(
        model, optimizer, X, y, epochs=epochs, batch_loss=True, lr_mult=lr_mult, **fit_options
    )
    steps = np.arange(len(history.batch_loss))[:, None]
    K = model.population
    scale = (
        1.0
        if lr_mult is None
        else np.broadcast_to(
            discriminative._spread(lr_mult, model.n_layers, "lr_mult").reshape(model.n_layers, -1)[
                -1
            ],
            (K,),
        )
    )
    lr = np.broadcast_to(np.asarray(schedule(steps), dtype=float), (len(steps), K)) * scale
    extra = {"batch_lr": lr}
    name = _momentum_name(optimizer)
    if name is not None:
        value = optimizer.hyperparameters()[name]
        value = value(steps) if callable(value) else value
        extra["batch_momentum"] = np.broadcast_to(
            np.asarray(value, dtype=float), (len(steps), K)
        ).copy()
    for key, values in extra.items():
        history.history[key] = values[:, 0] if model.single else values
    return history


def fit_one_cycle(
    model,
    X,
    y,
    epochs,
    lr_max=1e-3,
    optimizer=None,
    div=25.0,
    div_final=1e5,
    pct_start=0.25,
    moms=(0.95, 0.85, 0.95),
    wd=None,
    lr_mult=None,
    **fit_options,
):
    """Train ``model`` for ``epochs`` with the 1cycle policy, exactly as fastai's
    ``fit_one_cycle`` schedules it (formulas in the module docstring).

    ``optimizer`` defaults to fastai's Adam (``AdamW(betas=(0.9, 0.99), eps=1e-5,
    weight_decay=0.01)``); its lr is replaced and its ``beta1`` / ``momentum`` follows ``moms``
    (``moms=None`` leaves the momentum alone). ``wd`` replaces its weight decay. ``lr_max``: a
    number, one per member, or ``slice(lo, hi)`` / ``slice(hi)`` for per-layer peaks. Other
    keywords go to :func:`fit` (``batch_size``, ``validation_data``, ``callbacks``, ``seed``,
    ``verbose``...). Returns its History with ``batch_lr``, ``batch_momentum``, ``batch_loss``.
    """
    optimizer = _check_model_and_optimizer(model, optimizer)
    epochs = arguments.check_int("epochs", epochs, minimum=1)
    arguments.check_positive("div", div)
    arguments.check_positive("div_final", div_final)
    if wd is not None:
        arguments.check_nonnegative("wd", wd)
        optimizer = optimizer.with_hyperparameters(weight_decay=wd)
    top, lr_mult = _peak_and_mult(model, lr_max, lr_mult)
    if moms is not None:
        if not isinstance(moms, (tuple, list)):
            raise TypeError(f"moms must be (start, middle, end) or None, got {moms!r}")
        if len(moms) != 3 or moms[0] != moms[2]:
            raise ValueError(
                "moms must be (start, middle, end) with start == end (fastai's "
                f"(0.95, 0.85, 0.95)), got {moms!r}"
            )
        mom_range = dict(max_momentum=moms[0], base_momentum=moms[1])
    else:
        mom_range = {}
    total = epochs * _n_batches(X, fit_options.get("batch_size", 32))
    schedule = schedules.one_cycle(
        top,
        total_steps=max(total, 2),
        pct_start=pct_start,
        div_factor=div,
        final_div_factor=div_final,
        convention="fastai",
        **mom_range,
    )
    return _train(model, optimizer, X, y, epochs, schedule, lr_mult, moms is not None, fit_options)


def fit_sgdr(
    model,
    X,
    y,
    n_cycles,
    cycle_len,
    lr_max=1e-3,
    cycle_mult=2,
    optimizer=None,
    lr_mult=None,
    **fit_options,
):
    """SGDR as fastai's ``fit_sgdr``: ``n_cycles`` cosine cycles from ``lr_max`` to 0, the first
    ``cycle_len`` epochs long and each next ``cycle_mult`` times longer, stepped per batch
    (``schedules.sgdr(lr_max, T_0=cycle_len·n_batches, T_mult=cycle_mult)``). Trains for
    ``cycle_len·(cycle_mult^n_cycles − 1)/(cycle_mult − 1)`` epochs (``n_cycles·cycle_len`` for
    ``cycle_mult=1``, which fastai's integer division cannot do). ``optimizer`` defaults to
    fastai's Adam; its momentum is left alone."""
    n_cycles = arguments.check_int("n_cycles", n_cycles, minimum=1)
    cycle_len = arguments.check_int("cycle_len", cycle_len, minimum=1)
    cycle_mult = arguments.check_int("cycle_mult", cycle_mult, minimum=1)
    optimizer = _check_model_and_optimizer(model, optimizer)
    epochs = (
        cycle_len * n_cycles
        if cycle_mult == 1
        else cycle_len * (cycle_mult**n_cycles - 1) // (cycle_mult - 1)
    )
    top, lr_mult = _peak_and_mult(model, lr_max, lr_mult)
    n_batches = _n_batches(X, fit_options.get("batch_size", 32))
    schedule = schedules.sgdr(top, T_0=cycle_len * n_batches, T_mult=cycle_mult)
    return _train(model, optimizer, X, y, epochs, schedule, lr_mult, False, fit_options)
