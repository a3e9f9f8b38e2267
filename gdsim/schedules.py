"""Learning-rate schedules: pure, vectorized functions of the step.

A schedule is a callable ``lr = schedule(step)``. ``step`` is a non-negative integer or an
integer array of any shape, so ``schedule(np.arange(10_000))`` is one NumPy call. Every value
is a closed form of the step: there is no hidden counter, so calling a schedule twice, out
of order or on a whole array always gives the same numbers.

Counting convention (PyTorch's ``last_epoch``): step 0 is the first update, and the value at
step ``e`` is the lr in force during update (or epoch) ``e``. Keras' legacy ``decay`` and
scikit-learn's ``invscaling`` follow the same 0-based convention (REFERENCE.md §2.2, §4).

Float parameters may be arrays. The result broadcasts ``step`` against them, which is how a
sweep over a schedule parameter works::

    >>> time_decay(0.01, decay=np.array([1e-1, 1e-2])[:, None])(np.arange(5)).shape
    (2, 5)

Integer parameters (step sizes, periods, milestones) are plain ints.

The metric-driven rules (ReduceLROnPlateau, scikit-learn's "adaptive") cannot be closed
forms; they live in ``gdsim.plateau`` as explicit state machines.
"""

from __future__ import annotations

import numpy as np

from gdsim.arguments import (
    check_choice,
    check_in_range,
    check_int,
    check_nonnegative,
    check_positive,
    unknown_name_error,
)

__all__ = [
    "Schedule", "constant", "step", "multistep", "exponential", "time_decay",
    "inverse_scaling", "cosine", "sgdr", "cyclic", "one_cycle", "linear", "polynomial",
    "warmup", "join", "lambda_lr", "function", "get", "names", "describe",
]


# --------------------------------------------------------------------------------------------
# The Schedule object


def _check_steps(step):
    """``step`` as an int64 array, or a TypeError / ValueError naming it."""
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"step must be an integer or an array of integers, got {step!r}")
    array = np.asarray(step)
    if array.dtype.kind not in "iu":
        shown = repr(step) if array.ndim == 0 else f"an array of dtype {array.dtype}"
        raise TypeError(f"step must be an integer or an array of integers, got {shown}")
    if array.size and array.min() < 0:
        raise ValueError(f"step must be >= 0, got {array.min()}")
    return array.astype(np.int64, copy=False)


def _param(value):
    """A float, or a private read-only float array (a sweep over this parameter)."""
    array = np.array(value, dtype=float)
    if array.ndim == 0:
        return float(array)
    array.flags.writeable = False
    return array


def _show(value):
    """How a parameter appears in a repr."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()})" if value.size <= 12 else f"<array of shape {value.shape}>"
    if callable(value) and not isinstance(value, Schedule):
        return getattr(value, "__qualname__", None) or repr(value)
    return repr(value)


class Schedule:
    """A learning rate (or momentum) as a closed-form function of the step.

    ``Schedule(name, fn, params)`` wraps ``fn``, which receives the validated steps as an int64
    array and returns the values (any shape that broadcasts with the steps). Subclasses may
    override ``_value`` instead. ``params`` is what ``repr`` shows.

    ``schedule(step)`` returns a float for a scalar step (when every parameter is a scalar)
    and a float64 array of shape ``broadcast(step.shape, parameter shapes)`` otherwise.
    """

    def __init__(self, name, fn=None, params=None, momentum=None):
        self.name = name
        self.params = dict(params or {})
        self._fn = fn
        # cyclic and one_cycle also move the momentum; optimizers read it from here.
        self.momentum = momentum

    def _value(self, e):
        return self._fn(e)

    def __call__(self, step):
        e = _check_steps(step)
        # A schedule may legitimately overflow (exponential with gamma > 1); the result is
        # data (inf), not a warning.
        with np.errstate(all="ignore"):
            out = np.asarray(self._value(e), dtype=float)
        shape = np.broadcast_shapes(out.shape, e.shape)
        if out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        return float(out) if out.ndim == 0 else out

    def __repr__(self):
        inside = ", ".join(f"{key}={_show(value)}" for key, value in self.params.items())
        return f"{self.name}({inside})"


def _evaluate(fn, x, what):
    """``fn(x)`` for an int array ``x``: one vectorized call if ``fn`` accepts arrays and
    returns ``x``'s shape, otherwise one call per element (with Python ints)."""
    try:
        out = np.asarray(fn(x), dtype=float)
        if out.shape == x.shape:
            return out
    # A function written for scalars fails on arrays in arbitrary ways (ambiguous truth
    # value, math.* on arrays, indexing...). Any failure here just means "not vectorized".
    except Exception:  # noqa: BLE001
        pass
    values = [fn(int(v)) for v in x.flat]
    try:
        out = np.array(values, dtype=float)
    except (TypeError, ValueError):
        out = None
    if out is None or out.shape != (x.size,):
        raise TypeError(f"{what} must return one number per step, got {values[0]!r}")
    return out.reshape(x.shape)


