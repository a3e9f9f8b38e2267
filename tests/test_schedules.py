"""Tests for gdsim.schedules: value tables from REFERENCE.md, hand-computed closed forms,
PyTorch as an oracle (recorded in tests/reference/, checked against live torch where installed),
vectorization, broadcasting and argument checks."""

import math
import re
import warnings

import numpy as np
import pytest
from torch_oracle import recorded_keys, torch_reference

from gdsim import schedules as S

RTOL = 1e-12


def close(actual, expected, rtol=RTOL):
    """Relative agreement (1e-12); 1e-16 absolute only so that exact zeros can compare."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-16)


def agrees_to_quoted_digits(value, quoted):
    """``value`` printed with as many significant digits as the string ``quoted`` is ``quoted``."""
    digits = len(re.sub(r"[^0-9]", "", quoted.lower().split("e")[0]).lstrip("0"))
    return float(f"{value:.{digits}g}") == float(quoted)


# --------------------------------------------------------------------------------------------
# Registry of every schedule: a representative instance, and an independent scalar reference
# written with `math`, one Python step at a time (torch-style recursions where torch has one).


def sgdr_reference(lr, T_0, T_mult, eta_min):
    def value(e):
        T_cur, T_i = 0, T_0
        for _ in range(e):  # PyTorch's CosineAnnealingWarmRestarts.step(), in integers
            T_cur += 1
            if T_cur >= T_i:
                T_cur -= T_i
                T_i *= T_mult
        return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2

    return value


def clr_reference(base, top, half, mode):
    """bckenstler/CLR clr_callback.py (up = down = half)."""

    def value(it):
        cycle = math.floor(1 + it / (2 * half))
        x = abs(it / half - 2 * cycle + 1)
        scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1)}[mode]
        return base + (top - base) * max(0.0, 1 - x) * scale

    return value


def one_cycle_reference(top, N, pct, div, final_div):
    """PyTorch two-phase OneCycleLR, cos, written out; gdsim holds the last value after N − 1."""
    initial = top / div
    final = initial / final_div
    end1 = pct * N - 1

    def value(e):
        e = min(e, N - 1)
        if e <= end1:
            a, b, p = initial, top, e / end1
        else:
            a, b, p = top, final, (e - end1) / (N - 1 - end1)
        return b + (a - b) * (1 + math.cos(math.pi * p)) / 2

    return value


def wsd_reference(lr, W, S, D, warmup_type, decay_type, m, cycles):
    """transformers' _get_wsd_scheduler_lambda (src/transformers/optimization.py), in math."""

    def value(e):
        if e < W:
            p = e / max(1, W)
            f = {
                "linear": p,
                "cosine": 0.5 * (1 - math.cos(math.pi * p)),
                "1-sqrt": 1 - math.sqrt(1 - p),
            }[warmup_type]
            return lr * max(0.0, f * (1 - m) + m)
        if e < W + S:
            return lr
        if e < W + S + D:
            p = (e - W - S) / max(1, D)
            f = {
                "linear": 1 - p,
                "cosine": 0.5 * (1 + math.cos(math.pi * cycles * 2 * p)),
                "1-sqrt": 1 - math.sqrt(p),
            }[decay_type]
            return lr * max(0.0, f * (1 - m) + m)
        return lr * m

    return value


def inverse_sqrt_reference(lr, W, timescale):
    """transformers' _get_inverse_sqrt_schedule_lr_lambda, times the peak lr."""

    def value(e):
        if e < W:
            return lr * e / max(1, W)
        return lr / math.sqrt((e + timescale - W) / timescale)

    return value


def noam_reference(d_model, factor, warmup):
    """The Annotated Transformer's rate(step, model_size, factor, warmup), step 0 read as 1."""

    def value(step):
        step = max(step, 1)
        return factor * (d_model**-0.5 * min(step**-0.5, step * warmup**-1.5))

    return value


