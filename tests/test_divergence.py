"""Divergence is data: a diverged run is frozen for good, its position and its optimizer state.

The audit that found the bug: over surfaces x optimizer settings x lrs 1e2..1e7 from many
starts, thousands of diverged runs moved again after ``diverged_at`` (Adagrad all of them), and
``simulate(quadratic, Adagrad(lr=1e7), [[1, -1]], 400)`` ended 1e-112 from the minimum while
marked diverged. Every case below must move again 0 times.
"""

import numpy as np
import pytest

import gdsim
from gdsim import optimizers, surfaces

SURFACES = [
    "quadratic",
    "himmelblau",
    "rosenbrock",
    "beale",
    "rastrigin",
    "saddle",
    "plateau",
    "six_hump_camel",
]
LRS = np.geomspace(1e2, 1e7, 6)

# every registered optimizer, in both conventions, with the options that keep extra state
SETTINGS = {
    "sgd": [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}],
    "adagrad": [{}, {"lr_decay": 0.1}],
    "rmsprop": [{}, {"momentum": 0.9}, {"centered": True, "momentum": 0.5}],
    "adam": [{}, {"amsgrad": True}],
    "adamw": [{}],
}


def cases():
    for name in optimizers.names():
        for options in SETTINGS[name]:
            for convention in ("pytorch", "keras"):
                yield pytest.param(name, options, convention, id=f"{name}-{options}-{convention}")


def test_every_registered_optimizer_has_divergence_cases():
    assert set(SETTINGS) == set(optimizers.names())


def moved_after_divergence(run):
    """How many diverged runs have a recorded position after ``diverged_at`` that differs (in any
    bit) from the position at ``diverged_at - 1``."""
    moved = 0
    flat_positions = run.positions.reshape(run.positions.shape[0], -1, 2)
    for i, at in enumerate(run.diverged_at.reshape(-1)):
        if at < 0:
            continue
        held = flat_positions[at - 1, i]
        after = flat_positions[at:, i]
        moved += int(not (after == held).all())
    return moved


@pytest.mark.parametrize("name, options, convention", list(cases()))
def test_diverged_runs_never_move_again(name, options, convention):
    starts = np.random.default_rng(3).uniform(-2, 2, (32, 2))
    diverged = 0
    for surface_name in SURFACES:
        surface = surfaces.get(surface_name)
        optimizer = optimizers.get(name, lr=LRS[:, None], convention=convention, **options)
        run = gdsim.simulate(surface, optimizer, starts, 60)
        diverged += int(run.diverged.sum())
        assert moved_after_divergence(run) == 0, surface_name
        assert (run.reached[run.diverged] == gdsim.DIVERGED).all()
        # the recorded end is the frozen point, and the run's final loss is finite there
        assert np.isfinite(run.final[run.diverged]).all()
    assert diverged >= 100  # huge lrs: the case really happens, many times


def test_the_reported_adagrad_case_stays_at_its_last_good_point():
    run = gdsim.simulate("quadratic", gdsim.Adagrad(lr=1e7), [[1.0, -1.0]], 400)
    assert run.diverged[0] and run.reached[0] == gdsim.DIVERGED
    np.testing.assert_array_equal(
        run.positions[run.diverged_at[0] :, 0],
        np.broadcast_to(run.positions[run.diverged_at[0] - 1, 0], (400, 2)),
    )
    assert np.hypot(*run.final[0]) > 1.0  # not quietly at the minimum


def test_basins_paint_diverged_only_where_runs_diverged():
    basin_map = gdsim.basins("quadratic", gdsim.Adagrad(lr=1e7), grid=20)
    run = basin_map.run
    assert (basin_map.labels == gdsim.DIVERGED).sum() == run.diverged.sum() == 400
    assert np.all(np.hypot(run.final[..., 0], run.final[..., 1]) > 0.01)


def test_freezing_keeps_the_healthy_runs_bit_for_bit():
    starts = np.random.default_rng(0).uniform(-3, 3, (16, 2))
    together = gdsim.simulate(
        "himmelblau", gdsim.Adagrad(lr=np.array([1e7, 0.5])[:, None]), starts, 80
    )
    alone = gdsim.simulate("himmelblau", gdsim.Adagrad(lr=0.5), starts, 80)
    np.testing.assert_array_equal(together.positions[:, 1], alone.positions)


def test_a_user_state_record_is_frozen_too():
    class Drift(gdsim.Optimizer):
        """Steps grow with a counter kept per run in the state: it would move a frozen run."""

        def __init__(self, lr=1.0):
            super().__init__(lr=lr)

        def init(self, params):
            return {"count": np.zeros_like(params)}

        def update(self, params, grad, state, hp):
            count = state["count"] + 1
            return params - hp["lr"] * grad * count, {"count": count}

    run = gdsim.simulate("quadratic", Drift(lr=np.array([10.0, 1e-3])), [[1.0, 1.0]], 200)
    assert run.diverged.tolist() == [True, False]
    assert moved_after_divergence(run) == 0


def test_freeze_handles_every_kind_of_record():
    from gdsim.optimizers import freeze

    frozen = np.array([True, False])
    old = {"a": np.zeros((2, 2)), "b": None, "step": 3, "pair": (np.zeros(2), np.ones(2))}
    new = {"a": np.ones((2, 2)), "b": None, "step": 4, "pair": (np.ones(2), np.full(2, 2.0))}
    merged = freeze(new, old, frozen)
    np.testing.assert_array_equal(merged["a"], [[0, 1], [0, 1]])
    assert merged["b"] is None and merged["step"] == 4
    np.testing.assert_array_equal(merged["pair"][0], [0, 1])
    state = gdsim.Adam().init(np.zeros((2, 2)))
    bumped = state._replace(exp_avg=np.ones((2, 2)))
    assert type(freeze(bumped, state, frozen)) is type(state)
