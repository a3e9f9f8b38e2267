"""``fit``: mini-batch training of a whole MLP population at once, Keras style, and its History.

One epoch, for every member ``k`` at once::

    order_k = a permutation of the rows, drawn from member k's own seed
    for each batch B (batch_size rows of order_k; the last one may be smaller):
        ℓ_B, ∇ = the model's forward and backward pass on B
        θ ← optimizer.update(θ, ∇, state, hyperparameters at this step)      (every tensor)
    loss, accuracy   = means over the epoch's batches weighted by batch size (Keras' running
                       metrics: each batch is scored with the weights it was trained from)
    val_loss, val_accuracy = one full forward pass over validation_data at the epoch's end
    callbacks see all of it, one value per member, and may change lrs or stop members

Hyperparameters are the optimizer's own: numbers, arrays with one value per member (``lr`` of
shape ``(K,)`` trains K learning rates side by side) or schedules of the step, where the step is
the global update index (``schedule_per="batch"``, as Keras' ``iterations``) or the epoch index
(``schedule_per="epoch"``). Each per-member array is reshaped to ``(K, 1, 1)`` so that it broadcasts
against a layer's ``θ (K, fan_in + 1, fan_out)`` (weights and bias together, see ``mlp``), and one
optimizer call per layer updates every member.
"""

from __future__ import annotations

import math

import numpy as np

from gdsim import arguments
from gdsim.nn import discriminative
from gdsim.nn.callbacks import Callback, LRRule
from gdsim.nn.initializers import member_seeds, seed_streams
from gdsim.nn.mlp import _PASS, MLP
from gdsim.sim import resources

__all__ = ["fit", "History"]

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr")


class History:
    """What ``fit`` recorded, one row per epoch and one column per member.

    ``history["loss"]`` or ``history.loss`` is ``(epochs, K)`` (``(epochs,)`` for a single
    network; ``(epochs, *shape)`` after :meth:`reshape`). Keys: ``loss``, ``accuracy``, and with
    validation data ``val_loss``, ``val_accuracy``; ``lr`` is the learning rate of each epoch's
    last update; ``batch_loss`` ``(updates, K)`` when ``fit(..., batch_loss=True)``.
    A member stopped by a callback has NaN after its last epoch, and a diverged member after
    the epoch in which it blew up (that epoch shows the non-finite value); ``stopped_at`` and
    ``diverged_at`` give those epochs (-1 if never).
    """

    def __init__(self, history, epoch, diverged_at, stopped_at, params):
        self.history = history
        self.epoch = epoch
        self.diverged_at = diverged_at
        self.stopped_at = stopped_at
        self.params = params

    def __getitem__(self, name):
        return self.history[name]

    def __getattr__(self, name):
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"History has no {name!r}; it holds {sorted(history)}")

    def keys(self):
        return self.history.keys()

    @property
    def diverged(self):
        return self.diverged_at >= 0

    @property
    def shape(self):
        """The population's shape (``()`` for a single network)."""
        return self.diverged_at.shape

    def reshape(self, *shape):
        """The same records with the population axis split, e.g.
        ``(epochs, n_conditions, n_seeds)``."""
        return History(
            {k: v.reshape(v.shape[:1] + shape) for k, v in self.history.items()},
            self.epoch,
            self.diverged_at.reshape(shape),
            self.stopped_at.reshape(shape),
            self.params,
        )

    def __repr__(self):
        return (
            f"History(epochs={len(self.epoch)}, population shape={self.shape}, "
            f"keys={list(self.history)})"
        )


