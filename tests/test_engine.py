"""The simulator: shapes, exactness against a step-by-step loop, sweeps, blocking, noise,
divergence, metric-driven rules and bad input."""

import warnings

import numpy as np
import pytest

import gdsim
from gdsim import DIVERGED, NOT_CONVERGED, schedules, surfaces
from gdsim.optimizers import SGD, Adam, RMSprop
from gdsim.schedules.plateau import Adaptive, ReduceLROnPlateau
from gdsim.sim import engine, simulate, sweep

HIMMELBLAU = surfaces.get("himmelblau")


def random_starts(n, seed=0, surface=HIMMELBLAU):
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def loop_reference(surface, optimizer, start, steps):
    """The same run written as the plainest loop over ``optimizer.update``, one start at a time."""
    params = np.asarray(start, dtype=float)
    state = optimizer.init(params)
    path = [params]
    for _ in range(steps):
        params, state = optimizer.update(params, surface.grad(params), state)
        path.append(params)
    return np.array(path)


# -- shapes and recording ---------------------------------------------------------------------


def test_shapes_follow_the_design():
    starts = random_starts(7)
    run = simulate(HIMMELBLAU, Adam(lr=0.05), starts, 30)
    assert run.positions.shape == (31, 7, 2)
    assert run.losses.shape == (31, 7)
    assert run.lrs.shape == (30,)
    assert run.final.shape == (7, 2) and run.final_loss.shape == (7,)
    assert run.diverged.shape == run.reached.shape == run.diverged_at.shape == (7,)
    assert run.axes == ("start",)
    np.testing.assert_array_equal(run.positions[0], starts)
    np.testing.assert_array_equal(run.positions[-1], run.final)
    np.testing.assert_allclose(run.losses, HIMMELBLAU.value(run.positions))


def test_grid_of_starts_keeps_its_shape():
    starts = np.stack(np.meshgrid(np.linspace(-4, 4, 5), np.linspace(-4, 4, 3)), axis=-1)
    run = simulate(HIMMELBLAU, SGD(lr=0.01), starts, 5, record="final")
    assert run.positions.shape == (1, 3, 5, 2)
    assert run.axes == ("y", "x")
    assert run.reached.shape == (3, 5)


@pytest.mark.parametrize(
    "record, expected", [("all", list(range(11))), ("final", [10]), (3, [0, 3, 6, 9, 10])]
)
def test_record_keeps_the_asked_steps(record, expected):
    starts = random_starts(4)
    full = simulate(HIMMELBLAU, Adam(lr=0.05), starts, 10)
    run = simulate(HIMMELBLAU, Adam(lr=0.05), starts, 10, record=record)
    np.testing.assert_array_equal(run.recorded_steps, expected)
    np.testing.assert_array_equal(run.positions, full.positions[expected])
    np.testing.assert_array_equal(run.final, full.final)


# -- exactness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "optimizer",
    [
        SGD(lr=0.01),
        SGD(lr=0.005, momentum=0.9, nesterov=True),
        RMSprop(lr=0.01, centered=True),
        Adam(lr=0.05, amsgrad=True),
        Adam(lr=schedules.exponential(0.05, 0.97)),
        SGD(lr=0.003, momentum=0.8, convention="keras"),
    ],
    ids=repr,
)
def test_engine_equals_a_plain_loop_bit_for_bit(optimizer):
    starts = random_starts(5)
    run = simulate(HIMMELBLAU, optimizer, starts, 40)
    for k, start in enumerate(starts):
        np.testing.assert_array_equal(
            run.positions[:, k], loop_reference(HIMMELBLAU, optimizer, start, 40)
        )


def test_the_lr_in_force_during_step_e_is_schedule_of_e():
    schedule = schedules.step(0.1, step_size=2, gamma=0.5)
    start = np.array([[1.0, 1.0]])
    run = simulate(surfaces.get("quadratic", condition=1.0), SGD(lr=schedule), start, 6)
    np.testing.assert_array_equal(run.lrs, schedule(np.arange(6)))
    gradient_at_start = surfaces.get("quadratic", condition=1.0).grad(start[0])
    np.testing.assert_allclose(run.positions[1, 0], start[0] - schedule(0) * gradient_at_start)