def _check_callable(name, fn):
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {fn!r}")
    return fn


def _check_schedule(name, value):
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a Schedule (e.g. gdsim.schedules.cosine(...)), got {value!r}")
    return value


def _check_momentum(name, value):
    return _param(check_in_range(name, value, 0, 1))


# --------------------------------------------------------------------------------------------
# Decays


def constant(lr):
    """Constant: lr(e) = lr."""
    lr = _param(check_positive("lr", lr))
    return Schedule("constant", lambda e: lr * np.ones(e.shape), {"lr": lr})


def step(lr, step_size, gamma=0.1):
    """Step decay (PyTorch StepLR): lr(e) = lr · gamma^⌊e / step_size⌋."""
    lr = _param(check_positive("lr", lr))
    step_size = check_int("step_size", step_size, minimum=1)
    gamma = _param(check_positive("gamma", gamma))
    return Schedule("step", lambda e: lr * gamma ** (e // step_size),
                    {"lr": lr, "step_size": step_size, "gamma": gamma})


def multistep(lr, milestones, gamma=0.1):
    """Multi-step decay (PyTorch MultiStepLR): lr(e) = lr · gamma^(number of milestones ≤ e).

    A milestone listed twice counts twice, as in PyTorch.
    """
    lr = _param(check_positive("lr", lr))
    if isinstance(milestones, (str, bytes)) or not np.iterable(milestones):
        raise TypeError(f"milestones must be a list of integers, got {milestones!r}")
    milestones = sorted(check_int("milestones", m, minimum=0) for m in milestones)
    gamma = _param(check_positive("gamma", gamma))
    sorted_milestones = np.array(milestones, dtype=np.int64)
    return Schedule(
        "multistep",
        lambda e: lr * gamma ** np.searchsorted(sorted_milestones, e, side="right"),
        {"lr": lr, "milestones": milestones, "gamma": gamma},
    )


def exponential(lr, gamma):
    """Exponential decay (PyTorch ExponentialLR): lr(e) = lr · gamma^e."""
    lr = _param(check_positive("lr", lr))
    gamma = _param(check_positive("gamma", gamma))
    return Schedule("exponential", lambda e: lr * gamma**e, {"lr": lr, "gamma": gamma})


def time_decay(lr, decay):
    """Time-based decay (legacy Keras ``decay``): lr(e) = lr / (1 + decay · e).

    ``e`` counts updates already applied, so the first update uses ``lr`` (Keras'
    ``iterations`` is 0 then). Keras 3's ``InverseTimeDecay(lr, 1, decay)`` is the same.
    """
    lr = _param(check_positive("lr", lr))
    decay = _param(check_nonnegative("decay", decay))
    return Schedule("time_decay", lambda e: lr / (1 + decay * e), {"lr": lr, "decay": decay})


def inverse_scaling(lr, power_t=0.5, samples_per_step=1):
    """Inverse scaling (scikit-learn ``invscaling``): lr(e) = lr / (e · samples_per_step + 1)^power_t.

    scikit-learn counts samples, not updates, and refreshes the lr once per epoch: stepping
    this schedule once per epoch with ``samples_per_step=n_samples`` reproduces it (epoch 0
    uses ``lr``, epoch 1 uses ``lr / (n_samples + 1)^power_t``).
    """
    lr = _param(check_positive("lr", lr))
    power_t = _param(check_nonnegative("power_t", power_t))
    samples_per_step = check_int("samples_per_step", samples_per_step, minimum=1)
    return Schedule(
        "inverse_scaling",
        lambda e: lr / (e * samples_per_step + 1) ** power_t,
        {"lr": lr, "power_t": power_t, "samples_per_step": samples_per_step},
    )


def linear(lr, start_factor=1 / 3, end_factor=1.0, total_iters=5):
    """Linear ramp (PyTorch LinearLR): lr(e) = lr · (s + (f − s) · min(e, T) / T).

    s = start_factor in (0, 1], f = end_factor in [0, 1], T = total_iters; constant from T on.
    """
    lr = _param(check_positive("lr", lr))
    start_factor = _param(check_in_range("start_factor", start_factor, 0, 1,
                                         low_inclusive=False, high_inclusive=True))
    end_factor = _param(check_in_range("end_factor", end_factor, 0, 1, high_inclusive=True))
    total_iters = check_int("total_iters", total_iters, minimum=1)

    def value(e):
        progress = np.minimum(e, total_iters) / total_iters
        return lr * (start_factor + (end_factor - start_factor) * progress)

    return Schedule("linear", value, {"lr": lr, "start_factor": start_factor,
                                      "end_factor": end_factor, "total_iters": total_iters})


def polynomial(lr, total_iters=5, power=1.0):
    """Polynomial decay (PyTorch PolynomialLR): lr(e) = lr · (1 − min(e, T) / T)^power.

    T = total_iters; the lr is 0 from step T on.
    """
    lr = _param(check_positive("lr", lr))
    total_iters = check_int("total_iters", total_iters, minimum=1)
    power = _param(check_positive("power", power))
    return Schedule(
        "polynomial",
        lambda e: lr * (1.0 - np.minimum(e, total_iters) / total_iters) ** power,
        {"lr": lr, "total_iters": total_iters, "power": power},
    )


def lambda_lr(lr, fn):
    """Multiplicative rule (PyTorch LambdaLR): lr(e) = lr · fn(e).

    ``fn`` is called once on the whole step array if it accepts arrays, else once per step.
    """
    lr = _param(check_positive("lr", lr))
    fn = _check_callable("fn", fn)
    return Schedule("lambda_lr", lambda e: lr * _evaluate(fn, e, "fn"), {"lr": lr, "fn": fn})


def function(fn):
    """Any user function of the step: lr(e) = fn(e).

    ``fn`` is called once on the whole step array if it accepts arrays and returns their
    shape; otherwise once per step with a Python int (so ``lambda e: 0.1 if e < 10 else
    0.01`` works too, only slower).
    """
    fn = _check_callable("fn", fn)
    return Schedule("function", lambda e: _evaluate(fn, e, "fn"), {"fn": fn})


# --------------------------------------------------------------------------------------------
# Cosine annealing and warm restarts


def _cosine(lr, eta_min, position):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * position)) / 2