class TrainingRun:
    """The training state that callbacks may read and steer, one entry per member.

    ``active`` marks the members no callback has stopped (``stop``, ``stopped_at``); ``diverged``
    those that blew up (``diverged_at``: the epoch of the first batch whose loss or update was not
    finite; such a member keeps the last finite weights and optimizer state it had). ``training``
    is both: active and not diverged."""

    def __init__(self, model, optimizer, metrics, epochs, lr_of_step):
        self.model, self.optimizer, self.metrics, self.epochs = model, optimizer, metrics, epochs
        K = model.population
        self.active = np.ones(K, dtype=bool)
        self.stopped_at = np.full(K, -1)
        self.diverged_at = np.full(K, -1)
        self.lr_override = None
        self.epoch = 0
        self._lr_of_step = lr_of_step
        self.step = 0
        self.iteration = 0  # the global batch index (``step`` is the schedule's step)
        self.batches_per_epoch = None

    @property
    def lr(self):
        """The lr each member will use next, ``(K,)``."""
        if self.lr_override is not None:
            return self.lr_override.copy()
        return self._lr_of_step(self.step)

    def set_lr(self, lr):
        """Use ``lr`` (a number or one per member) from the next update on, for active members."""
        lr = np.broadcast_to(np.asarray(lr, dtype=float), (self.model.population,))
        arguments.check_nonnegative("lr (set by a callback)", lr)
        self.lr_override = np.where(self.active, lr, self.lr)

    def stop(self, members):
        """Stop training the members where ``members`` is True; their weights stay as they are."""
        newly = np.asarray(members, dtype=bool) & self.active
        self.stopped_at[newly] = self.epoch
        self.active &= ~newly

    @property
    def diverged(self):
        """The members that blew up, ``(K,)`` bool."""
        return self.diverged_at >= 0

    @property
    def training(self):
        """The members that ``fit`` still updates, ``(K,)`` bool."""
        return self.active & (self.diverged_at < 0)

    def _diverge(self, members):
        self.diverged_at[members & self.training] = self.epoch

    def weights(self):
        """Copies of every layer's ``θ (K, fan_in + 1, fan_out)``; ``model.split`` gives
        ``[W0, b0, ...]``."""
        return [t.copy() for t in self.model.theta]

    def set_member_weights(self, theta, members):
        """Give the members where ``members`` is True the matching entries of ``theta``."""
        members = np.asarray(members, dtype=bool)[:, None, None]
        self.model.theta = [
            np.where(members, new, old) for new, old in zip(theta, self.model.theta)
        ]


def _per_member(value, K, name):
    """A hyperparameter value shaped to broadcast against a layer's
    ``θ (K, fan_in + 1, fan_out)``."""
    if np.ndim(value) == 0:
        return value
    array = np.asarray(value, dtype=float)
    if array.size == 1:
        return float(array.reshape(()))
    if array.shape != (K,):
        raise ValueError(
            f"optimizer hyperparameter {name!r} has shape {array.shape}; with a "
            f"population of {K} it must be a number or have shape ({K},). "
            f"Build the model with MLP(..., population={array.size}) to train one model per value"
        )
    return array.reshape(K, 1, 1)


class _Hyperparameters:
    """The optimizer's hyperparameters at each step, resolved once per fit, shaped per parameter."""

    def __init__(self, optimizer, K, n_steps, callbacks_set_lr):
        self.K = K
        self.constant, self.tables = {}, {}
        if callable(optimizer.hyperparameters().get("lr")) and callbacks_set_lr:
            raise TypeError(
                "a callback that sets the lr (ReduceLROnPlateau, Adaptive, "
                "LearningRateScheduler) needs a constant lr, not a schedule"
            )
        for name, resolved in optimizer.resolve(max(n_steps, 1)).items():
            if resolved.scheduled:
                self.tables[name] = list(resolved.table)  # per step: a number or (K,)
            else:
                self.constant[name] = getattr(optimizer, name)
        self.base = self._shaped(self.constant)

    def _shaped(self, values):
        return {name: _per_member(v, self.K, name) for name, v in values.items()}

    def lr(self, step):
        if "lr" in self.tables:
            return self.tables["lr"][step]
        return self.constant["lr"]

    def at(self, step, lr_override):
        """Every hyperparameter at ``step``, shaped for the layers."""
        if not self.tables and lr_override is None:
            return self.base
        scheduled = {name: table[step] for name, table in self.tables.items()}
        if lr_override is not None:
            scheduled["lr"] = lr_override
        return {**self.base, **self._shaped(scheduled)}