def vectorizable(e):
    return 0.5 ** (e // 7) * (1 + 0.1 * np.sin(e))


def scalar_only(e):
    return 0.1 if e < 10 else 0.01 * math.exp(-0.1 * (e - 10))


CASES = {
    "constant": (lambda: S.constant(0.3), lambda e: 0.3),
    "step": (lambda: S.step(0.1, 7, 0.5), lambda e: 0.1 * 0.5 ** (e // 7)),
    "multistep": (
        lambda: S.multistep(0.1, [30, 10, 30], 0.3),
        lambda e: 0.1 * 0.3 ** sum(m <= e for m in (10, 30, 30)),
    ),
    "exponential": (lambda: S.exponential(0.1, 0.95), lambda e: 0.1 * 0.95**e),
    "time_decay": (lambda: S.time_decay(0.01, 0.1), lambda e: 0.01 / (1 + 0.1 * e)),
    "inverse_scaling": (
        lambda: S.inverse_scaling(0.1, 0.25, samples_per_step=3),
        lambda e: 0.1 / (3 * e + 1) ** 0.25,
    ),
    "cosine": (
        lambda: S.cosine(0.1, 20, eta_min=0.01),
        lambda e: 0.01 + 0.09 * (1 + math.cos(math.pi * e / 20)) / 2,
    ),
    "sgdr": (lambda: S.sgdr(0.1, 3, T_mult=2, eta_min=0.001), sgdr_reference(0.1, 3, 2, 0.001)),
    "cyclic": (
        lambda: S.cyclic(0.01, 0.1, 6, mode="triangular2"),
        clr_reference(0.01, 0.1, 6, "triangular2"),
    ),
    "one_cycle": (
        lambda: S.one_cycle(0.1, 60, pct_start=0.25),
        one_cycle_reference(0.1, 60, 0.25, 25.0, 1e4),
    ),
    "linear": (
        lambda: S.linear(0.1, 0.25, 0.75, 20),
        lambda e: 0.1 * (0.25 + 0.5 * min(e, 20) / 20),
    ),
    "polynomial": (
        lambda: S.polynomial(0.1, 30, 1.5),
        lambda e: 0.1 * (1 - min(e, 30) / 30) ** 1.5,
    ),
    "wsd": (
        lambda: S.wsd(0.1, 8, 20, 30, "cosine", "1-sqrt", min_lr_ratio=0.05),
        wsd_reference(0.1, 8, 20, 30, "cosine", "1-sqrt", 0.05, 0.5),
    ),
    "inverse_sqrt": (
        lambda: S.inverse_sqrt(0.1, 10, timescale=25),
        inverse_sqrt_reference(0.1, 10, 25),
    ),
    "noam": (lambda: S.noam(64, 12, factor=2.0), noam_reference(64, 2.0, 12)),
    "warmup": (
        lambda: S.warmup(S.exponential(0.1, 0.9), 8, start_factor=0.2),
        lambda e: 0.1 * (0.2 + 0.8 * e / 8) if e < 8 else 0.1 * 0.9 ** (e - 8),
    ),
    "join": (
        lambda: S.join([S.constant(0.1), S.cosine(0.05, 10), S.step(0.02, 4)], [5, 25]),
        lambda e: (
            0.1
            if e < 5
            else (
                0.05 * (1 + math.cos(math.pi * (e - 5) / 10)) / 2
                if e < 25
                else 0.02 * 0.1 ** ((e - 25) // 4)
            )
        ),
    ),
    "lambda_lr": (
        lambda: S.lambda_lr(0.2, vectorizable),
        lambda e: 0.2 * 0.5 ** (e // 7) * (1 + 0.1 * math.sin(e)),
    ),
    "function": (lambda: S.function(scalar_only), scalar_only),
}

# One float parameter per schedule to sweep, with the values to sweep over.
SWEEPS = {
    "constant": ("lr", [0.1, 0.2, 0.3]),
    "step": ("gamma", [0.5, 0.2]),
    "multistep": ("lr", [0.1, 1.0]),
    "exponential": ("gamma", [0.9, 0.99, 0.5]),
    "time_decay": ("decay", [1e-1, 1e-2]),
    "inverse_scaling": ("power_t", [0.25, 0.5]),
    "cosine": ("eta_min", [0.0, 0.01]),
    "sgdr": ("lr", [0.1, 0.05]),
    "cyclic": ("max_lr", [0.1, 0.2]),
    "one_cycle": ("max_lr", [0.1, 0.01]),
    "linear": ("start_factor", [0.1, 0.5]),
    "polynomial": ("power", [1.0, 2.0]),
    "wsd": ("min_lr_ratio", [0.0, 0.1]),
    "inverse_sqrt": ("lr", [0.1, 0.3]),
    "noam": ("factor", [1.0, 2.0]),
    "warmup": ("start_factor", [0.0, 0.5]),
    "join": None,
    "lambda_lr": ("lr", [0.1, 0.3]),
    "function": None,
}

STEPS = np.arange(80)


def test_registry_and_cases_cover_every_schedule():
    assert set(CASES) == set(S.names()) == set(SWEEPS)
    assert set(S.describe()) == set(S.names())
    for name, text in S.describe().items():
        assert "\n" not in text and len(text) > 10, name


@pytest.mark.parametrize("name", CASES)
def test_matches_independent_scalar_reference(name):
    make, reference = CASES[name]
    close(make()(STEPS), [reference(int(e)) for e in STEPS])


@pytest.mark.parametrize("name", CASES)
def test_vectorized_call_equals_elementwise_calls(name):
    schedule = CASES[name][0]()
    whole = schedule(STEPS)
    one_at_a_time = [schedule(int(e)) for e in STEPS]
    np.testing.assert_allclose(whole, one_at_a_time, rtol=1e-15, atol=0)
    # any order, any repetition: no hidden counter
    shuffled = np.array([41, 3, 3, 79, 0, 12])
    np.testing.assert_array_equal(schedule(shuffled), whole[shuffled])
    np.testing.assert_array_equal(schedule(STEPS), whole)


@pytest.mark.parametrize("name", CASES)
def test_shapes_scalar_vector_matrix(name):
    schedule = CASES[name][0]()
    for scalar in (5, np.int64(5), np.int32(5), np.uint8(5)):
        value = schedule(scalar)
        assert isinstance(value, float)
        assert value == schedule(np.array([5]))[0]
    assert schedule(np.arange(7)).shape == (7,)
    grid = np.arange(12).reshape(3, 4)
    out = schedule(grid)
    assert out.shape == (3, 4) and out.dtype == np.float64
    np.testing.assert_array_equal(out, schedule(grid.ravel()).reshape(3, 4))
    assert schedule(np.arange(0)).shape == (0,)


@pytest.mark.parametrize("name", [n for n, sweep in SWEEPS.items() if sweep])
def test_array_parameter_broadcasts_like_separate_schedules(name):
    param, values = SWEEPS[name]
    build = {
        "constant": lambda **k: S.constant(**{"lr": 0.3, **k}),
        "step": lambda **k: S.step(0.1, 7, **k),
        "multistep": lambda **k: S.multistep(milestones=[10, 30], **{"lr": 0.1, **k}),
        "exponential": lambda **k: S.exponential(0.1, **k),
        "time_decay": lambda **k: S.time_decay(0.01, **k),
        "inverse_scaling": lambda **k: S.inverse_scaling(0.1, **k),
        "cosine": lambda **k: S.cosine(0.1, 20, **k),
        "sgdr": lambda **k: S.sgdr(T_0=3, T_mult=2, **k),
        "cyclic": lambda **k: S.cyclic(0.01, step_size_up=6, **k),
        "one_cycle": lambda **k: S.one_cycle(total_steps=60, **k),
        "linear": lambda **k: S.linear(0.1, **k),
        "polynomial": lambda **k: S.polynomial(0.1, 30, **k),
        "wsd": lambda **k: S.wsd(0.1, 8, 20, 30, **k),
        "inverse_sqrt": lambda **k: S.inverse_sqrt(warmup_steps=10, **k),
        "noam": lambda **k: S.noam(64, 12, **k),
        "warmup": lambda **k: S.warmup(S.exponential(0.1, 0.9), 8, **k),
        "lambda_lr": lambda **k: S.lambda_lr(fn=vectorizable, **k),
    }[name]
    swept = build(**{param: np.array(values)[:, None]})(STEPS)
    assert swept.shape == (len(values), len(STEPS))
    for row, v in zip(swept, values):
        np.testing.assert_allclose(row, build(**{param: v})(STEPS), rtol=1e-15, atol=0)
    # the engine's layout: steps on the leading axis, the parameter on the batch axes
    engine = build(**{param: np.array(values)})(STEPS.reshape(-1, 1))
    np.testing.assert_allclose(engine, swept.T, rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    "factory",
    [
        lambda m: S.cyclic(0.01, 0.1, 6, base_momentum=m),
        lambda m: S.one_cycle(0.1, 60, base_momentum=m),
    ],
)
def test_momentum_parameter_broadcasts(factory):
    values = [0.7, 0.8, 0.85]
    swept = factory(np.array(values)[:, None]).momentum(STEPS)
    assert swept.shape == (3, len(STEPS))
    for row, v in zip(swept, values):
        np.testing.assert_allclose(row, factory(v).momentum(STEPS), rtol=1e-15, atol=0)


def test_time_decay_sweep_example_from_the_issue():
    out = S.time_decay(0.01, decay=np.array([1e-1, 1e-2])[:, None])(np.arange(5))
    assert out.shape == (2, 5)
    close(out[0], [0.01 / (1 + 0.1 * e) for e in range(5)])
    close(out[1], [0.01 / (1 + 0.01 * e) for e in range(5)])


def test_engine_layout_with_batch_shaped_parameters():
    lr = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    out = S.cosine(lr, 10)(np.arange(5).reshape(-1, 1, 1))
    assert out.shape == (5, 2, 3)
    close(out[3], lr * (1 + math.cos(math.pi * 0.3)) / 2)
    # a scalar step with array parameters gives the parameters' shape, not a float
    assert S.cosine(lr, 10)(3).shape == (2, 3)


def test_parameters_are_copied_and_read_only():
    lr = np.array([0.1, 0.2])
    schedule = S.constant(lr)
    lr[0] = 5.0
    np.testing.assert_array_equal(schedule(0), [0.1, 0.2])
    with pytest.raises(ValueError):
        schedule.params["lr"][0] = 1.0


# --------------------------------------------------------------------------------------------
# Value tables quoted in REFERENCE.md


def test_clr_triangular2_example():  # REFERENCE §6
    clr = S.cyclic(0.001, 0.006, 2000, mode="triangular2")
    close(
        clr(np.array([0, 1000, 2000, 4000, 6000, 8000])),
        [0.001, 0.0035, 0.006, 0.001, 0.0035, 0.001],
    )


def test_clr_equals_bckenstler_over_a_long_run():
    # REFERENCE §6: torch == bckenstler when up = down
    it = np.arange(20000)
    for mode in ("triangular", "triangular2"):
        reference = clr_reference(0.001, 0.006, 2000, mode)
        close(
            S.cyclic(0.001, 0.006, 2000, mode=mode)(it[::7]), [reference(int(i)) for i in it[::7]]
        )


def test_one_cycle_torch_values():  # REFERENCE §8
    values = S.one_cycle(1e-2, 40)(np.array([0, 5, 11, 12, 20, 39]))
    close(values[[0, 2, 5]], [4e-4, 1e-2, 4e-8])
    for value, quoted in zip(values[[1, 3, 4]], ["4.5169e-3", "9.9686e-3", "7.6602e-3"]):
        assert agrees_to_quoted_digits(value, quoted), (value, quoted)
    assert np.argmax(S.one_cycle(1e-2, 40)(np.arange(40))) == 11  # peak at pct·N − 1


def test_one_cycle_fastai_values():  # REFERENCE §8
    values = S.one_cycle(1e-2, 40, convention="fastai")(np.array([0, 5, 10, 20, 39]))
    close(values[:3], [4e-4, 5.2e-3, 1e-2])
    assert agrees_to_quoted_digits(values[3], "7.5e-3")
    assert agrees_to_quoted_digits(values[4], "2.749e-5")
    assert np.argmax(S.one_cycle(1e-2, 40, convention="fastai")(np.arange(40))) == 10


def test_one_cycle_fastai_momentum_and_defaults():
    fastai = S.one_cycle(1e-2, 40, convention="fastai")
    assert fastai.params["pct_start"] == 0.25 and fastai.params["final_div_factor"] == 1e5
    assert fastai.params["div_factor"] == 25.0
    close(fastai.momentum(np.array([0, 5, 10])), [0.95, 0.90, 0.85])
    pytorch = S.one_cycle(1e-2, 40)
    assert pytorch.params["pct_start"] == 0.3 and pytorch.params["final_div_factor"] == 1e4
    # explicit values are kept under either convention
    explicit = S.one_cycle(1e-2, 40, pct_start=0.3, final_div_factor=1e4, convention="fastai")
    assert explicit.params["pct_start"] == 0.3 and explicit.params["final_div_factor"] == 1e4
    assert np.argmax(explicit(np.arange(40))) == 12
    close(explicit(39), 1e-2 + (1e-6 - 1e-2) * (1 + math.cos(math.pi * (1 - 27 / 28))) / 2)


def test_sequential_lr_example():  # REFERENCE §3
    joined = S.join([S.linear(0.1, start_factor=0.1, total_iters=5), S.exponential(0.1, 0.9)], [5])
    close(joined(np.arange(8)), [0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.09, 0.081])


def test_mlm_time_decay_numbers():  # REFERENCE §7
    assert agrees_to_quoted_digits(S.time_decay(0.01, 0.1)(3199), "3.116e-5")
    assert agrees_to_quoted_digits(S.time_decay(0.01, 1e-4)(3199), "7.576e-3")
    assert S.time_decay(0.01, 0.1)(0) == 0.01  # iteration 0 on the first update


def test_sklearn_invscaling_after_first_epoch():  # REFERENCE §4
    schedule = S.inverse_scaling(0.1, 0.5, samples_per_step=500)
    assert schedule(0) == 0.1
    close(schedule(1), 0.1 / math.sqrt(501))
    close(schedule(4), 0.1 / math.sqrt(2001))


# --------------------------------------------------------------------------------------------
# Hand-computed values, including past the end of every finite schedule

HAND = [
    (S.constant(0.1), 7, 0.1),
    (S.step(0.1, 3), 2, 0.1),
    (S.step(0.1, 3), 5, 0.1 * 0.1),
    (S.step(0.1, 3), 6, 0.1 * 0.01),
    (S.multistep(1.0, [2, 5, 5], 0.5), 1, 1.0),
    (S.multistep(1.0, [2, 5, 5], 0.5), 4, 0.5),
    (S.multistep(1.0, [2, 5, 5], 0.5), 5, 0.125),  # a repeated milestone counts twice
    (S.exponential(2.0, 0.5), 3, 0.25),
    (S.time_decay(0.01, 0.1), 10, 0.005),
    (S.inverse_scaling(1.0), 3, 0.5),
    (S.inverse_scaling(1.0, 1.0, samples_per_step=4), 2, 1 / 9),
    (S.cosine(1.0, 10), 5, 0.5),
    (S.cosine(1.0, 10), 10, 0.0),
    (S.cosine(1.0, 10), 15, 0.5),  # past T_max PyTorch rises again...
    (S.cosine(1.0, 10), 20, 1.0),  # ...back to lr at 2·T_max
    (S.cosine(1.0, 10, clamp=True), 15, 0.0),
    (S.cosine(1.0, 10, eta_min=0.1, clamp=True), 30, 0.1),
    (S.cosine(1.0, 10, eta_min=0.2), 5, 0.6),
    (S.sgdr(1.0, 4), 2, 0.5),
    (S.sgdr(1.0, 4), 4, 1.0),  # restart
    (S.sgdr(1.0, 4), 7, (1 + math.cos(0.75 * math.pi)) / 2),
    (S.sgdr(1.0, 2, T_mult=2), 2, 1.0),  # restart, next period 4
    (S.sgdr(1.0, 2, T_mult=2), 4, 0.5),
    (S.sgdr(1.0, 2, T_mult=2), 6, 1.0),  # restart, next period 8
    (S.sgdr(1.0, 2, T_mult=2), 10, 0.5),
    (S.sgdr(1.0, 2, T_mult=2), 14, 1.0),
    (S.sgdr(1.0, 1, T_mult=3), 13, 1.0),  # restarts at 1, 4, 13, 40
    (S.sgdr(1.0, 1, T_mult=3), 39, (1 + math.cos(math.pi * 26 / 27)) / 2),
    # restarts where log_{T_mult} rounds the wrong way in floating point
    (S.sgdr(1.0, 1, T_mult=3), 121, 1.0),
    (S.sgdr(1.0, 1, T_mult=3), 120, (1 + math.cos(math.pi * 80 / 81)) / 2),
    (S.sgdr(1.0, 1, T_mult=10), 111, 1.0),
    (S.sgdr(1.0, 1, T_mult=10), 110, (1 + math.cos(math.pi * 99 / 100)) / 2),
    (S.cyclic(1.0, 3.0, 2, 4), 0, 1.0),  # asymmetric: 2 steps up, 4 down
    (S.cyclic(1.0, 3.0, 2, 4), 1, 2.0),
    (S.cyclic(1.0, 3.0, 2, 4), 2, 3.0),
    (S.cyclic(1.0, 3.0, 2, 4), 4, 2.0),
    (S.cyclic(1.0, 3.0, 2, 4), 6, 1.0),
    (S.cyclic(1.0, 3.0, 2, mode="exp_range", gamma=0.5), 1, 1.0 + 2.0 * 0.5 * 0.5),
    (S.cyclic(1.0, 3.0, 2, mode="exp_range", gamma=0.5), 6, 1.0 + 2.0 * 0.5**6),
    (S.cyclic(1.0, 3.0, 2, scale_fn=lambda c: 1 / c), 6, 1.0 + 2.0 / 2),
    (
        S.cyclic(1.0, 3.0, 2, scale_fn=lambda i: 0.9**i, scale_mode="iterations"),
        3,
        1.0 + 1.0 * 0.9**3,
    ),
    # one_cycle, linear anneal, N = 10: phase 1 ends at 0.3·10 − 1 = 2, phase 2 at 9
    (S.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10, final_div_factor=100), 0, 0.1),
    (S.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10, final_div_factor=100), 1, 0.55),
    (S.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10, final_div_factor=100), 2, 1.0),
    (
        S.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10, final_div_factor=100),
        5,
        1 - 0.999 * 3 / 7,
    ),
    (S.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10, final_div_factor=100), 9, 0.001),
    (
        S.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10, final_div_factor=100),
        50,
        0.001,
    ),
    # three phases, N = 20, pct 0.25: ends at 4, 8, 19
    (S.one_cycle(1.0, 20, 0.25, "linear", 10, 100, three_phase=True), 4, 1.0),
    (S.one_cycle(1.0, 20, 0.25, "linear", 10, 100, three_phase=True), 6, 0.55),
    (S.one_cycle(1.0, 20, 0.25, "linear", 10, 100, three_phase=True), 8, 0.1),
    (S.one_cycle(1.0, 20, 0.25, "linear", 10, 100, three_phase=True), 19, 0.001),
    (S.one_cycle(1.0, 40), 39, 1.0 / 25 / 1e4),  # total_steps − 1 reaches the final lr
    (S.linear(1.0, 0.5, 1.0, 4), 2, 0.75),
    (S.linear(1.0, 0.5, 1.0, 4), 10, 1.0),
    (S.linear(1.0, 1.0, 0.0, 4), 3, 0.25),
    (S.polynomial(1.0, 4, 2.0), 2, 0.25),
    (S.polynomial(1.0, 4), 3, 0.25),
    (S.polynomial(1.0, 4, 2.0), 4, 0.0),
    (S.polynomial(1.0, 4, 2.0), 10, 0.0),  # past total_iters
    (S.warmup(S.constant(1.0), 4), 0, 0.0),
    (S.warmup(S.constant(1.0), 4), 1, 0.25),
    (S.warmup(S.exponential(1.0, 0.5), 2, start_factor=0.5), 1, 0.75),
    (S.warmup(S.exponential(1.0, 0.5), 2, start_factor=0.5), 2, 1.0),  # inner step 0
    (S.warmup(S.exponential(1.0, 0.5), 2, start_factor=0.5), 4, 0.25),
    (S.warmup(S.exponential(1.0, 0.5), 0), 2, 0.25),
    (S.join([S.constant(1.0), S.exponential(1.0, 0.5)], [3]), 2, 1.0),
    (S.join([S.constant(1.0), S.exponential(1.0, 0.5)], [3]), 3, 1.0),  # restarts at its own 0
    (S.join([S.constant(1.0), S.exponential(1.0, 0.5)], [3]), 5, 0.25),
    (S.join([S.constant(0.3)], []), 9, 0.3),
    (S.lambda_lr(2.0, lambda e: 1 / (e + 1)), 3, 0.5),
    (S.function(lambda e: 0.1 if e < 10 else 0.01), 9, 0.1),
    (S.function(lambda e: 0.1 if e < 10 else 0.01), 10, 0.01),
]