def test_per_run_lr_array_equals_separate_runs():
    starts = random_starts(6)
    lrs = np.array([0.001, 0.01, 0.02])
    together = simulate(HIMMELBLAU, SGD(lr=lrs[:, None], momentum=0.5), starts, 25)
    assert together.positions.shape == (26, 3, 6, 2)
    assert together.lrs.shape == (25, 3, 6)
    for i, lr in enumerate(lrs):
        alone = simulate(HIMMELBLAU, SGD(lr=lr, momentum=0.5), starts, 25)
        np.testing.assert_array_equal(together.positions[:, i], alone.positions)


# -- sweeps -----------------------------------------------------------------------------------


def test_sweep_cells_equal_separate_simulations():
    starts = random_starts(4)
    run = sweep(HIMMELBLAU, SGD, starts, 20, lr=[0.001, 0.01], momentum=[0.0, 0.9])
    assert run.axes == ("lr", "momentum", "start")
    assert run.positions.shape == (21, 2, 2, 4, 2)
    for i, lr in enumerate([0.001, 0.01]):
        for j, momentum in enumerate([0.0, 0.9]):
            alone = simulate(HIMMELBLAU, SGD(lr=lr, momentum=momentum), starts, 20)
            np.testing.assert_array_equal(run.positions[:, i, j], alone.positions)
            np.testing.assert_array_equal(run.select(lr=lr, momentum=momentum).final, alone.final)


def test_sweep_loops_over_non_numeric_axes_in_grid_order():
    starts = random_starts(3)

    def make(name, lr):
        return gdsim.optimizers.get(name, lr=lr)

    run = sweep(HIMMELBLAU, make, starts, 15, name=["sgd", "adam"], lr=[0.001, 0.01, 0.05])
    assert run.axes == ("name", "lr", "start")
    assert run.positions.shape == (16, 2, 3, 3, 2)
    assert run.lrs.shape == (15, 2, 3, 3)
    alone = simulate(HIMMELBLAU, Adam(lr=0.01), starts, 15)
    np.testing.assert_array_equal(run.positions[:, 1, 1], alone.positions)
    assert run.labels()[4] == "name=adam, lr=0.01"


def test_sweep_over_a_schedule_parameter():
    starts = random_starts(3)
    run = sweep(
        HIMMELBLAU,
        lambda decay: SGD(lr=schedules.time_decay(0.01, decay)),
        starts,
        10,
        decay=[0.1, 0.001],
    )
    assert run.lrs.shape == (10, 2, 3)
    np.testing.assert_allclose(run.lrs[:, 0, 0], 0.01 / (1 + 0.1 * np.arange(10)))
    alone = simulate(HIMMELBLAU, SGD(lr=schedules.time_decay(0.01, 0.001)), starts, 10)
    np.testing.assert_array_equal(run.positions[:, 1], alone.positions)


# -- blocking, workers and noise never change the numbers --------------------------------------


def test_blocks_and_worker_processes_give_identical_bits(monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_WORK", 0)  # fork even for this small job
    starts = random_starts(5000, seed=3)
    optimizer = Adam(lr=np.linspace(0.01, 0.2, 5000))
    reference = simulate(
        HIMMELBLAU, optimizer, starts, 12, block_size=8192, workers=1, noise=0.5, seed=7
    )
    for block_size, workers in [(1024, 1), (2048, 2), (1024, 3)]:
        run = simulate(
            HIMMELBLAU,
            optimizer,
            starts,
            12,
            block_size=block_size,
            workers=workers,
            noise=0.5,
            seed=7,
        )
        np.testing.assert_array_equal(run.positions, reference.positions)
        np.testing.assert_array_equal(run.losses, reference.losses)


def test_noise_is_seeded_and_shared_by_runs_from_the_same_start():
    starts = random_starts(3)
    a = simulate(HIMMELBLAU, SGD(lr=0.01), starts, 10, noise=1.0, seed=1)
    b = simulate(HIMMELBLAU, SGD(lr=0.01), starts, 10, noise=1.0, seed=1)
    c = simulate(HIMMELBLAU, SGD(lr=0.01), starts, 10, noise=1.0, seed=2)
    clean = simulate(HIMMELBLAU, SGD(lr=0.01), starts, 10)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)
    assert not np.array_equal(a.positions, clean.positions)
    swept = sweep(HIMMELBLAU, SGD, starts, 10, noise=1.0, seed=1, lr=[0.001, 0.01])
    np.testing.assert_array_equal(swept.positions[:, 1], a.positions)