class _Optimizers:
    """One optimizer, or several side by side: ``G`` optimizers split the population into ``G``
    equal, contiguous groups of members (how the seed tutorial's SGD / RMSprop / Adagrad / Adam
    comparison trains as one population). A group updates its slice of every layer."""

    def __init__(self, optimizer, K, n_steps, callbacks_set_lr):
        optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
        for o in optimizers:
            if not all(hasattr(o, name) for name in ("hyperparameters", "init", "update")):
                raise TypeError(f"optimizer must be a gdsim optimizer or a list of them, got {o!r}")
        if not optimizers or K % len(optimizers):
            raise ValueError(
                f"{len(optimizers)} optimizers need a population divisible by "
                f"{len(optimizers)}, got {K}"
            )
        size = K // len(optimizers)
        self.K = K
        self.groups = [
            (
                o,
                _Hyperparameters(o, size, n_steps, callbacks_set_lr),
                slice(g * size, (g + 1) * size),
            )
            for g, o in enumerate(optimizers)
        ]

    def init(self, t):
        return [o.init(t[members]) for o, _, members in self.groups]

    def lr(self, step):
        """Every member's lr at ``step`` from the optimizers alone, ``(K,)``."""
        return np.concatenate(
            [np.broadcast_to(h.lr(step), (m.stop - m.start,)) for _, h, m in self.groups]
        ).astype(float)

    def hyperparameters_at(self, step, lr_override):
        return [
            h.at(step, None if lr_override is None else lr_override[m]) for _, h, m in self.groups
        ]

    def scale_layers(self, scale):
        """Per-layer lr multipliers ``scale (n_layers, K)``, kept per group and shaped like
        ``lr``."""
        self.layer_scale = [
            [
                _per_member(row[m] if np.ptp(row[m]) else row[m.start], m.stop - m.start, "lr_mult")
                for _, _, m in self.groups
            ]
            for row in scale
        ]

    layer_scale = None

    def update(self, t, grad, states, hps, layer=None):
        """The layer ``t`` after one step, and the groups' new states (in place in ``states``)."""
        parts = []
        for j, (o, _, members) in enumerate(self.groups):
            hp = hps[j]
            if self.layer_scale is not None:
                hp = {**hp, "lr": hp["lr"] * self.layer_scale[layer][j]}
            new, states[j] = o.update(t[members], grad[members], states[j], hp)
            parts.append(new)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def hold(self, states, before, held):
        """Put the members where ``held (K,)`` is True back to their ``before`` states (in place
        in ``states``): a stopped or diverged member's optimizer state stays as it was."""
        for j, (_, _, members) in enumerate(self.groups):
            if held[members].any():
                states[j] = _held(states[j], before[j], held[members])


def _held(new, old, held):
    """The state record ``new`` with the members where ``held`` is True taken from ``old``.

    Every array with a leading member axis is merged (in a NamedTuple, tuple, list or dict
    state); step counters and other shared entries stay as they are."""
    if isinstance(new, np.ndarray):
        if (
            isinstance(old, np.ndarray)
            and old.shape == new.shape
            and new.ndim
            and len(new) == len(held)
        ):
            return np.where(held.reshape((-1,) + (1,) * (new.ndim - 1)), old, new)
        return new
    if isinstance(new, (tuple, list)) and type(old) is type(new) and len(old) == len(new):
        merged = [_held(n, o, held) for n, o in zip(new, old)]
        return type(new)(*merged) if hasattr(new, "_fields") else type(new)(merged)
    if isinstance(new, dict) and isinstance(old, dict):
        return {
            key: _held(value, old[key], held) if key in old else value for key, value in new.items()
        }
    return new


def _blown_up(batch_total, layers):
    """The members whose batch loss or new weights are not finite, ``(K,)``, or None if none.

    One sum settles the common case: a sum is finite only if every term is (the exact test
    runs when it is not, which also covers a sum that merely overflowed)."""
    total = batch_total.sum()
    for t in layers:
        total += t.sum()
    if math.isfinite(total):
        return None
    bad = ~np.isfinite(batch_total)
    for t in layers:
        bad |= ~np.isfinite(t).all(axis=tuple(range(1, t.ndim)))
    return bad if bad.any() else None


def _held_members(run):
    """The members ``fit`` no longer updates (stopped or diverged), or None if it updates all."""
    training = run.training
    return None if training.all() else ~training


def check_data(model, X, y, validation_data):
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a gdsim.nn.MLP, got {model!r}")
    X = _nonempty(model.check_X(X), "X")
    Y, labels = model.targets(y, len(X))
    if validation_data is None:
        return model.with_ones(X), Y, labels, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError("validation_data must be a pair (X_val, y_val)")
    X_val = model.check_X(validation_data[0], "validation_data X_val")
    _nonempty(X_val, "validation_data X_val")
    Y_val, labels_val = model.targets(validation_data[1], len(X_val), name="validation_data y_val")
    return model.with_ones(X), Y, labels, (model.with_ones(X_val), Y_val, labels_val)


def _nonempty(X, name):
    """Training data needs rows: an empty X would give NaN losses and no update at all."""
    if not len(X):
        raise ValueError(f"{name} must hold at least one sample (row), got shape {X.shape}")
    return X