@pytest.mark.parametrize("schedule, e, expected", HAND, ids=[f"{s.name}-{e}" for s, e, _ in HAND])
def test_hand_computed_values(schedule, e, expected):
    close(schedule(e), expected)


def test_momentum_schedules():
    clr = S.cyclic(0.01, 0.1, 4, base_momentum=0.8, max_momentum=0.9)
    close(clr.momentum(np.array([0, 2, 4, 6, 8])), [0.9, 0.85, 0.8, 0.85, 0.9])
    assert clr.momentum.name == "cyclic.momentum" and clr.momentum.momentum is None
    halving = S.cyclic(0.01, 0.1, 4, mode="triangular2", base_momentum=0.8, max_momentum=0.9)
    close(halving.momentum(12), 0.9 - 0.1 / 2)
    oc = S.one_cycle(1.0, 10, anneal_strategy="linear", base_momentum=0.8, max_momentum=0.9)
    close(oc.momentum(np.array([0, 1, 2, 9])), [0.9, 0.85, 0.8, 0.9])
    three = S.one_cycle(
        1.0, 20, 0.25, "linear", three_phase=True, base_momentum=0.8, max_momentum=0.9
    )
    close(three.momentum(np.array([4, 6, 8, 15, 19])), [0.8, 0.85, 0.9, 0.9, 0.9])
    assert S.cosine(0.1, 10).momentum is None


