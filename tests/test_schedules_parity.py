"""The reference libraries' own schedule tests, ported: Keras' PolynomialDecay and
InverseTimeDecay cases, the learning rates transformers' test suite expects, the Noam schedule
of "Attention is all you need", and PyTorch's PolynomialLR (recorded in tests/reference/,
checked against live torch where installed).

Each expected value is computed here from the source formula, independently of gdsim's code;
literals quoted from a reference test suite say where they come from.
"""

import math

import numpy as np
import pytest
from torch_oracle import recorded_keys, torch_reference

from gdsim import schedules as S


def close(actual, expected, rtol=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-16)


# -- Keras 3: keras/src/optimizers/schedules/learning_rate_schedule_test.py (LinearDecayTest,
#    SqrtDecayTest, InverseTimeDecayTest), with PolynomialDecay(lr, decay_steps, end_lr, power,
#    cycle) = polynomial(lr, decay_steps, power, end_lr, cycle) and InverseTimeDecay(lr,
#    decay_steps, decay_rate, staircase) = time_decay(lr, decay_rate, decay_steps, staircase).
#    Keras checks float32 values to 1e-6; gdsim is float64, so the formulas are held to 1e-12.


@pytest.mark.parametrize("power", [1.0, 0.5])
def test_keras_polynomial_decay_suite(power):
    lr, end_lr = 0.05, 0.001

    def keras(step, decay_steps=10, end=end_lr, cycle=False):
        return S.polynomial(lr, decay_steps, power, end_lr=end, cycle=cycle)(step)

    close(keras(5, end=0.0), lr * 0.5**power)  # test_halfway
    close(keras(10), end_lr)  # test_end
    close(keras(5), (lr - end_lr) * 0.5**power + end_lr)  # test_halfway_with_end
    close(keras(15), end_lr)  # test_beyond_end
    close(keras(15, cycle=True), (lr - end_lr) * 0.25**power + end_lr)  # ..._with_cycle
    # test_begin_with_cycle: Keras' default end value is 1e-4; step 0 uses a multiplier of 1
    close(S.polynomial(0.001, 10, end_lr=1e-4, cycle=True)(0), 0.001)


def test_keras_polynomial_cycle_stretches_the_period():
    """Keras: decay_steps · ⌈step / decay_steps⌉ (1 at step 0), then the usual polynomial."""
    lr, end_lr, T, power = 0.1, 0.01, 8, 2.0
    steps = np.arange(40)
    expected = []
    for e in steps:
        period = T * (1 if e == 0 else math.ceil(e / T))
        expected.append((lr - end_lr) * (1 - e / period) ** power + end_lr)
    got = S.polynomial(lr, T, power, end_lr=end_lr, cycle=True)(steps)
    close(got, expected)
    assert np.all(got[T::T] == pytest.approx(end_lr, rel=1e-12))  # touches end_lr at each multiple
    assert np.all(np.diff(got)[T::T] > 0)  # and jumps up right after


@pytest.mark.parametrize("staircase", [False, True])
def test_keras_inverse_time_decay_suite(staircase):
    initial_lr, k, decay_rate = 0.1, 10, 0.96
    schedule = S.time_decay(initial_lr, decay_rate, decay_steps=k, staircase=staircase)
    for i in range(3 * k + 1):
        p = i // k if staircase else i / k
        close(schedule(i), initial_lr / (1 + decay_rate * p))


def test_time_decay_defaults_are_the_legacy_keras_decay_bit_for_bit():
    e = np.arange(5000)
    np.testing.assert_array_equal(S.time_decay(0.01, 1e-3)(e), 0.01 / (1 + 1e-3 * e))
    np.testing.assert_array_equal(
        S.time_decay(0.01, 1e-3, 1, staircase=True)(e), S.time_decay(0.01, 1e-3)(e)
    )


def test_polynomial_end_lr_and_ramp_up():
    close(
        S.polynomial(1.0, 4, 2.0, end_lr=0.2)(np.array([0, 2, 4, 9])),
        [1.0, 0.2 + 0.8 * 0.25, 0.2, 0.2],
    )
    rising = S.polynomial(0.1, 10, 1.0, end_lr=0.5)(np.arange(12))
    assert np.all(np.diff(rising[:11]) > 0) and rising[-1] == pytest.approx(0.5)


def test_polynomial_defaults_equal_torch_polynomial_lr():
    def compute(torch):
        parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.SGD([parameter], lr=0.1)
        scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=17, power=0.7)
        lrs = []
        for _ in range(30):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return np.array(lrs)

    lrs = torch_reference("schedules_parity/PolynomialLR-total_iters=17,power=0.7", compute)
    # torch multiplies recursively step by step; gdsim uses the closed form
    close(S.polynomial(0.1, 17, 0.7)(np.arange(30)), lrs, rtol=1e-13)


def test_every_torch_record_is_used():
    expected = {"schedules_parity/PolynomialLR-total_iters=17,power=0.7"}
    assert recorded_keys("schedules_parity/") == expected


