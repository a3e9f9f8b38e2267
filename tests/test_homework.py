"""Tests for gdsim.homework: right answers pass, typical wrong answers fail with a message that
names the mistake, and nothing the student's function does makes a grader raise."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import gdsim
from gdsim import homework
from gdsim.homework import (
    Report,
    check_adam_step,
    check_cosine_restarts,
    check_dense_backward,
    check_lr_valley,
    check_momentum_step,
    check_plateau_rule,
    check_warmup_cosine,
)

HOMEWORK = Path(__file__).resolve().parent.parent / "lessons" / "homework"
NOTEBOOKS = [
    "01_momentum_step",
    "02_adam_step",
    "03_cosine_restarts",
    "04_dense_backward",
    "05_plateau_rule",
    "06_lr_valley",
    "07_warmup_cosine",
]


# --------------------------------------------------------------------------------------------
# Right answers, written the way a student would


def momentum_step(params, grad, velocity, lr, momentum):
    b = grad.copy() if velocity is None else momentum * velocity + grad
    return params - lr * b, b


def momentum_step_zeros(params, grad, velocity, lr, momentum):
    # treating the missing buffer as zeros gives b = g too: also right
    velocity = np.zeros_like(grad) if velocity is None else velocity
    b = momentum * velocity + grad
    return params - lr * b, b


def adam_step(params, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return params - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_step_torch_form(params, grad, m, v, t, lr, beta1, beta2, eps):
    # PyTorch's own arrangement of the same maths
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
    return params - (lr / (1 - beta1**t)) * m / denom, m, v


def cosine_restarts(step, lr_max, T_0, T_mult, eta_min):
    T_cur, T_i = step, T_0
    while T_cur >= T_i:
        T_cur, T_i = T_cur - T_i, T_i * T_mult
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


def cosine_restarts_closed_form(step, lr_max, T_0, T_mult, eta_min):
    if T_mult == 1:
        T_cur, T_i = step % T_0, T_0
    else:
        n = int(math.log(step * (T_mult - 1) / T_0 + 1, T_mult) + 1e-12)
        T_cur, T_i = step - T_0 * (T_mult**n - 1) // (T_mult - 1), T_0 * T_mult**n
    return np.float64(eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * T_cur / T_i)) / 2)


def _phi_prime(z, activation):
    if activation == "relu":
        return (z > 0).astype(float)
    if activation == "tanh":
        return 1 - np.tanh(z) ** 2
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    return np.ones_like(z)


def dense_backward(x, W, b, grad_out, activation):
    delta = grad_out * _phi_prime(x @ W + b, activation)
    return delta @ W.T, x.T @ delta, delta.sum(axis=0)


def plateau_update(metric, best, wait, lr, patience, factor, min_delta):
    if metric < best - min_delta:
        return metric, 0, lr
    wait += 1
    if wait >= patience:
        return best, 0, lr * factor
    return best, wait, lr


def plateau_update_numpy(metric, best, wait, lr, patience, factor, min_delta):
    improved = np.asarray(metric) < np.asarray(best) - min_delta
    wait = np.where(improved, 0, wait + 1)
    drop = wait >= patience
    return (
        np.where(improved, metric, best),
        np.where(drop, 0, wait),
        np.where(drop, lr * factor, lr),
    )


def lr_valley(lrs, losses):
    # fastai's own loops, tracking the longest valley as it goes
    n = len(losses)
    max_start, max_end, lds = 0, 0, [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end, max_start = i, i - lds[i]
    sections = (max_end - max_start) / 3
    return float(lrs[max_start + int(sections) + int(sections / 2)])


def lr_valley_numpy(lrs, losses):
    lds = np.ones(len(losses), dtype=int)
    for i in range(1, len(losses)):
        higher = losses[:i] > losses[i]
        lds[i] = lds[:i][higher].max() + 1 if higher.any() else 1
    end = int(np.argmax(lds))
    start = end - lds[end] if lds[end] > 1 else 0
    s = (end - start) / 3
    return lrs[start + int(s) + int(s / 2)]


def warmup_cosine(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
    if step < warmup_steps:
        return lr_max * (start_factor + (1 - start_factor) * step / warmup_steps)
    t = step - warmup_steps
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def warmup_cosine_numpy(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
    ramp = lr_max * (start_factor + (1 - start_factor) * step / max(warmup_steps, 1))
    cos = eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * (step - warmup_steps) / T_max)) / 2
    return np.where(step < warmup_steps, ramp, cos)


RIGHT = [
    (check_momentum_step, momentum_step),
    (check_momentum_step, momentum_step_zeros),
    (check_adam_step, adam_step),
    (check_adam_step, adam_step_torch_form),
    (check_cosine_restarts, cosine_restarts),
    (check_cosine_restarts, cosine_restarts_closed_form),
    (check_dense_backward, dense_backward),
    (check_plateau_rule, plateau_update),
    (check_plateau_rule, plateau_update_numpy),
    (check_lr_valley, lr_valley),
    (check_lr_valley, lr_valley_numpy),
    (check_warmup_cosine, warmup_cosine),
    (check_warmup_cosine, warmup_cosine_numpy),
]


@pytest.mark.parametrize("grader, fn", RIGHT, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("edge_cases", [False, True], ids=["cases", "edge cases"])
def test_right_answers_pass(grader, fn, seed, edge_cases):
    report = grader(fn, seed=seed, edge_cases=edge_cases)
    assert report.passed, report.message
    assert bool(report) is True
    assert report.message.startswith("✓")
    assert report.diagnosis is None and report.mistake is None
    assert ("edge case" in report.message) == edge_cases or "cases" in report.message


# --------------------------------------------------------------------------------------------
# Typical wrong answers, and the words their diagnosis must contain


def mom_dampening(params, grad, velocity, lr, momentum):
    velocity = np.zeros_like(grad) if velocity is None else velocity
    b = momentum * velocity + (1 - momentum) * grad
    return params - lr * b, b


def mom_keras(params, grad, velocity, lr, momentum):
    velocity = np.zeros_like(grad) if velocity is None else velocity
    v = momentum * velocity - lr * grad
    return params + v, v


def mom_no_first_step_rule(params, grad, velocity, lr, momentum):
    b = momentum * velocity + grad  # crashes on velocity=None
    return params - lr * b, b


def mom_nesterov(params, grad, velocity, lr, momentum):
    b = grad if velocity is None else momentum * velocity + grad
    return params - lr * (grad + momentum * b), b


def mom_old_velocity(params, grad, velocity, lr, momentum):
    old = np.zeros_like(grad) if velocity is None else velocity
    b = grad if velocity is None else momentum * velocity + grad
    return params - lr * old, b


def _adam(bias=True, t_shift=0, eps_inside=False, store_hat=False):
    def adam(params, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        t = t + t_shift
        m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if bias else (m, v)
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        new = params - lr * m_hat / denom
        return (new, m_hat, v_hat) if store_hat else (new, m, v)

    return adam


def adam_keras_epsilon_hat(params, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    step = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    return params - step * m / (np.sqrt(v) + eps), m, v


def _cosine(ahead=0, late=0, grow=True, denominator_shift=0, use_eta_min=True):
    def schedule(step, lr_max, T_0, T_mult, eta_min):
        T_cur, T_i = step + ahead, T_0
        while T_cur >= T_i + late:
            T_cur, T_i = T_cur - T_i - late, T_i * (T_mult if grow else 1)
        low = eta_min if use_eta_min else 0.0
        position = T_cur / (T_i + denominator_shift)
        return low + (lr_max - low) * (1 + math.cos(math.pi * position)) / 2

    return schedule


def cosine_no_restarts(step, lr_max, T_0, T_mult, eta_min):
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * step / T_0)) / 2


def _dense(phi=True, average=False, transpose_W=False, sum_b=True, phi_of_z=False):
    def backward(x, W, b, grad_out, activation):
        z = x @ W + b
        if phi_of_z and activation in ("tanh", "sigmoid"):
            d = 1 - z**2 if activation == "tanh" else z * (1 - z)
        else:
            d = _phi_prime(z, activation) if phi else 1.0
        delta = grad_out * d
        grad_W = delta.T @ x if transpose_W else x.T @ delta
        grad_b = delta.sum(axis=0) if sum_b else delta
        if average:
            grad_W, grad_b = grad_W / len(x), grad_b / len(x)
        return delta @ W.T, grad_W, grad_b

    return backward


def _plateau(
    improved="abs", trigger="ge", best_on_any_decrease=False, reset_after_drop=True, divide=False
):
    def rule(metric, best, wait, lr, patience, factor, min_delta):
        better = {
            "abs": metric < best - min_delta,
            "rel": metric < best * (1 - min_delta),
            "none": metric < best,
            "le": metric <= best - min_delta,
        }[improved]
        if better:
            return metric, 0, lr
        new_best = min(best, metric) if best_on_any_decrease else best
        wait += 1
        if (wait >= patience) if trigger == "ge" else (wait > patience):
            return new_best, 0 if reset_after_drop else wait, lr / factor if divide else lr * factor
        return new_best, wait, lr

    return rule


def _valley(strict=True, first=True, contiguous=False, late_start=False, pick="twice"):
    def valley(lrs, losses):
        n = len(losses)
        lds = [1] * n
        for i in range(1, n):
            if contiguous:
                lds[i] = lds[i - 1] + 1 if losses[i] < losses[i - 1] else 1
                continue
            for j in range(i):
                falls = losses[j] > losses[i] if strict else losses[j] >= losses[i]
                if falls:
                    lds[i] = max(lds[i], lds[j] + 1)
        best = max(lds)
        end = lds.index(best) if first else n - 1 - lds[::-1].index(best)
        start = (end - lds[end] + late_start) if best > 1 else 0
        s = (end - start) / 3
        idx = {
            "twice": start + int(s) + int(s / 2),
            "once": start + int(1.5 * s),
            "third": start + int(s),
            "bottom": end,
        }[pick]
        return lrs[idx]

    return valley


def valley_lowest(lrs, losses):
    return lrs[int(np.argmin(losses))]


def valley_index(lrs, losses):
    lds = np.ones(len(losses), dtype=int)
    for i in range(1, len(losses)):
        higher = losses[:i] > losses[i]
        lds[i] = lds[:i][higher].max() + 1 if higher.any() else 1
    end = int(np.argmax(lds))
    start = end - lds[end] if lds[end] > 1 else 0
    return start + int((end - start) / 3) + int((end - start) / 6)


def valley_no_fall(lrs, losses):
    # argmax and end − lds[end] without fastai's "no valley" case: start = −1
    lds = np.ones(len(losses), dtype=int)
    for i in range(1, len(losses)):
        higher = losses[:i] > losses[i]
        lds[i] = lds[:i][higher].max() + 1 if higher.any() else 1
    end = int(np.argmax(lds))
    start = end - lds[end]
    s = (end - start) / 3
    return lrs[start + int(s) + int(s / 2)]


def _warmup(
    ramp_end=0,
    ahead=0,
    from_zero=False,
    unscaled_ramp=False,
    global_cos=False,
    late=0,
    continues=False,
    use_eta_min=True,
):
    def schedule(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
        W, s = warmup_steps, start_factor
        if step < W:
            if from_zero:
                return lr_max * step / W
            slope = 1 if unscaled_ramp else 1 - s
            return lr_max * (s + slope * (step + ahead) / (W - ramp_end))
        t = step if global_cos else max(step - W - late, 0)
        peak = lr_max * (s + (1 - s) * (W - 1) / W) if continues and W else lr_max
        low = eta_min if use_eta_min else 0.0
        return low + (peak - low) * (1 + math.cos(math.pi * t / T_max)) / 2

    return schedule


WRONG = [
    # (grader, wrong function, words the message must contain at hint level 2)
    (check_momentum_step, mom_dampening, ["dampening", "(1 − μ)"]),
    (check_momentum_step, mom_keras, ["parameter units", "Keras"]),
    (
        check_momentum_step,
        mom_no_first_step_rule,
        ["raised", "TypeError", "velocity` is None", "b = grad"],
    ),
    (check_momentum_step, mom_nesterov, ["Nesterov"]),
    (check_momentum_step, mom_old_velocity, ["velocity from before"]),
    (check_adam_step, _adam(bias=False), ["skipped the bias correction"]),
    (check_adam_step, _adam(t_shift=-1), ["t − 1", "1 on the first call"]),
    (check_adam_step, _adam(t_shift=+1), ["t + 1", "don't increment"]),
    (check_adam_step, _adam(eps_inside=True), ["inside the square root"]),
    (check_adam_step, adam_keras_epsilon_hat, ["epsilon hat"]),
    (check_adam_step, _adam(store_hat=True), ["bias-corrected m̂ and v̂ as the new state"]),
    (check_cosine_restarts, _cosine(grow=False), ["never grow", "T_mult"]),
    (check_cosine_restarts, cosine_no_restarts, ["never restarts"]),
    (check_cosine_restarts, _cosine(ahead=1), ["one step ahead", "Step 0 must give lr_max"]),
    (check_cosine_restarts, _cosine(late=1), ["restart one step late"]),
    (check_cosine_restarts, _cosine(denominator_shift=-1), ["T_i − 1"]),
    (check_cosine_restarts, _cosine(use_eta_min=False), ["eta_min is missing"]),
    (check_dense_backward, _dense(phi=False), ["activation's derivative", "φ'(z)"]),
    (check_dense_backward, _dense(phi_of_z=True), ["pre-activation z"]),
    (check_dense_backward, _dense(average=True), ["averaged over the batch", "Sum over the rows"]),
    (check_dense_backward, _dense(transpose_W=True), ["transposed", "xᵀ·δ", "shape"]),
    (check_dense_backward, _dense(sum_b=False), ["summed over the rows"]),
    (check_plateau_rule, _plateau(trigger="gt"), ["one epoch late", "wait ≥ patience"]),
    (check_plateau_rule, _plateau(improved="rel"), ["relative", "absolute"]),
    (check_plateau_rule, _plateau(improved="none"), ["ignored min_delta"]),
    (check_plateau_rule, _plateau(improved="le"), ["strictly less"]),
    (check_plateau_rule, _plateau(best_on_any_decrease=True), ["updated best on every decrease"]),
    (
        check_plateau_rule,
        _plateau(reset_after_drop=False),
        ["After reducing the lr, wait must go back to 0"],
    ),
    (check_plateau_rule, _plateau(divide=True), ["divided by factor"]),
    (check_lr_valley, _valley(contiguous=True), ["consecutive decreases", "gaps allowed"]),
    (check_lr_valley, _valley(strict=False), ["equal loss", "strictly"]),
    (check_lr_valley, _valley(first=False), ["last of several longest", "first"]),
    (check_lr_valley, _valley(late_start=True), ["one point late", "start = end − lds[end]"]),
    (check_lr_valley, _valley(pick="once"), ["rounded once", "⌊s⌋ + ⌊s/2⌋"]),
    (check_lr_valley, _valley(pick="third"), ["start of the valley's middle third"]),
    (check_lr_valley, _valley(pick="bottom"), ["bottom of the valley"]),
    (check_lr_valley, valley_lowest, ["lowest loss"]),
    (check_lr_valley, valley_index, ["index", "lrs[idx]"]),
    (check_warmup_cosine, _warmup(ramp_end=1), ["one step early", "divides by warmup_steps"]),
    (check_warmup_cosine, _warmup(ahead=1), ["one step ahead", "start_factor·lr_max"]),
    (check_warmup_cosine, _warmup(from_zero=True), ["starts from 0"]),
    (check_warmup_cosine, _warmup(unscaled_ramp=True), ["overshoots"]),
    (check_warmup_cosine, _warmup(global_cos=True), ["counts from step 0", "own step 0"]),
    (check_warmup_cosine, _warmup(late=1), ["one step late"]),
    (check_warmup_cosine, _warmup(continues=True), ["continues from where the warm-up"]),
    (check_warmup_cosine, _warmup(use_eta_min=False), ["eta_min is missing"]),
]


def _id(value):
    if isinstance(value, list):
        return value[0]
    return getattr(value, "__name__", "")


@pytest.mark.parametrize("grader, fn, words", WRONG, ids=_id)
@pytest.mark.parametrize("seed", [0, 3])
def test_wrong_answers_fail_and_name_the_mistake(grader, fn, words, seed):
    report = grader(fn, seed=seed, hint=2)
    assert not report.passed and not report
    assert report.message.startswith("✗")
    assert report.diagnosis, report.message
    for word in words:
        assert word in report.message, f"{word!r} missing from:\n{report.message}"
    assert "Likely mistake:" in report.message and "The rule:" in report.message
    assert report.where and report.where in report.message


@pytest.mark.parametrize("grader, fn, words", WRONG, ids=_id)
def test_feedback_names_the_mistake_and_gives_the_rule_only_when_asked(grader, fn, words):
    levels = [grader(fn, hint=h) for h in (0, 1, 2)]
    assert grader(fn).message == levels[0].message  # level 0 is the default
    mistake, full = levels[0].mistake, levels[0].diagnosis
    assert mistake and full.startswith(mistake)
    fix = full[len(mistake) :].strip()
    # level 0: where, the numbers and the mistake by name; no fix, no rule
    assert report_where_and_mistake(levels[0]) and "The rule:" not in levels[0].message
    assert not fix or fix not in levels[0].message
    assert "hint=1" in levels[0].message or not fix
    # level 1: and how to fix it; level 2: and the rule
    assert full in levels[1].message and "The rule:" not in levels[1].message
    assert full in levels[2].message and "The rule:" in levels[2].message
    # report.hint() walks up the same levels
    assert levels[0].hint().message == levels[1].message
    assert levels[0].hint(2).message == levels[1].hint().message == levels[2].message
    assert levels[2].hint().message == levels[2].message and levels[2].hint_level == 2


def report_where_and_mistake(report):
    return (
        report.where in report.message
        and "inputs:" in report.message
        and f"Likely mistake: {report.mistake}" in report.message
    )


@pytest.mark.parametrize("grader", [check_momentum_step, check_lr_valley])
@pytest.mark.parametrize("hint", [3, -1, True, "2", 1.5])
def test_a_bad_hint_level_is_a_value_error(grader, hint):
    with pytest.raises(ValueError, match="hint must be 0"):
        grader(lambda *a: None, hint=hint)


def test_report_names_step_inputs_and_both_values():
    report = check_adam_step(_adam(bias=False))
    assert report.where == "case 1 of 4, step t=1"
    assert report.field == "new_params"
    text = report.message
    for piece in [
        "inputs:",
        "grad",
        "beta2  = 0.999",
        "expected",
        "got",
        "largest difference",
        "new_m       ✓ correct",
        "new_v       ✓ correct",
    ]:
        assert piece in text, piece


def test_cosine_report_says_where_the_step_sits_in_its_period():
    report = check_cosine_restarts(_cosine(grow=False))
    assert "T_cur = 1 of T_i = 6" in report.message
    assert "began at step 3" in report.message


def test_nan_from_a_zero_bias_correction_is_a_failure_not_a_warning():
    # pytest turns RuntimeWarnings into errors here: the grader must not emit any
    report = check_adam_step(_adam(t_shift=-1))
    assert "not finite" in report.message
    assert "1 − β^t is never 0" in report.diagnosis


# --------------------------------------------------------------------------------------------
# Whatever the student's function does, the grader returns a report


def crashes(*args):
    raise ZeroDivisionError("boom")


def not_implemented(*args):
    raise NotImplementedError


def stub(*args):
    return None


GRADERS = [
    check_momentum_step,
    check_adam_step,
    check_cosine_restarts,
    check_dense_backward,
    check_plateau_rule,
    check_lr_valley,
    check_warmup_cosine,
]


@pytest.mark.parametrize("grader", GRADERS, ids=lambda g: g.__name__)
def test_a_crash_is_a_failure_with_the_exception_and_line(grader):
    report = grader(crashes)
    assert not report
    assert "raised an exception" in report.message
    assert "ZeroDivisionError: boom" in report.message
    assert 'raise ZeroDivisionError("boom")' in report.message
    assert "inputs:" in report.message


@pytest.mark.parametrize("grader", GRADERS, ids=lambda g: g.__name__)
@pytest.mark.parametrize("fn", [stub, not_implemented], ids=["returns None", "NotImplementedError"])
def test_an_unsolved_stub_says_so_briefly(grader, fn):
    report = grader(fn)
    assert not report
    assert "not written yet" in report.message
    assert "The rule" not in report.message and report.where is None


@pytest.mark.parametrize("grader", GRADERS, ids=lambda g: g.__name__)
def test_passing_the_result_instead_of_the_function(grader):
    report = grader(None)
    assert not report and "no parentheses" in report.message


def test_wrong_return_types_and_shapes():
    report = check_momentum_step(lambda p, g, v, lr, mu: p - lr * g)
    assert "must return a tuple (new_params, new_velocity)" in report.message
    assert "got ndarray of shape" in report.message
    report = check_momentum_step(lambda p, g, v, lr, mu: (p - lr * g,))
    assert "must return 2 values" in report.message
    report = check_momentum_step(lambda p, g, v, lr, mu: (p.ravel()[:1], g))
    assert "new_params must have shape (2,), got shape (1,)" in report.message
    report = check_momentum_step(lambda p, g, v, lr, mu: (p - lr * g, v))
    assert "new_velocity is None" in report.message
    assert "returned the velocity you were given" in report.diagnosis
    report = check_cosine_restarts(lambda *a: "0.1")
    assert not report and "lr" in report.message
    report = check_cosine_restarts(lambda *a: np.array([0.1, 0.2]))
    assert "lr must have one number, got shape (2,)" in report.message
    report = check_plateau_rule(lambda m, b, w, lr, *a: (b, w + 0.5, lr))
    assert "wait counts epochs, so it must be a whole number" in report.message


def test_changing_an_input_in_place_is_reported():
    def in_place(params, grad, velocity, lr, momentum):
        b = grad.copy() if velocity is None else momentum * velocity + grad
        params -= lr * b
        return params, b

    report = check_momentum_step(in_place)
    assert not report
    assert "changed its input params in place" in report.message
    assert "not `params -= ...`" in report.diagnosis


def test_nan_output_is_a_failure():
    report = check_dense_backward(
        lambda x, W, b, g, a: (np.full(x.shape, np.nan), x.T @ g, g.sum(0))
    )
    assert not report and "not finite" in report.message
    assert "NaN or inf" in report.diagnosis


def test_an_unknown_mistake_still_gets_a_useful_report():
    report = check_momentum_step(lambda p, g, v, lr, mu: (p - 2 * lr * g, 3 * g))
    assert not report
    assert "none of the usual mistakes matches" in report.message
    assert report.diagnosis is None


# --------------------------------------------------------------------------------------------
# The report object


def test_report_repr_and_html():
    good, bad = check_plateau_rule(plateau_update), check_plateau_rule(_plateau(divide=True))
    assert repr(good) == str(good) == good.message
    assert "✓" in good._repr_html_() and "#1b7f3b" in good._repr_html_()
    html_text = bad._repr_html_()
    assert "✗" in html_text and "#b3261e" in html_text and "<pre" in html_text
    assert "Likely mistake" in html_text
    weird = Report("x", False, "✗ <b>x</b>\n  a < b & c")
    assert "&lt;b&gt;" in weird._repr_html_() and "a &lt; b &amp; c" in weird._repr_html_()


def test_graders_are_deterministic_per_seed_and_vary_with_it():
    a, b = check_momentum_step(mom_keras, seed=5), check_momentum_step(mom_keras, seed=5)
    assert a.message == b.message
    assert check_momentum_step(mom_keras, seed=6).message != a.message


# --------------------------------------------------------------------------------------------
# The references themselves


def test_dense_reference_matches_finite_differences():
    # the reference drives gdsim's MLP with a constructed target; check that against a plain
    # finite-difference derivative of  L = Σ grad_out ⊙ φ(x W + b)
    rng = np.random.default_rng(0)
    phis = {
        "linear": lambda z: z,
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    }
    for activation, phi in phis.items():
        x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
        grad_out = rng.normal(size=(4, 2))
        reference = homework._dense_reference(x, W, b, grad_out, activation)

        def loss(x, W, b):
            return float(np.sum(grad_out * phi(x @ W + b)))

        for k, arg in enumerate([x, W, b]):
            numeric = np.zeros_like(arg)
            for i in np.ndindex(arg.shape):
                args_plus = [x.copy(), W.copy(), b.copy()]
                args_minus = [x.copy(), W.copy(), b.copy()]
                args_plus[k][i] += 1e-6
                args_minus[k][i] -= 1e-6
                numeric[i] = (loss(*args_plus) - loss(*args_minus)) / 2e-6
            np.testing.assert_allclose(reference[k], numeric, rtol=1e-5, atol=1e-7)


BUILDERS = [
    homework._momentum_exercise,
    homework._adam_exercise,
    homework._cosine_exercise,
    homework._dense_exercise,
    homework._plateau_exercise,
    homework._valley_exercise,
    homework._warmup_exercise,
]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_cases_exercise_every_listed_mistake(build, seed):
    # a mistake whose answer equals the reference at every step could never be caught
    exercise = build(seed)
    listed, caught = set(), set()
    for case in exercise.cases:
        for step in case:
            for mistake, outputs in step.variants():
                listed.add(mistake)
                if any(not homework._close(o, e) for o, e in zip(outputs, step.expected)):
                    caught.add(mistake)
    assert listed - caught == set()


def test_the_cases_call_the_reference_not_a_copy_of_it():
    # the expected values are gdsim's own: a change in gdsim's maths shows up in the grader
    exercise = homework._momentum_exercise(0)
    step = exercise.cases[0][1]
    opt = gdsim.SGD(lr=step.inputs["lr"], momentum=step.inputs["momentum"])
    state = gdsim.optimizers.SGDState(step=1, momentum_buffer=step.inputs["velocity"])
    new_params, new_state = opt.update(step.inputs["params"], step.inputs["grad"], state)
    np.testing.assert_array_equal(step.expected[0], new_params)
    np.testing.assert_array_equal(step.expected[1], new_state.momentum_buffer)


# --------------------------------------------------------------------------------------------
# The notebooks


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_exercise_has_a_solution_and_both_are_stored_without_outputs(name):
    for path in [HOMEWORK / f"{name}.ipynb", HOMEWORK / "solutions" / f"{name}.ipynb"]:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path
        source = "".join("".join(c["source"]) for c in code)
        assert "gdsim.homework import check_" in source, path
        if "solutions" in path.parts:
            assert "assert report.passed" in source, path