# --------------------------------------------------------------------------------------------
# User functions: vectorized when they can be, element-wise otherwise


def test_function_is_called_once_when_it_accepts_arrays():
    calls = []

    def fn(e):
        calls.append(np.shape(e))
        return 0.1 * 0.9**e

    close(S.function(fn)(np.arange(50)), 0.1 * 0.9 ** np.arange(50))
    assert calls == [(50,)]


def test_function_falls_back_to_elementwise_with_python_ints():
    seen = []

    def fn(e):
        seen.append(type(e))
        return [0.1, 0.2][e % 2]

    close(S.function(fn)(np.arange(4).reshape(2, 2)), [[0.1, 0.2], [0.1, 0.2]])
    assert int in seen


def test_function_returning_a_scalar_for_arrays_is_evaluated_per_step():
    close(S.function(lambda e: 0.5)(np.arange(3)), [0.5, 0.5, 0.5])
    close(S.lambda_lr(0.1, lambda e: 1.0)(np.arange(3)), [0.1, 0.1, 0.1])


def test_function_must_return_numbers():
    with pytest.raises(TypeError, match="fn"):
        S.function(lambda e: "fast")(np.arange(3))
    with pytest.raises(TypeError, match="fn"):
        S.function(lambda e: [0.1, 0.2] if np.ndim(e) == 0 else None)(np.arange(3))