def cosine(lr, T_max, eta_min=0.0, clamp=False):
    """Cosine annealing (PyTorch CosineAnnealingLR): lr(e) = η_min + (lr − η_min)(1 + cos(πe/T))/2.

    T = T_max. PyTorch does not clamp after T_max: the lr climbs back to ``lr`` at 2·T_max and
    keeps oscillating with period 2·T_max. gdsim matches PyTorch number for number by default;
    ``clamp=True`` holds ``eta_min`` from step T_max on, which is usually what is meant.
    """
    lr = _param(check_positive("lr", lr))
    T_max = check_int("T_max", T_max, minimum=1)
    eta_min = _param(check_nonnegative("eta_min", eta_min))
    if not isinstance(clamp, (bool, np.bool_)):
        raise TypeError(f"clamp must be True or False, got {clamp!r}")
    clamp = bool(clamp)

    def value(e):
        if clamp:
            e = np.minimum(e, T_max)
        return _cosine(lr, eta_min, e / T_max)

    return Schedule("cosine", value, {"lr": lr, "T_max": T_max, "eta_min": eta_min, "clamp": clamp})


def _restart_position(e, T_0, T_mult):
    """(steps since the last restart, length of the current period) for SGDR."""
    if T_mult == 1:
        return e % T_0, np.full(e.shape, T_0, dtype=np.int64)
    # Restart n begins at T_0 (T_mult^n − 1) / (T_mult − 1). The log gives n up to rounding,
    # and rounding exactly at a restart would shift a whole period, so fix n with integers.
    n = np.floor(np.log1p(e * (T_mult - 1) / T_0) / np.log(T_mult)).astype(np.int64)

    def start(k):
        return T_0 * (T_mult**k - 1) // (T_mult - 1)

    n = n - (e < start(n)) + (e >= start(n + 1))
    return e - start(n), T_0 * T_mult**n