def _layer_rates(model, optimizer, layer_lrs, lr_mult):
    """The optimizer(s) to train with and the per-layer lr multipliers ``(n_layers, K)`` or None.

    ``layer_lrs`` become multipliers of their largest trainable value, which replaces the
    optimizer's (constant) lr: callbacks and ``history.lr`` then see the top layer lr."""
    kind, values = discriminative.resolve(model, layer_lrs, lr_mult)
    if kind is None:
        return optimizer, None
    if kind == "lr_mult":
        return optimizer, values
    optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
    for o in optimizers:
        if callable(getattr(o, "lr", None)):
            raise TypeError(
                "layer_lrs replace a constant optimizer lr; to spread a schedule over "
                "the layers pass lr_mult=[...] (multipliers of the schedule) instead"
            )
    trainable = np.asarray(model.trainable)
    peak = values[trainable].max(axis=0)
    size = model.population // len(optimizers)
    replaced = []
    for g, o in enumerate(optimizers):
        part = peak[g * size : (g + 1) * size]
        replaced.append(o.with_hyperparameters(lr=float(part[0]) if np.ptp(part) == 0 else part))
    return (replaced if isinstance(optimizer, (list, tuple)) else replaced[0]), values / peak


def _state_arrays(optimizer):
    """How many weight-sized arrays the optimizer's state holds per weight (plain SGD 0, with
    momentum 1, Adam 2), from the state it builds for a tiny probe."""
    probe = np.zeros((1, 2, 3))
    most = 0
    for o in optimizer if isinstance(optimizer, (list, tuple)) else [optimizer]:
        try:
            state = o.init(probe)
        except Exception:  # noqa: BLE001 - training itself will report a broken optimizer
            continue
        leaves = state if isinstance(state, tuple) else [state]
        most = max(most, sum(np.shape(leaf) == probe.shape for leaf in leaves))
    return most


def _check_memory(
    model, optimizer, n, n_val, epochs, batch_size, n_batches, n_steps, metrics, batch_loss, shuffle
):
    """Refuse a fit whose new arrays do not fit in memory, before training (the model's own
    weights are there already): updates and optimizer state, a batch's activations, the
    members' shuffles, the validation losses, the schedules' tables and the records."""
    K = model.population
    parts = resources.population_bytes(
        model.layers,
        K,
        building=False,
        state_arrays=_state_arrays(optimizer),
        rows=min(batch_size, n),
    )
    parts["each member's shuffle of the rows"] = 2 * K * n * 8 if shuffle else 0
    # validation: every member's row losses, and the evaluation's chunk buffers (a few layers'
    # activations for a group of members, kept between epochs)
    width = sum(n_units + 1 for n_units in model.layers)
    parts["validation"] = K * n_val * 8 + (
        min(2 * K * n_val * width, 2 * _PASS * len(model.layers)) * 8 if n_val else 0
    )
    parts["records"] = (len(metrics) * epochs + (epochs * n_batches if batch_loss else 0)) * K * 8
    scheduled = [
        value
        for o in (optimizer if isinstance(optimizer, (list, tuple)) else [optimizer])
        for value in o.hyperparameters().values()
        if callable(value)
    ]
    parts["schedule tables"] = len(scheduled) * n_steps * (K * 8 * 3 + 100)
    resources.check_memory(
        parts,
        f"fit(epochs={epochs}, batch_size={batch_size}) of {K:,} member"
        f"{'s' if K != 1 else ''} of {model.layers} on {n:,} rows"
        + (f" ({n_val:,} for validation)" if n_val else ""),
        "use a smaller population, batch_size or validation set, fewer epochs"
        + (", or batch_loss=False" if batch_loss else ""),
    )


def _overriding(callbacks, hook):
    """The callbacks that define ``hook`` (batch hooks cost a call per batch, so only those run)."""
    return [
        c for c in callbacks if getattr(type(c), hook, None) is not getattr(Callback, hook, None)
    ]


def _wrap(callback):
    if isinstance(callback, Callback):
        return callback
    if hasattr(callback, "init") and hasattr(callback, "update"):
        return LRRule(callback)  # a metric-driven rule from the core (ReduceLROnPlateau, Adaptive)
    raise TypeError(f"callbacks must be gdsim.nn callbacks or lr rules, got {callback!r}")


def _progress(verbose, epochs):
    if verbose != 1:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=epochs, unit="epoch", leave=False)