def test_errors_inside_a_scalar_function_surface():
    def broken(e):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        S.function(broken)(3)


# --------------------------------------------------------------------------------------------
# repr, name, registry


def test_repr_name_and_params():
    schedule = S.step(0.1, 5, gamma=0.5)
    assert schedule.name == "step"
    assert repr(schedule) == "step(lr=0.1, step_size=5, gamma=0.5)"
    nested = S.warmup(S.cosine(0.1, 10), 3)
    assert repr(nested) == (
        "warmup(schedule=cosine(lr=0.1, T_max=10, eta_min=0.0, clamp=False), "
        "warmup_steps=3, start_factor=0.0)"
    )
    assert "decay=np.array([0.1, 0.01])" in repr(S.time_decay(0.01, np.array([0.1, 0.01])))
    assert "fn=scalar_only" in repr(S.function(scalar_only))
    for name in S.names():
        assert repr(CASES[name][0]()).startswith(name + "(")


def test_get_builds_by_name():
    schedule = S.get("cosine", lr=0.1, T_max=10)
    assert isinstance(schedule, S.Schedule)
    assert schedule(5) == S.cosine(0.1, 10)(5)
    with pytest.raises(TypeError):
        S.get("cosine", lr=0.1, T_max=10, warmup=3)


@pytest.mark.parametrize("bad", ["cosin", "one-cycle", "Cosine"])
def test_unknown_name_suggests(bad):
    with pytest.raises(ValueError, match=r"unknown schedule .*did you mean"):
        S.get(bad, lr=0.1)


def test_unknown_name_lists_allowed():
    with pytest.raises(ValueError, match="schedule 'adamw'.*'cosine'"):
        S.get("adamw")