def sgdr(lr, T_0, T_mult=1, eta_min=0.0):
    """Cosine with warm restarts (PyTorch CosineAnnealingWarmRestarts, SGDR):
    lr(e) = η_min + (lr − η_min)(1 + cos(π T_cur / T_i)) / 2.

    T_cur = steps since the last restart; the first period lasts T_0 steps and each next one
    T_mult times longer (T_mult an int >= 1). η_min itself is never reached.
    """
    lr = _param(check_positive("lr", lr))
    T_0 = check_int("T_0", T_0, minimum=1)
    T_mult = check_int("T_mult", T_mult, minimum=1)
    eta_min = _param(check_nonnegative("eta_min", eta_min))

    def value(e):
        T_cur, T_i = _restart_position(e, T_0, T_mult)
        return _cosine(lr, eta_min, T_cur / T_i)

    return Schedule("sgdr", value, {"lr": lr, "T_0": T_0, "T_mult": T_mult, "eta_min": eta_min})


# --------------------------------------------------------------------------------------------
# Cyclical schedules (Leslie Smith): CLR and one-cycle, each with a momentum that mirrors the lr


def cyclic(base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
           gamma=1.0, scale_fn=None, scale_mode="cycle", base_momentum=0.8, max_momentum=0.9):
    """Cyclical learning rate (PyTorch CyclicLR; bckenstler's CLR when up = down).

    With N = up + down, r = up / N, cycle = ⌊1 + e/N⌋, x = 1 + e/N − cycle:
        s = x / r if x ≤ r else (x − 1)/(r − 1)          (0 → 1 → 0 over one cycle)
        lr(e) = base_lr + (max_lr − base_lr) · s · f
        momentum(e) = max_momentum − (max_momentum − base_momentum) · s · f
    f = 1 ("triangular"), 1/2^(cycle−1) ("triangular2"), gamma^e ("exp_range"), or
    ``scale_fn(cycle)`` / ``scale_fn(e)`` by ``scale_mode`` when ``scale_fn`` is given (then
    ``mode`` is ignored). ``.momentum`` is the momentum schedule; PyTorch writes it into the
    optimizer by default (``cycle_momentum=True``), gdsim lets you choose whether to use it.
    """
    base_lr = _param(check_nonnegative("base_lr", base_lr))
    max_lr = _param(check_positive("max_lr", max_lr))
    up = check_int("step_size_up", step_size_up, minimum=1)
    down = up if step_size_down is None else check_int("step_size_down", step_size_down, minimum=1)
    check_choice("mode", mode, ["triangular", "triangular2", "exp_range"])
    gamma = _param(check_positive("gamma", gamma))
    if scale_fn is not None:
        _check_callable("scale_fn", scale_fn)
        check_choice("scale_mode", scale_mode, ["cycle", "iterations"])
    else:
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    base_momentum = _check_momentum("base_momentum", base_momentum)
    max_momentum = _check_momentum("max_momentum", max_momentum)

    total = float(up + down)
    ratio = up / total

    def height_and_scale(e):
        # Same operation order as torch's get_lr, so the numbers agree to the last bits.
        cycle = np.floor(1 + e / total)
        x = 1.0 + e / total - cycle
        height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        if scale_fn is not None:
            argument = cycle.astype(np.int64) if scale_mode == "cycle" else e
            return height, _evaluate(scale_fn, argument, "scale_fn")
        if mode == "triangular2":
            return height, 1 / (2.0 ** (cycle - 1))
        if mode == "exp_range":
            return height, gamma**e
        return height, 1.0

    def lr_value(e):
        height, scale = height_and_scale(e)
        return base_lr + (max_lr - base_lr) * height * scale

    def momentum_value(e):
        height, scale = height_and_scale(e)
        return max_momentum - (max_momentum - base_momentum) * height * scale

    params = {"base_lr": base_lr, "max_lr": max_lr, "step_size_up": up, "step_size_down": down,
              "mode": mode, "gamma": gamma}
    if scale_fn is not None:
        params.update(scale_fn=scale_fn, scale_mode=scale_mode)
    momentum_params = {"base_momentum": base_momentum, "max_momentum": max_momentum, **params}
    params.update(base_momentum=base_momentum, max_momentum=max_momentum)
    momentum = Schedule("cyclic.momentum", momentum_value, momentum_params)
    return Schedule("cyclic", lr_value, params, momentum=momentum)


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start