def test_first_noisy_step_has_the_asked_spread():
    start = np.zeros((20000, 2)) + [3.0, 2.0]  # the gradient is zero at this minimum
    run = simulate(HIMMELBLAU, SGD(lr=1.0), start, 1, noise=0.5, seed=0)
    displacement = run.final - start
    assert abs(displacement.std() - 0.5) < 0.01
    assert abs(displacement.mean()) < 0.01


# -- divergence, convergence ----------------------------------------------------------------------


def test_divergence_is_data_not_a_warning():
    quadratic = surfaces.get("quadratic", condition=10.0)
    starts = np.array([[1.0, 1.0], [0.5, -0.3]])
    lrs = np.array([0.05, 0.5])[:, None]  # 2/L = 0.2: the second lr diverges
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = simulate(quadratic, SGD(lr=lrs), starts, 2000)
    assert not run.diverged[0].any() and run.diverged[1].all()
    assert np.isfinite(run.positions).all() and np.isfinite(run.losses).all()
    assert (run.reached[1] == DIVERGED).all() and (run.reached[0] == 0).all()
    for k in range(2):
        step = run.diverged_at[1, k]
        assert step > 0
        # frozen at its last good point from the step it diverged on
        np.testing.assert_array_equal(
            run.positions[step:, 1, k],
            np.broadcast_to(run.positions[step - 1, 1, k], (2001 - step, 2)),
        )


def test_non_finite_gradients_freeze_the_run():
    def value(p):
        return np.where(p[..., 0] > 2, np.nan, (p**2).sum(-1))

    def grad(p):
        return np.where(p[..., :1] > 2, np.nan, 2 * p) - np.array([3.0, 0.0])

    surface = surfaces.custom(value, grad, bounds=((-3, 3), (-3, 3)))
    run = simulate(surface, SGD(lr=1.0), np.array([[0.0, 0.0]]), 10)
    # step 1 jumps to x = 3 where the gradient is NaN, so step 2 cannot be taken
    assert run.diverged[0] and run.diverged_at[0] == 2
    np.testing.assert_array_equal(run.final[0], [3.0, 0.0])


def test_reached_names_the_minimum_each_run_settles_in():
    minima = HIMMELBLAU.minima
    starts = minima + 0.05
    run = simulate(HIMMELBLAU, Adam(lr=0.01), starts, 500)
    np.testing.assert_array_equal(run.reached, np.arange(len(minima)))
    slow = simulate(HIMMELBLAU, SGD(lr=1e-6), np.array([[0.0, 0.0]]), 5)
    assert slow.reached[0] == NOT_CONVERGED


def test_settled_at_is_the_first_step_after_the_last_big_move():
    starts = random_starts(8)
    run = simulate(HIMMELBLAU, SGD(lr=0.01, momentum=0.9), starts, 150, tol=1e-3)
    moves = np.abs(np.diff(run.positions, axis=0)).max(axis=-1) > 1e-3
    expected = np.array(
        [np.flatnonzero(moves[:, k]).max() + 1 if moves[:, k].any() else 0 for k in range(8)]
    )
    np.testing.assert_array_equal(run.settled_at, expected)
    tracked = simulate(
        HIMMELBLAU,
        SGD(lr=0.01, momentum=0.9),
        starts,
        150,
        tol=1e-3,
        record="final",
        track_settling=True,
    )
    np.testing.assert_array_equal(tracked.settled_at, expected)