# --------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "bad, error",
    [
        (-1, ValueError),
        (np.array([0, 3, -2]), ValueError),
        (1.5, TypeError),
        (2.0, TypeError),
        (np.array([0.0, 1.0]), TypeError),
        (True, TypeError),
        (np.array([True]), TypeError),
        ("3", TypeError),
        (None, TypeError),
    ],
)
@pytest.mark.parametrize("name", CASES)
def test_bad_steps(name, bad, error):
    with pytest.raises(error, match="step"):
        CASES[name][0]()(bad)


def _bad(factory, kwargs, error, name):
    return pytest.param(
        factory,
        kwargs,
        error,
        name,
        id=f"{factory.__name__}-{name}-{kwargs[name]!r}"
        if name in kwargs
        else f"{factory.__name__}-{name}",
    )


BAD_PARAMETERS = [
    _bad(S.constant, dict(lr=0), ValueError, "lr"),
    _bad(S.constant, dict(lr="a"), TypeError, "lr"),
    _bad(S.constant, dict(lr=np.nan), ValueError, "lr"),
    _bad(S.constant, dict(lr=np.array([0.1, -0.1])), ValueError, "lr"),
    _bad(S.step, dict(lr=-1, step_size=2), ValueError, "lr"),
    _bad(S.step, dict(lr=0.1, step_size=0), ValueError, "step_size"),
    _bad(S.step, dict(lr=0.1, step_size=2.5), TypeError, "step_size"),
    _bad(S.step, dict(lr=0.1, step_size=2, gamma=0), ValueError, "gamma"),
    _bad(S.multistep, dict(lr=0, milestones=[3]), ValueError, "lr"),
    _bad(S.multistep, dict(lr=0.1, milestones=5), TypeError, "milestones"),
    _bad(S.multistep, dict(lr=0.1, milestones=[1, -2]), ValueError, "milestones"),
    _bad(S.multistep, dict(lr=0.1, milestones=[1.5]), TypeError, "milestones"),
    _bad(S.multistep, dict(lr=0.1, milestones=[3], gamma=-1), ValueError, "gamma"),
    _bad(S.exponential, dict(lr=-0.1, gamma=0.9), ValueError, "lr"),
    _bad(S.exponential, dict(lr=0.1, gamma=0), ValueError, "gamma"),
    _bad(S.time_decay, dict(lr=0.1, decay=-1e-3), ValueError, "decay"),
    _bad(S.time_decay, dict(lr=0, decay=1e-3), ValueError, "lr"),
    _bad(S.time_decay, dict(lr=0.1, decay=1e-3, decay_steps=0), ValueError, "decay_steps"),
    _bad(S.time_decay, dict(lr=0.1, decay=1e-3, decay_steps=2.5), TypeError, "decay_steps"),
    _bad(S.time_decay, dict(lr=0.1, decay=1e-3, staircase="yes"), TypeError, "staircase"),
    _bad(S.inverse_scaling, dict(lr=-1), ValueError, "lr"),
    _bad(S.inverse_scaling, dict(lr=0.1, power_t=-0.5), ValueError, "power_t"),
    _bad(S.inverse_scaling, dict(lr=0.1, samples_per_step=0), ValueError, "samples_per_step"),
    _bad(S.inverse_scaling, dict(lr=0.1, samples_per_step=1.5), TypeError, "samples_per_step"),
    _bad(S.cosine, dict(lr=[0.1, 0], T_max=10), ValueError, "lr"),
    _bad(S.cosine, dict(lr=0.1, T_max=0), ValueError, "T_max"),
    _bad(S.cosine, dict(lr=0.1, T_max=10.0), TypeError, "T_max"),
    _bad(S.cosine, dict(lr=0.1, T_max=10, eta_min=-1), ValueError, "eta_min"),
    _bad(S.cosine, dict(lr=0.1, T_max=10, clamp="yes"), TypeError, "clamp"),
    _bad(S.sgdr, dict(lr="fast", T_0=5), TypeError, "lr"),
    _bad(S.sgdr, dict(lr=0.1, T_0=0), ValueError, "T_0"),
    _bad(S.sgdr, dict(lr=0.1, T_0=5, T_mult=0), ValueError, "T_mult"),
    _bad(S.sgdr, dict(lr=0.1, T_0=5, T_mult=1.5), TypeError, "T_mult"),
    _bad(S.sgdr, dict(lr=0.1, T_0=5, eta_min=-0.1), ValueError, "eta_min"),
    _bad(S.cyclic, dict(base_lr=-1, max_lr=0.1), ValueError, "base_lr"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0), ValueError, "max_lr"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size_up=0), ValueError, "step_size_up"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size_down=0), ValueError, "step_size_down"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, mode="triangle"), ValueError, "mode"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, gamma=0), ValueError, "gamma"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, scale_fn=3), TypeError, "scale_fn"),
    _bad(
        S.cyclic,
        dict(base_lr=0.01, max_lr=0.1, scale_fn=abs, scale_mode="cycles"),
        ValueError,
        "scale_mode",
    ),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, base_momentum=1.0), ValueError, "base_momentum"),
    _bad(S.cyclic, dict(base_lr=0.01, max_lr=0.1, max_momentum=-0.1), ValueError, "max_momentum"),
    _bad(S.one_cycle, dict(max_lr=0, total_steps=10), ValueError, "max_lr"),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=1), ValueError, "total_steps"),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=10.0), TypeError, "total_steps"),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=10, pct_start=0), ValueError, "pct_start"),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=10, pct_start=1.0), ValueError, "pct_start"),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=40, pct_start=0.02), ValueError, "pct_start"),
    _bad(
        S.one_cycle,
        dict(max_lr=0.1, total_steps=10, anneal_strategy="cosine"),
        ValueError,
        "anneal_strategy",
    ),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=10, div_factor=0), ValueError, "div_factor"),
    _bad(
        S.one_cycle,
        dict(max_lr=0.1, total_steps=10, final_div_factor=-1),
        ValueError,
        "final_div_factor",
    ),
    _bad(S.one_cycle, dict(max_lr=0.1, total_steps=10, three_phase="no"), TypeError, "three_phase"),
    _bad(
        S.one_cycle,
        dict(max_lr=0.1, total_steps=10, three_phase=True, convention="fastai"),
        ValueError,
        "three_phase",
    ),
    _bad(
        S.one_cycle,
        dict(max_lr=0.1, total_steps=10, base_momentum=1.5),
        ValueError,
        "base_momentum",
    ),
    _bad(
        S.one_cycle, dict(max_lr=0.1, total_steps=10, max_momentum=-1), ValueError, "max_momentum"
    ),
    _bad(
        S.one_cycle, dict(max_lr=0.1, total_steps=10, convention="keras"), ValueError, "convention"
    ),
    _bad(S.linear, dict(lr=np.inf * -1), ValueError, "lr"),
    _bad(S.linear, dict(lr=0.1, start_factor=0), ValueError, "start_factor"),
    _bad(S.linear, dict(lr=0.1, start_factor=1.5), ValueError, "start_factor"),
    _bad(S.linear, dict(lr=0.1, end_factor=-0.1), ValueError, "end_factor"),
    _bad(S.linear, dict(lr=0.1, total_iters=0), ValueError, "total_iters"),
    _bad(S.polynomial, dict(lr=0.1, total_iters=0), ValueError, "total_iters"),
    _bad(S.polynomial, dict(lr=0.1, power=0), ValueError, "power"),
    _bad(S.polynomial, dict(lr=-0.1), ValueError, "lr"),
    _bad(S.polynomial, dict(lr=0.1, end_lr=-1e-4), ValueError, "end_lr"),
    _bad(S.polynomial, dict(lr=0.1, end_lr=np.nan), ValueError, "end_lr"),
    _bad(S.polynomial, dict(lr=0.1, cycle=1), TypeError, "cycle"),
    _bad(S.wsd, dict(lr=0, warmup_steps=2, stable_steps=5, decay_steps=3), ValueError, "lr"),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=-1, stable_steps=5, decay_steps=3),
        ValueError,
        "warmup_steps",
    ),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=2, stable_steps=5.0, decay_steps=3),
        TypeError,
        "stable_steps",
    ),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=2, stable_steps=5, decay_steps=-3),
        ValueError,
        "decay_steps",
    ),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=2, stable_steps=5, decay_steps=3, warmup_type="exp"),
        ValueError,
        "warmup_type",
    ),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=2, stable_steps=5, decay_steps=3, decay_type="sqrt"),
        ValueError,
        "decay_type",
    ),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=2, stable_steps=5, decay_steps=3, min_lr_ratio=1.5),
        ValueError,
        "min_lr_ratio",
    ),
    _bad(
        S.wsd,
        dict(lr=0.1, warmup_steps=2, stable_steps=5, decay_steps=3, num_cycles=0),
        ValueError,
        "num_cycles",
    ),
    _bad(S.inverse_sqrt, dict(lr=-1, warmup_steps=10), ValueError, "lr"),
    _bad(S.inverse_sqrt, dict(lr=0.1, warmup_steps=-10), ValueError, "warmup_steps"),
    _bad(S.inverse_sqrt, dict(lr=0.1, warmup_steps=10, timescale=0), ValueError, "timescale"),
    _bad(S.inverse_sqrt, dict(lr=0.1, warmup_steps=10, timescale=2.5), TypeError, "timescale"),
    _bad(S.noam, dict(d_model=0), ValueError, "d_model"),
    _bad(S.noam, dict(d_model=512.0), TypeError, "d_model"),
    _bad(S.noam, dict(warmup_steps=0), ValueError, "warmup_steps"),
    _bad(S.noam, dict(factor=-1.0), ValueError, "factor"),
    _bad(S.warmup, dict(schedule=0.1, warmup_steps=3), TypeError, "schedule"),
    _bad(S.warmup, dict(schedule=S.constant(0.1), warmup_steps=-1), ValueError, "warmup_steps"),
    _bad(
        S.warmup,
        dict(schedule=S.constant(0.1), warmup_steps=3, start_factor=1.5),
        ValueError,
        "start_factor",
    ),
    _bad(S.join, dict(schedules=S.constant(0.1), milestones=[]), TypeError, "schedules"),
    _bad(S.join, dict(schedules=[], milestones=[]), ValueError, "schedules"),
    _bad(S.join, dict(schedules=[S.constant(0.1), 0.1], milestones=[3]), TypeError, "schedules[1]"),
    _bad(S.join, dict(schedules=[S.constant(0.1)] * 2, milestones=[]), ValueError, "milestones"),
    _bad(
        S.join, dict(schedules=[S.constant(0.1)] * 3, milestones=[5, 5]), ValueError, "milestones"
    ),
    _bad(S.join, dict(schedules=[S.constant(0.1)] * 2, milestones=[0]), ValueError, "milestones"),
    _bad(S.join, dict(schedules=[S.constant(0.1)] * 2, milestones=3), TypeError, "milestones"),
    _bad(S.lambda_lr, dict(lr=0.1, fn=3), TypeError, "fn"),
    _bad(S.lambda_lr, dict(lr=0, fn=abs), ValueError, "lr"),
    _bad(S.function, dict(fn=None), TypeError, "fn"),
]