def _fastai_cos(start, end, pct):
    return start + (1 + np.cos(np.pi * (1 - pct))) * (end - start) / 2


def one_cycle(max_lr, total_steps, pct_start=None, anneal_strategy="cos", div_factor=25.0,
              final_div_factor=None, three_phase=False, base_momentum=0.85, max_momentum=0.95,
              convention="pytorch"):
    """One-cycle policy (PyTorch OneCycleLR, or fastai's fit_one_cycle).

    With initial = max_lr / div_factor, the lr anneals initial → max_lr → final while the
    momentum goes max_momentum → base_momentum → max_momentum.
    anneal(a, b, p) = b + (a − b)(1 + cos πp)/2 ("cos") or a + (b − a)p ("linear").

    convention="pytorch" (pct_start 0.3, final = initial / final_div_factor, 1e4): N = total_steps,
    phase 1 ends at step pct_start·N − 1 and phase 2 at N − 1 (PyTorch's −1 offsets); with
    ``three_phase`` the lr goes initial → max → initial → final, phases ending at pct·N − 1,
    2·pct·N − 2 and N − 1, the momentum staying at max_momentum in phase 3.

    convention="fastai" (pct_start 0.25, final = max_lr / final_div_factor, 1e5): pos = e / N;
    phase 1 for pos < pct_start with p = pos / pct_start, then p = (pos − pct)/(1 − pct).
    Defaults that differ between the conventions switch unless given explicitly.

    Steps from N on hold the value at N − 1 (PyTorch extrapolates one step, then raises).
    ``.momentum`` is the momentum (or Adam β1) schedule.
    """
    check_choice("convention", convention, ["pytorch", "fastai"])
    fastai = convention == "fastai"
    if pct_start is None:
        pct_start = 0.25 if fastai else 0.3
    if final_div_factor is None:
        final_div_factor = 1e5 if fastai else 1e4
    max_lr = _param(check_positive("max_lr", max_lr))
    total_steps = check_int("total_steps", total_steps, minimum=2)
    check_in_range("pct_start", pct_start, 0, 1, low_inclusive=False)
    pct_start = float(pct_start)
    check_choice("anneal_strategy", anneal_strategy, ["cos", "linear"])
    div_factor = _param(check_positive("div_factor", div_factor))
    final_div_factor = _param(check_positive("final_div_factor", final_div_factor))
    if not isinstance(three_phase, (bool, np.bool_)):
        raise TypeError(f"three_phase must be True or False, got {three_phase!r}")
    three_phase = bool(three_phase)
    if three_phase and fastai:
        raise ValueError("three_phase=True exists only with convention='pytorch'")
    base_momentum = _check_momentum("base_momentum", base_momentum)
    max_momentum = _check_momentum("max_momentum", max_momentum)

    initial = max_lr / div_factor
    # PyTorch divides the initial lr by final_div_factor, fastai divides max_lr by div_final.
    final = (max_lr if fastai else initial) / final_div_factor
    N = total_steps
    if fastai:
        # Phase boundaries in units of pos = e / N; fastai anneals with its own cosine form.
        anneal = _fastai_cos if anneal_strategy == "cos" else _anneal_linear
        ends = [pct_start, 1.0]
        unit = N
    else:
        anneal = _anneal_cos if anneal_strategy == "cos" else _anneal_linear
        ends = [float(pct_start * N) - 1, float(N - 1)]
        if three_phase:
            ends.insert(1, float(2 * pct_start * N) - 2)
        unit = 1.0
        if not all(b > a for a, b in zip([0.0] + ends, ends)):
            limit = "(total_steps + 1) / 2" if three_phase else "total_steps"
            raise ValueError(
                f"pct_start={pct_start} with total_steps={N} leaves a phase without steps; "
                f"pct_start * total_steps must be > 1 and < {limit}")
    lrs = [initial, max_lr, initial, final] if three_phase else [initial, max_lr, final]
    moms = ([max_momentum, base_momentum, max_momentum, max_momentum] if three_phase
            else [max_momentum, base_momentum, max_momentum])

    # At a phase boundary PyTorch stays in the earlier phase (e <= end), fastai moves on
    # (pos >= pct); both give the same value there, but each is reproduced as written.
    later = np.greater_equal if fastai else np.greater

    def piecewise(values):
        def value(e):
            position = np.minimum(e, N - 1) / unit
            out, start = None, 0.0
            for a, b, end in zip(values[:-1], values[1:], ends):
                phase = anneal(a, b, (position - start) / (end - start))
                out = phase if out is None else np.where(later(position, start), phase, out)
                start = end
            return out
        return value

    params = {"max_lr": max_lr, "total_steps": N, "pct_start": pct_start,
              "anneal_strategy": anneal_strategy, "div_factor": div_factor,
              "final_div_factor": final_div_factor, "three_phase": three_phase,
              "base_momentum": base_momentum, "max_momentum": max_momentum,
              "convention": convention}
    momentum = Schedule("one_cycle.momentum", piecewise(moms), params)
    return Schedule("one_cycle", piecewise(lrs), params, momentum=momentum)


