"""The generic tests find new registry entries themselves: every registered optimizer, surface
and schedule must have its exactness cases, or one of these tests fails and names it.

Register an optimizer in gdsim and this file asks for its cases in tests/test_optimizers.py
(an independent scalar reference and a PyTorch record); a surface, for its stationary-point
counts and literature minima in tests/test_surfaces.py; a schedule, for its value table, sweep
and bad-value cases in tests/test_schedules.py.
"""

import inspect

import numpy as np
import pytest
import test_optimizers
import test_schedules
import test_surfaces

import gdsim
from gdsim import optimizers, schedules, surfaces


def conventions(cls):
    parameter = inspect.signature(cls).parameters.get("convention")
    return ("pytorch", "keras") if parameter is not None else ("pytorch",)


@pytest.mark.parametrize("name", optimizers.names())
def test_every_registered_optimizer_has_exactness_cases(name):
    cls = optimizers.REGISTRY.factory(name)
    for convention in conventions(cls):
        cases = [
            c
            for c in test_optimizers.CONFIGS
            if c.algo == cls.__name__ and c.convention == convention
        ]
        assert cases, f"optimizer {name!r} ({convention}) has no case in test_optimizers.CONFIGS"
        assert (convention, cls.__name__) in test_optimizers.REFERENCE_STEP, name
    assert any(c.algo == cls.__name__ for c in test_optimizers.TORCH_CONFIGS), (
        f"optimizer {name!r} has no PyTorch oracle case"
    )


@pytest.mark.parametrize("name", surfaces.names())
def test_every_registered_surface_has_exactness_cases(name):
    assert name in test_surfaces.COUNTS, f"surface {name!r} has no stationary-point counts"
    assert name in test_surfaces.KNOWN_MINIMA, f"surface {name!r} has no literature minima"


@pytest.mark.parametrize("name", schedules.names())
def test_every_registered_schedule_has_exactness_cases(name):
    assert name in test_schedules.CASES, f"schedule {name!r} has no value table"
    assert name in test_schedules.SWEEPS, f"schedule {name!r} has no sweep case"
    tested = {p.values[0].__name__ for p in test_schedules.BAD_PARAMETERS}
    assert name in tested, f"schedule {name!r} has no bad-value cases"


@pytest.mark.parametrize("name", optimizers.names())
@pytest.mark.parametrize("surface_name", ["himmelblau", "rosenbrock"])
def test_maximize_ascends_what_it_would_descend_on_the_negated_surface(name, surface_name):
    """PyTorch's maximize=True negates the gradient before anything else: the run on f must
    equal, bit for bit, the plain run on -f."""
    surface = surfaces.get(surface_name)
    negated = surfaces.custom(
        lambda p: -surface.value(p),
        lambda p: -surface.grad(p),
        bounds=surface.bounds,
        minima=np.zeros((0, 2)),
    )
    starts = np.random.default_rng(5).uniform(-1, 1, (6, 2))
    cls = optimizers.REGISTRY.factory(name)
    for convention in conventions(cls):
        options = dict(lr=1e-3, weight_decay=0.01, convention=convention)
        if name == "sgd":
            options["momentum"] = 0.9
        up = gdsim.simulate(negated, cls(maximize=True, **options), starts, 30)
        down = gdsim.simulate(surface, cls(**options), starts, 30)
        np.testing.assert_array_equal(up.positions, down.positions)
        assert not np.array_equal(up.positions[-1], up.positions[0])


def test_maximize_is_a_flag():
    assert gdsim.Adam(maximize=True).label() == "Adam (lr=0.001, maximize)"
    with pytest.raises(TypeError, match="maximize"):
        gdsim.SGD(maximize="yes")


def test_keras_accepts_nesterov_without_momentum_and_takes_plain_steps():
    plain = gdsim.simulate("himmelblau", gdsim.SGD(lr=0.01, convention="keras"), [[1.0, 1.0]], 20)
    nesterov = gdsim.simulate(
        "himmelblau", gdsim.SGD(lr=0.01, nesterov=True, convention="keras"), [[1.0, 1.0]], 20
    )
    np.testing.assert_array_equal(plain.positions, nesterov.positions)
    with pytest.raises(ValueError, match="nesterov"):
        gdsim.SGD(lr=0.01, nesterov=True)  # PyTorch refuses it