@pytest.mark.parametrize("factory, kwargs, error, name", BAD_PARAMETERS)
def test_bad_parameter_raises_naming_it(factory, kwargs, error, name):
    with pytest.raises(error, match=rf"(?<![\w.]){re.escape(name)}(?![\w\[])"):
        factory(**kwargs)


def test_every_parameter_of_every_schedule_has_a_bad_value_test():
    import inspect

    tested = {(p.values[0].__name__, p.values[3].split("[")[0]) for p in BAD_PARAMETERS}
    for name in S.names():
        for parameter in inspect.signature(getattr(S, name)).parameters:
            assert (name, parameter) in tested, f"no bad-value test for {name}({parameter}=...)"


def test_overflow_is_data_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert S.exponential(1.0, 10.0)(400) == np.inf


# --------------------------------------------------------------------------------------------
# PyTorch as an oracle: every torch scheduler with a gdsim counterpart, 100 steps, SGD(momentum=0.9)

N_TORCH = 100


def torch_trace(case, make, lr=0.1, n=N_TORCH):
    """The lr (and momentum) in force during each of the first ``n`` steps of a torch scheduler."""

    def compute(torch):
        parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.SGD([parameter], lr=lr, momentum=0.9)
        scheduler = make(torch.optim.lr_scheduler, optimizer)
        lrs, momenta = [], []
        for _ in range(n):
            lrs.append(optimizer.param_groups[0]["lr"])
            momenta.append(optimizer.param_groups[0]["momentum"])
            optimizer.step()
            scheduler.step()
        return {"lr": np.array(lrs), "momentum": np.array(momenta)}

    trace = torch_reference(f"schedules/{case}", compute)
    return trace["lr"], trace["momentum"]