# -- metric-driven rules ------------------------------------------------------------------------


def test_plateau_rule_gives_each_run_its_own_lr():
    starts = np.array([[0.0, 0.0], [3.0, 2.0]])  # far from / at a minimum
    rule = ReduceLROnPlateau(patience=3, factor=0.5, min_delta=1e-3)
    run = simulate(HIMMELBLAU, SGD(lr=0.01), starts, 40, callbacks=[rule])
    assert run.lrs.shape == (40, 2)
    assert run.lrs[-1, 1] < run.lrs[-1, 0]  # the run sitting at a minimum stops improving first
    # the same rule, driven by hand, one run at a time
    for k in range(2):
        state = rule.init(0.01)
        params, opt_state = starts[k], SGD(lr=0.01).init(starts[k])
        for e in range(40):
            assert run.lrs[e, k] == state.lr
            params, opt_state = SGD(lr=float(state.lr)).update(
                params, HIMMELBLAU.grad(params), opt_state
            )
            state = rule.update(state, np.array(HIMMELBLAU.value(params)))
        np.testing.assert_allclose(run.final[k], params, rtol=1e-12)


def test_adaptive_rule_stops_runs_at_its_minimum_lr():
    run = simulate(
        HIMMELBLAU,
        SGD(lr=1e-5),
        np.array([[3.0, 2.0]]),
        60,
        callbacks=[Adaptive(n_iter_no_change=2, min_lr=1e-6)],
    )
    assert run.lrs[-1, 0] == 0.0
    assert (run.lrs[:, 0] > 0).any()


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: simulate(HIMMELBLAU, SGD(lr=0.1), np.zeros((3, 3)), 5), ValueError, "starts"),
        (
            lambda: simulate(HIMMELBLAU, SGD(lr=0.1), [[np.nan, 0.0]], 5),
            ValueError,
            "starts must be finite",
        ),
        (lambda: simulate(HIMMELBLAU, SGD(lr=0.1), [[0.0, 0.0]], -1), ValueError, "steps"),
        (lambda: simulate(HIMMELBLAU, SGD(lr=0.1), [[0.0, 0.0]], 2.5), TypeError, "steps"),
        (
            lambda: simulate(HIMMELBLAU, SGD(lr=0.1), [[0.0, 0.0]], 5, record="some"),
            ValueError,
            "record",
        ),
        (
            lambda: simulate(HIMMELBLAU, SGD(lr=0.1), [[0.0, 0.0]], 5, record=0),
            ValueError,
            "record",
        ),
        (lambda: simulate(HIMMELBLAU, "sgd", [[0.0, 0.0]], 5), TypeError, "optimizer"),
        (
            lambda: simulate("himmelblua", SGD(lr=0.1), [[0.0, 0.0]], 5),
            ValueError,
            "did you mean 'himmelblau'",
        ),
        (
            lambda: simulate(
                HIMMELBLAU, SGD(lr=schedules.function(lambda e: 0.1 - 0.05 * e)), [[0.0, 0.0]], 5
            ),
            ValueError,
            "lr",
        ),
        (
            lambda: simulate(HIMMELBLAU, SGD(lr=0.1), [[0.0, 0.0]], 5, noise=-1.0),
            ValueError,
            "noise",
        ),
        (
            lambda: simulate(
                HIMMELBLAU,
                SGD(lr=schedules.constant(0.1)),
                [[0.0, 0.0]],
                5,
                callbacks=[ReduceLROnPlateau()],
            ),
            TypeError,
            "constant lr",
        ),
        (lambda: sweep(HIMMELBLAU, SGD, [[0.0, 0.0]], 5), ValueError, "grid"),
        (lambda: sweep(HIMMELBLAU, SGD, [[0.0, 0.0]], 5, lr=[]), ValueError, "lr"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()