class _closing:
    """Close the progress bar however training ends (an interrupted bar would stay on screen)."""

    def __init__(self, progress):
        self.progress = progress

    def __enter__(self):
        return self.progress

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.close()


def fit(
    model,
    optimizer,
    X,
    y,
    epochs=1,
    batch_size=32,
    validation_data=None,
    shuffle=True,
    callbacks=(),
    seed=None,
    verbose=1,
    schedule_per="batch",
    batch_loss=False,
    layer_lrs=None,
    lr_mult=None,
):
    """Train ``model`` (all of its members) in place and return a :class:`History`.

    ``optimizer`` is a gdsim optimizer, or a list of G of them for G equal groups of members.
    ``y`` holds integer labels (preferred) or one-hot rows. ``seed`` (an int shared by all members,
    or one per member) fixes the shuffling; ``None`` continues each member's own shuffle stream,
    derived from its seed, so member k shuffles the same way whatever the population size.
    Each call starts the optimizer afresh (step 0, zero moments), as a new Keras optimizer would.
    ``verbose``: 0 silent, 1 a progress bar (terminal or notebook), 2 one line per epoch.
    Divergence is data: at the first batch whose loss or update is not finite, a member stops
    training with the last finite weights and optimizer state it had, is marked in
    ``history.diverged_at``, and the others train on exactly as they would without it; no
    RuntimeWarning escapes. If every member diverges, the remaining epochs are NaN (not run).

    Per-layer learning rates (see :mod:`gdsim.nn.discriminative`): ``layer_lrs`` gives every
    layer its own constant lr (a list, ``slice(lo, hi)`` or ``slice(hi)``, fastai-style), replacing
    the optimizer's lr; ``lr_mult`` multiplies the optimizer's lr — number, schedule or what a
    callback sets — layer by layer. Layers frozen with ``model.freeze(n)`` are not updated at
    all (their ``θ`` and optimizer state stay as they are).
    """
    epochs = arguments.check_int("epochs", epochs, minimum=0)
    batch_size = arguments.check_int("batch_size", batch_size, minimum=1)
    arguments.check_choice("schedule_per", schedule_per, ["batch", "epoch"])
    arguments.check_choice("verbose", verbose, [0, 1, 2])
    shuffle = arguments.check_bool("shuffle", shuffle)
    batch_loss = arguments.check_bool("batch_loss", batch_loss)
    X, Y, labels, validation = check_data(model, X, y, validation_data)
    if isinstance(optimizer, (list, tuple)) and not optimizer:
        raise ValueError("optimizer must be an optimizer or a non-empty list of them, got []")
    for o in optimizer if isinstance(optimizer, (list, tuple)) else [optimizer]:
        arguments.check_optimizer("optimizer", o)
    callbacks = [_wrap(c) for c in arguments.as_list(callbacks)]  # one callback or a list
    K, n = model.population, len(X)
    n_batches = -(-n // batch_size)
    n_steps = epochs * n_batches if schedule_per == "batch" else epochs
    optimizer, layer_scale = _layer_rates(model, optimizer, layer_lrs, lr_mult)
    metrics = ["loss", "accuracy"] + (["val_loss", "val_accuracy"] if validation else []) + ["lr"]
    _check_memory(
        model,
        optimizer,
        n,
        len(validation[0]) if validation else 0,
        epochs,
        batch_size,
        n_batches,
        n_steps,
        metrics,
        batch_loss,
        shuffle,
    )
    optimizers = _Optimizers(optimizer, K, n_steps, any(c.sets_lr for c in callbacks))
    if layer_scale is not None:
        optimizers.scale_layers(layer_scale)
    first = getattr(model, "frozen", 0)
    begin_hooks = _overriding(callbacks, "on_batch_begin")
    end_hooks = _overriding(callbacks, "on_batch_end")
    if shuffle:
        rngs = (
            [seed_streams(s)[1] for s in member_seeds(seed, K)]
            if seed is not None
            else model.shuffle_streams()
        )
    records = {name: np.full((epochs, K), np.nan) for name in metrics}
    batch_losses = np.full((epochs * n_batches, K), np.nan) if batch_loss else None
    run = TrainingRun(model, optimizer, metrics, epochs, optimizers.lr)
    run.batches_per_epoch = n_batches
    states = [optimizers.init(t) for t in model.theta]
    progress = _progress(verbose, epochs)
    last_epoch = -1
    with np.errstate(all="ignore"), _closing(progress):
        for c in callbacks:
            c.on_train_begin(run)
        for epoch in range(epochs):
            if not run.training.any():
                break  # every member stopped (EarlyStopping, TerminateOnNaN, Adaptive) or diverged
            run.epoch = epoch
            for c in callbacks:
                c.on_epoch_begin(epoch, run)
            last_epoch = epoch
            order = np.stack([rng.permutation(n) for rng in rngs]) if shuffle else None
            loss_sum, correct = np.zeros(K), np.zeros(K)
            theta = model.theta
            held = _held_members(run)
            for b in range(n_batches):
                iteration = epoch * n_batches + b
                step = iteration if schedule_per == "batch" else epoch
                run.step, run.iteration = step, iteration
                if begin_hooks:
                    for c in begin_hooks:
                        c.on_batch_begin(iteration, run)
                    held = _held_members(run)
                rows = slice(b * batch_size, min((b + 1) * batch_size, n))
                if shuffle:
                    index = order[:, rows]
                    Xb, Yb, lb = X.take(index, axis=0), Y.take(index, axis=0), labels.take(index)
                else:
                    Xb, Yb, lb = X[rows], Y[rows], labels[rows]
                batch_total, batch_correct, grads = model.batch(Xb, Yb, lb, theta, first)
                loss_sum += batch_total
                correct += batch_correct
                if batch_losses is not None:
                    batch_losses[iteration] = batch_total / Xb.shape[-2]
                hps = optimizers.hyperparameters_at(step, run.lr_override)
                before = [list(s) for s in states]  # updates are functional: old states stay valid
                new = {
                    i: optimizers.update(theta[i], grads[i], states[i], hps, layer=i)
                    for i in range(first, len(theta))
                }
                blown = _blown_up(batch_total, new.values())
                if blown is not None:
                    run._diverge(blown)
                    held = _held_members(run)
                for i, t in new.items():
                    if held is None:
                        theta[i] = t
                    else:  # stopped and diverged members keep their weights and state
                        theta[i] = np.where(held[:, None, None], theta[i], t)
                        optimizers.hold(states[i], before[i], held)
                if end_hooks:
                    batch_logs = {"loss": batch_total / Xb.shape[-2]}
                    for c in end_hooks:
                        c.on_batch_end(iteration, batch_logs, run)
                    theta = model.theta  # a hook may have set weights
                    held = _held_members(run)
                if held is not None and held.all():
                    break  # a hook stopped, or divergence froze, every member mid-epoch
            logs = {"loss": loss_sum / n, "accuracy": correct / n}
            if validation:
                logs["val_loss"], logs["val_accuracy"] = model.evaluate_checked(*validation, theta)
            logs["lr"] = run.lr_override if run.lr_override is not None else optimizers.lr(run.step)
            run._diverge(~np.isfinite(logs["loss"]))  # a sum of finite batch losses overflowed
            shown = run.training | (run.diverged_at == epoch)
            for name in metrics:
                records[name][epoch] = np.where(shown, logs[name], np.nan)
            for c in callbacks:
                c.on_epoch_end(epoch, logs, run)
            if progress is not None:
                progress.update(1)
                progress.set_postfix(_summary(records, epoch), refresh=False)
            elif verbose == 2:
                print(
                    f"epoch {epoch + 1}/{epochs} "
                    + " ".join(f"{k}={v:.4g}" for k, v in _summary(records, epoch).items())
                )
        for c in callbacks:
            c.on_train_end(run)
    # callbacks that stop members end the history early, as in Keras; divergence does not
    done = last_epoch + 1 if (run.stopped_at >= 0).any() else epochs
    history = {name: records[name][:done] for name in metrics}
    if batch_losses is not None:
        history["batch_loss"] = batch_losses[: done * n_batches]
    params = dict(
        epochs=epochs,
        batch_size=batch_size,
        steps=n_batches,
        population=K,
        samples=n,
        schedule_per=schedule_per,
    )
    if model.single:
        history = {k: v[:, 0] for k, v in history.items()}
        return History(history, np.arange(done), run.diverged_at[0], run.stopped_at[0], params)
    return History(history, np.arange(done), run.diverged_at, run.stopped_at, params)


def _summary(records, epoch):
    """Population means for the progress bar (NaN-aware: diverged members are left out)."""
    out = {}
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if name in records:
            row = records[name][epoch]
            finite = row[np.isfinite(row)]
            out[name] = float(finite.mean()) if finite.size else float("nan")
    return out