def wavy(e):
    return 0.95**e * (1 + 0.5 * math.sin(e))


TORCH_CASES = {
    "StepLR": (lambda L, o: L.StepLR(o, 7, gamma=0.5), S.step(0.1, 7, 0.5)),
    "MultiStepLR": (
        lambda L, o: L.MultiStepLR(o, [10, 30, 30, 70], gamma=0.3),
        S.multistep(0.1, [10, 30, 30, 70], 0.3),
    ),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, 0.97), S.exponential(0.1, 0.97)),
    "CosineAnnealingLR": (lambda L, o: L.CosineAnnealingLR(o, 30), S.cosine(0.1, 30)),
    "CosineAnnealingLR-eta_min": (
        lambda L, o: L.CosineAnnealingLR(o, 23, eta_min=0.01),
        S.cosine(0.1, 23, eta_min=0.01),
    ),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 10),
        S.sgdr(0.1, 10),
    ),
    "CosineAnnealingWarmRestarts-T_mult2": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 5, T_mult=2, eta_min=0.001),
        S.sgdr(0.1, 5, T_mult=2, eta_min=0.001),
    ),
    "CyclicLR-triangular": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=10),
        S.cyclic(0.01, 0.1, 10),
    ),
    "CyclicLR-triangular2": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="triangular2"),
        S.cyclic(0.01, 0.1, 5, mode="triangular2"),
    ),
    "CyclicLR-exp_range": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, 8, mode="exp_range", gamma=0.98),
        S.cyclic(0.01, 0.1, 8, mode="exp_range", gamma=0.98),
    ),
    "CyclicLR-asymmetric": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, 7, 13, base_momentum=0.7, max_momentum=0.95),
        S.cyclic(0.01, 0.1, 7, 13, base_momentum=0.7, max_momentum=0.95),
    ),
    "CyclicLR-scale_fn": (
        lambda L, o: L.CyclicLR(
            o, 0.01, 0.1, 6, scale_fn=lambda x: 0.99**x, scale_mode="iterations"
        ),
        S.cyclic(0.01, 0.1, 6, scale_fn=lambda x: 0.99**x, scale_mode="iterations"),
    ),
    "OneCycleLR-cos": (
        lambda L, o: L.OneCycleLR(o, 0.1, total_steps=N_TORCH),
        S.one_cycle(0.1, N_TORCH),
    ),
    "OneCycleLR-linear": (
        lambda L, o: L.OneCycleLR(
            o,
            0.1,
            total_steps=N_TORCH,
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        S.one_cycle(0.1, N_TORCH, 0.25, "linear", div_factor=10.0, final_div_factor=100.0),
    ),
    "OneCycleLR-three_phase": (
        lambda L, o: L.OneCycleLR(
            o, 0.1, total_steps=N_TORCH, three_phase=True, base_momentum=0.8, max_momentum=0.9
        ),
        S.one_cycle(0.1, N_TORCH, three_phase=True, base_momentum=0.8, max_momentum=0.9),
    ),
    "LinearLR": (
        lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=30),
        S.linear(0.1, 0.2, 0.9, 30),
    ),
    "LinearLR-defaults": (lambda L, o: L.LinearLR(o), S.linear(0.1)),
    "PolynomialLR": (
        lambda L, o: L.PolynomialLR(o, total_iters=40, power=2.0),
        S.polynomial(0.1, 40, 2.0),
    ),
    "LambdaLR": (lambda L, o: L.LambdaLR(o, wavy), S.lambda_lr(0.1, wavy)),
    "SequentialLR": (
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=5), L.ExponentialLR(o, 0.9)], [5]
        ),
        S.join([S.linear(0.1, 0.1, total_iters=5), S.exponential(0.1, 0.9)], [5]),
    ),
    "SequentialLR-three": (
        lambda L, o: L.SequentialLR(
            o,
            [L.ConstantLR(o, 1.0, total_iters=1), L.CosineAnnealingLR(o, 20), L.StepLR(o, 9, 0.5)],
            [12, 40],
        ),
        S.join([S.constant(0.1), S.cosine(0.1, 20), S.step(0.1, 9, 0.5)], [12, 40]),
    ),
    "SequentialLR-warmup": (
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.25, total_iters=8), L.CosineAnnealingLR(o, 50)], [8]
        ),
        S.warmup(S.cosine(0.1, 50), 8, start_factor=0.25),
    ),
}


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch_scheduler(case):
    make, schedule = TORCH_CASES[case]
    lrs, momenta = torch_trace(case, make)
    ours = schedule(np.arange(N_TORCH))
    # torch recomputes most schedules recursively; values that are 0 in exact arithmetic
    # (polynomial past total_iters) come out as 0 in both.
    close(ours, lrs)
    if schedule.momentum is not None:
        close(schedule.momentum(np.arange(N_TORCH)), momenta)


def test_every_torch_record_is_used():
    assert recorded_keys("schedules/") == {f"schedules/{case}" for case in TORCH_CASES}