# -- transformers: tests/optimization/test_optimization.py, ScheduleInitTest.test_schedulers
#    (commit 74714520), optimizer lr 10, num_warmup_steps 2, num_training_steps 10; the suite
#    compares to 1e-2, the literals are cut to 2-3 decimals. get_constant_schedule_with_warmup,
#    get_linear/cosine_schedule_with_warmup are special cases of get_wsd_schedule.

TRANSFORMERS_SUITE = {
    "inverse_sqrt": (
        S.inverse_sqrt(10.0, 2),
        [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714],
    ),
    "constant_with_warmup": (
        S.wsd(10.0, 4, 6, 0),
        [0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0],
    ),
    "linear_with_warmup": (
        S.wsd(10.0, 2, 0, 8, decay_type="linear"),
        [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25],
    ),
    "cosine_with_warmup": (
        S.wsd(10.0, 2, 0, 8),
        [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38],
    ),
    "polynomial_with_warmup": (
        S.warmup(S.polynomial(10.0, 8, 2.0, end_lr=1e-7), 2),
        [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156],
    ),
}


@pytest.mark.parametrize("name", TRANSFORMERS_SUITE)
def test_transformers_suite_values(name):
    schedule, quoted = TRANSFORMERS_SUITE[name]
    # transformers' own tolerance (assertAlmostEqual, delta 1e-2): some literals are truncated
    np.testing.assert_allclose(schedule(np.arange(10)), quoted, rtol=0, atol=1e-2)


def test_inverse_sqrt_closed_form():
    lr, W = 0.3, 25
    e = np.arange(200)
    expected = np.where(e < W, lr * e / W, lr * np.sqrt(W / np.maximum(e, 1)))
    close(S.inverse_sqrt(lr, W)(e), expected)
    # a timescale τ: lr·√(τ / (e − W + τ)) after the warm-up; W = 0 defaults τ to 10 000
    close(S.inverse_sqrt(lr, W, timescale=100)(np.array([W, W + 300])), [lr, lr * 0.5])
    close(S.inverse_sqrt(lr, 0)(np.array([0, 30_000])), [lr, lr * 0.5])
    assert S.inverse_sqrt(lr, 0).params["timescale"] == 10_000


def test_noam_is_the_papers_formula_and_inverse_sqrt_from_step_one():
    d_model, W = 512, 4000
    e = np.array([0, 1, 2, 100, 3999, 4000, 4001, 16_000, 100_000])
    s = np.maximum(e, 1).astype(float)
    paper = d_model**-0.5 * np.minimum(s**-0.5, s * W**-1.5)
    close(S.noam()(e), paper)
    close(S.noam()(W), 1 / math.sqrt(512 * 4000))  # the peak, 6.9877e-4
    close(S.noam()(4 * W), 0.5 / math.sqrt(512 * 4000))  # half the peak at 4·W
    same = S.inverse_sqrt(2.0 * (64 * 30) ** -0.5, 30)
    close(S.noam(64, 30, factor=2.0)(np.arange(1, 300)), same(np.arange(1, 300)))
    assert same(0) == 0.0 and S.noam(64, 30, factor=2.0)(0) == S.noam(64, 30, factor=2.0)(1)


# -- warmup-stable-decay: every phase and shape, hand-computed


def test_wsd_phases_by_hand():
    wsd = S.wsd(1.0, 4, 3, 4, warmup_type="linear", decay_type="linear", min_lr_ratio=0.2)
    close(
        wsd(np.arange(14)),
        [
            0.2,
            0.4,
            0.6,
            0.8,  # rise from m·lr: m + (1 − m)·e/W
            1.0,
            1.0,
            1.0,  # stable
            1.0,
            0.8,
            0.6,
            0.4,  # decay: m + (1 − m)(1 − p), p = (e − 7)/4
            0.2,
            0.2,
            0.2,
        ],
    )  # m·lr for ever after


@pytest.mark.parametrize(
    "shape, rise, fall",
    [
        ("linear", lambda p: p, lambda p: 1 - p),
        (
            "cosine",
            lambda p: (1 - math.cos(math.pi * p)) / 2,
            lambda p: (1 + math.cos(math.pi * p)) / 2,
        ),
        ("1-sqrt", lambda p: 1 - math.sqrt(1 - p), lambda p: 1 - math.sqrt(p)),
    ],
)
def test_wsd_shapes(shape, rise, fall):
    wsd = S.wsd(2.0, 8, 5, 10, warmup_type=shape, decay_type=shape)
    for e in range(8):
        close(wsd(e), 2.0 * rise(e / 8))
    for e in range(13, 23):
        close(wsd(e), 2.0 * fall((e - 13) / 10))
    assert wsd(23) == 0.0 and wsd(1000) == 0.0


def test_wsd_cosine_cycles():
    # num_cycles = 1: a full cosine wave over the decay, back up to the peak at its end
    wsd = S.wsd(1.0, 0, 0, 8, num_cycles=1.0)
    close(
        wsd(np.array([0, 2, 4, 6, 7])),
        [1.0, 0.5, 0.0, 0.5, (1 + math.cos(2 * math.pi * 7 / 8)) / 2],
    )
    assert wsd(8) == 0.0  # after the decay: min_lr_ratio
