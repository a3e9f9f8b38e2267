"""Divergence is data: no RuntimeWarning reaches the user from any path of the engine.

Starts so far out that the loss overflows (1e80 squared is beyond float64), runs that blow up on
the way, and everything computed from such a run afterwards (the final loss, the minimum
reached, summaries, sub-runs, maps) stay silent. Warnings are turned into errors here, so a
single one fails the test.
"""

import warnings

import numpy as np
import pytest

import gdsim

FAR = [[1e80, 0.0], [-1e160, 3.0], [2.0, 1e300], [1.0, 1.0]]


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_a_start_whose_loss_overflows_is_silent_and_diverged():
    surface = gdsim.surfaces.get("himmelblau")
    run = gdsim.simulate(surface, gdsim.SGD(lr=0.01), [[1e80, 0.0]], 5)
    assert run.diverged.all()
    assert run.final_loss[0] == np.inf
    assert run.reached[0] == gdsim.DIVERGED


@pytest.mark.parametrize("name", gdsim.surfaces.names())
@pytest.mark.parametrize("record", ["all", "final", 3])
def test_every_surface_and_record_mode_stays_silent_far_out(name, record):
    surface = gdsim.surfaces.get(name)
    run = gdsim.simulate(surface, gdsim.Adam(lr=0.1), FAR, 7, record=record, track_settling=True)
    run.summary()
    repr(run)
    run.converged
    assert run.final.shape == (4, 2) and run.final_loss.shape == (4,)
    assert np.isfinite(run.final).all()  # frozen at the last finite point


@pytest.mark.parametrize(
    "optimizer",
    [
        # adaptive methods step by about lr whatever the gradient: only a huge lr escapes the box
        gdsim.SGD(lr=1.0, momentum=0.9, nesterov=True),
        gdsim.Adagrad(lr=1e8),
        gdsim.RMSprop(lr=1e8, centered=True),
        gdsim.Adam(lr=1e8, amsgrad=True),
        gdsim.AdamW(lr=1e8),
    ],
)
@pytest.mark.parametrize("rule", [False, True])
def test_runs_that_blow_up_on_the_way_stay_silent(optimizer, rule):
    starts = np.random.default_rng(0).uniform(-2, 2, (64, 2))
    callbacks = [gdsim.ReduceLROnPlateau(monitor="loss")] if rule else ()
    run = gdsim.simulate(
        "rosenbrock", optimizer, starts, 200, noise=50.0, seed=3, callbacks=callbacks
    )
    run.summary()
    assert run.diverged.any()


def test_sweeps_and_their_sub_runs_stay_silent():
    run = gdsim.sweep("beale", gdsim.SGD, FAR, 20, lr=[1e-3, 1.0, 1e3], momentum=[0.0, 0.99])
    for lr in (1e-3, 1.0, 1e3):
        cell = run.select(lr=lr)
        cell.summary()
        cell.labels()
    assert run.diverged.any()


def test_maps_of_diverging_settings_stay_silent():
    basin_map = gdsim.basins("himmelblau", gdsim.SGD, grid=12, steps=30, lr=[0.01, 5.0])
    basin_map.fractions()
    repr(basin_map)
    stability = gdsim.stability(
        "quadratic", gdsim.SGD, 60, lr=np.geomspace(1e-3, 1e3, 12), momentum=[0.0, 0.9, 0.999]
    )
    stability.fractions()
    repr(stability)
    assert (stability.classes == 3).any()


def test_a_user_surface_that_overflows_stays_silent():
    surface = gdsim.surfaces.custom(
        lambda p: np.exp(p[..., 0]) + p[..., 1] ** 4,
        bounds=((-3, 3), (-3, 3)),
        minima=[[-3.0, 0.0]],
    )
    run = gdsim.simulate(surface, gdsim.SGD(lr=1.0), [[700.0, 0.0], [0.0, 1e100]], 10)
    run.summary()
    assert run.diverged.all()


def test_classifying_losses_near_the_float_limit_stays_silent():
    """exp(709.5) is 1.3e308: four times it overflows in the 'growing peaks' test."""
    surface = gdsim.surfaces.custom(
        lambda p: np.exp(p[..., 0]) + p[..., 1] ** 2,
        grad=lambda p: np.stack([np.exp(p[..., 0]), 2 * p[..., 1]], axis=-1),
        bounds=((-3, 3), (-3, 3)),
        minima=[[-3.0, 0.0]],
    )
    stability = gdsim.stability(surface, gdsim.SGD, 40, start=[709.5, 0.0], lr=[1e-320, 1e-310])
    assert stability.classes.shape == (1, 2)