# --------------------------------------------------------------------------------------------
# Composition


def warmup(schedule, warmup_steps, start_factor=0.0):
    """Linear warm-up in front of any schedule (PyTorch SequentialLR of LinearLR and it):

        lr(e) = schedule(0) · (s + (1 − s) · e / W)     for e < W
        lr(e) = schedule(e − W)                          for e ≥ W

    W = warmup_steps, s = start_factor in [0, 1]. The wrapped schedule starts at its own step 0.
    """
    schedule = _check_schedule("schedule", schedule)
    W = check_int("warmup_steps", warmup_steps, minimum=0)
    start_factor = _param(check_in_range("start_factor", start_factor, 0, 1, high_inclusive=True))

    def value(e):
        after = schedule._value(np.maximum(e - W, 0))
        if W == 0:
            return after
        ramp = schedule._value(np.zeros_like(e)) * (start_factor + (1 - start_factor) * e / W)
        return np.where(e < W, ramp, after)

    return Schedule("warmup", value,
                    {"schedule": schedule, "warmup_steps": W, "start_factor": start_factor})


def join(schedules, milestones):
    """One schedule after another (PyTorch SequentialLR).

    Schedule k runs from milestone k−1 (0 for the first) and restarts at its OWN step 0 there:
    lr(e) = schedules[k](e − milestones[k−1]). It does not continue from where the previous
    one stopped. ``milestones`` are strictly increasing ints >= 1, one fewer than schedules.
    """
    if isinstance(schedules, Schedule) or not np.iterable(schedules):
        raise TypeError(f"schedules must be a list of Schedules, got {schedules!r}")
    schedules = [_check_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
    if not schedules:
        raise ValueError("schedules must hold at least one Schedule, got []")
    if isinstance(milestones, (str, bytes)) or not np.iterable(milestones):
        raise TypeError(f"milestones must be a list of integers, got {milestones!r}")
    milestones = [check_int("milestones", m, minimum=1) for m in milestones]
    if len(milestones) != len(schedules) - 1:
        raise ValueError(f"milestones must hold len(schedules) - 1 = {len(schedules) - 1} "
                         f"entries, got {len(milestones)}")
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {milestones}")

    def value(e):
        out = schedules[0]._value(e)
        for start, schedule in zip(milestones, schedules[1:]):
            out = np.where(e >= start, schedule._value(np.maximum(e - start, 0)), out)
        return out

    return Schedule("join", value, {"schedules": schedules, "milestones": milestones})


# --------------------------------------------------------------------------------------------
# Registry


_REGISTRY = {
    "constant": constant,
    "step": step,
    "multistep": multistep,
    "exponential": exponential,
    "time_decay": time_decay,
    "inverse_scaling": inverse_scaling,
    "cosine": cosine,
    "sgdr": sgdr,
    "cyclic": cyclic,
    "one_cycle": one_cycle,
    "linear": linear,
    "polynomial": polynomial,
    "warmup": warmup,
    "join": join,
    "lambda_lr": lambda_lr,
    "function": function,
}


def names():
    """The names ``get`` accepts."""
    return list(_REGISTRY)


def describe():
    """``{name: one-line description}`` for every schedule."""
    return {name: factory.__doc__.strip().splitlines()[0] for name, factory in _REGISTRY.items()}


def get(name, **params):
    """The schedule called ``name``, built with ``params``: ``get("cosine", lr=0.1, T_max=100)``."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise unknown_name_error("schedule", name, _REGISTRY)
    return _REGISTRY[name](**params)

