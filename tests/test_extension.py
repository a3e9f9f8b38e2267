"""The public extension protocol: an optimizer written outside gdsim (Lion, exactly as the
layout issue gives it) works everywhere without editing gdsim."""

import numpy as np
import pytest

import gdsim
from gdsim import cli, optimizers, schedules, surfaces
from gdsim.nn import MLP, fit


class Lion(gdsim.Optimizer):
    """Lion: c = b1*m + (1-b1)*g;
    theta <- theta - lr*(sign(c) + wd*theta);  m <- b2*m + (1-b2)*g"""

    def __init__(self, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(lr=lr, beta1=betas[0], beta2=betas[1], weight_decay=weight_decay)

    def init(self, params):
        return {"exp_avg": np.zeros_like(params)}

    def update(self, params, grad, state, hp):
        c = hp["beta1"] * state["exp_avg"] + (1 - hp["beta1"]) * grad
        new_params = params - hp["lr"] * (np.sign(c) + hp["weight_decay"] * params)
        exp_avg = hp["beta2"] * state["exp_avg"] + (1 - hp["beta2"]) * grad
        return new_params, {"exp_avg": exp_avg}


def lion_by_hand(surface, start, steps, lr, b1=0.9, b2=0.99, wd=0.0):
    """The same rule, one point, a plain loop: the oracle for every use below."""
    theta, m = np.array(start, dtype=float), np.zeros(2)
    path = [theta.copy()]
    for e in range(steps):
        rate = lr(e) if callable(lr) else lr
        g = surface.grad(theta)
        c = b1 * m + (1 - b1) * g
        theta = theta - rate * (np.sign(c) + wd * theta)
        m = b2 * m + (1 - b2) * g
        path.append(theta.copy())
    return np.array(path)


@pytest.fixture
def registered():
    optimizers.register("lion", Lion, "sign of an interpolated momentum (Chen et al. 2023)")
    yield
    optimizers.REGISTRY.unregister("lion")


STARTS = np.array([[-3.0, 3.0], [1.0, -2.0], [0.5, 0.5]])


def test_constructor_stores_and_checks_every_hyperparameter():
    lion = Lion(lr=3e-4, betas=(0.95, 0.98), weight_decay=0.1)
    assert lion.hyperparameters() == {"lr": 3e-4, "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1}
    assert lion.label() == "Lion (lr=0.0003, beta1=0.95, beta2=0.98, weight_decay=0.1)"
    assert Lion().label() == "Lion (lr=0.0001)"
    for bad, name in (
        (dict(lr=0.0), "lr"),
        (dict(lr=np.inf), "lr"),
        (dict(weight_decay=-1), "weight_decay"),
        (dict(betas=(np.nan, 0.9)), "beta1"),
    ):
        with pytest.raises(ValueError, match=name):
            Lion(**bad)
    with pytest.raises(TypeError, match="lr"):
        Lion(lr="fast")


@pytest.mark.parametrize("lr_kind", ["constant", "per-run array", "schedule"])
def test_simulate_matches_the_rule_by_hand(lr_kind):
    surface = surfaces.get("himmelblau")
    lrs = np.array([0.01, 0.03, 0.05])
    lr = {"constant": 0.02, "per-run array": lrs, "schedule": schedules.cosine(0.05, 60)}[lr_kind]
    run = gdsim.simulate(surface, Lion(lr=lr), STARTS, 60)
    for i, start in enumerate(STARTS):
        rate = lrs[i] if lr_kind == "per-run array" else lr
        np.testing.assert_allclose(
            run.positions[:, i], lion_by_hand(surface, start, 60, rate), rtol=1e-13, atol=1e-13
        )


def test_sweep_equals_separate_runs_bit_for_bit():
    surface = surfaces.get("rosenbrock")
    grid = gdsim.sweep(surface, Lion, STARTS, 40, lr=[0.001, 0.01], weight_decay=[0.0, 0.1])
    assert grid.axes == ("lr", "weight_decay", "start")
    for i, lr in enumerate([0.001, 0.01]):
        for j, wd in enumerate([0.0, 0.1]):
            single = gdsim.simulate(surface, Lion(lr=lr, weight_decay=wd), STARTS, 40)
            np.testing.assert_array_equal(grid.positions[:, i, j], single.positions)
    assert grid.labels() == [
        "lr=0.001, weight_decay=0",
        "lr=0.001, weight_decay=0.1",
        "lr=0.01, weight_decay=0",
        "lr=0.01, weight_decay=0.1",
    ]
    cell = grid.select(lr=0.01, weight_decay=0.1)
    assert isinstance(cell.optimizer, Lion) and cell.labels() == [
        "Lion (lr=0.01, weight_decay=0.1)"
    ]


def test_basins_and_stability_run_it():
    basin_map = gdsim.basins("himmelblau", Lion(lr=0.02), grid=12, steps=300)
    assert basin_map.labels.shape == (12, 12) and basin_map.labels.max() >= 0
    panels = gdsim.basins("himmelblau", Lion(), grid=8, steps=100, lr=[0.01, 0.05])
    assert panels.labels.shape == (2, 8, 8)
    result = gdsim.stability(
        surfaces.get("quadratic"), Lion, 100, lr=np.geomspace(1e-3, 1, 6), beta1=[0.0, 0.9]
    )
    assert result.classes.shape == (2, 6)


def test_diverged_runs_freeze_position_and_state():
    # Lion's steps have length lr per coordinate: lr 1e7 leaves the plotting box at once
    run = gdsim.simulate("himmelblau", Lion(lr=np.array([1e7, 0.01])), [[1.0, 1.0]], 30)
    assert run.diverged.tolist() == [True, False] and run.diverged_at[0] == 1
    np.testing.assert_array_equal(run.positions[1:, 0], np.broadcast_to([1.0, 1.0], (30, 2)))


def test_animate_labels_it_from_its_hyperparameters():
    from gdsim.plotting import animation

    runs = [gdsim.simulate("himmelblau", opt, STARTS, 20) for opt in (Lion(lr=0.05), gdsim.SGD())]
    anim = animation.animate(runs, frames=3)
    try:
        legends = anim.figure.legends + [
            ax.get_legend() for ax in anim.figure.axes if ax.get_legend()
        ]
        texts = [t.get_text() for legend in legends for t in legend.get_texts()]
        assert texts == ["Lion (lr=0.05)", "SGD (lr=0.001)"], texts
    finally:
        anim.close()


def test_fit_one_model_and_a_population_with_per_member_values():
    X, y = gdsim.datasets.blobs(60, centers=3, n_features=2, seed=0)
    single = MLP([2, 6, 3], seed=1)
    history = fit(single, Lion(lr=1e-3), X, y, epochs=3, batch_size=20, verbose=0, shuffle=False)
    assert np.isfinite(history.loss).all() and history.loss[-1] < history.loss[0]
    population = MLP([2, 6, 3], population=2, seed=[1, 2])
    pop_history = fit(
        population,
        Lion(lr=np.array([1e-3, 3e-3])),
        X,
        y,
        epochs=3,
        batch_size=20,
        verbose=0,
        shuffle=False,
    )
    for k, (seed, lr) in enumerate([(1, 1e-3), (2, 3e-3)]):
        alone = MLP([2, 6, 3], seed=seed)
        fit(alone, Lion(lr=lr), X, y, epochs=3, batch_size=20, verbose=0, shuffle=False)
        for w_pop, w_alone in zip(population.get_weights(), alone.get_weights()):
            np.testing.assert_allclose(w_pop[k], w_alone, rtol=1e-12, atol=1e-14)
    assert pop_history.loss.shape == (3, 2)


def test_lr_find_runs_it():
    X, y = gdsim.datasets.blobs(200, centers=3, n_features=2, seed=0)
    result = gdsim.lr_find(MLP([2, 8, 3], seed=0), Lion(), X, y, end_lr=1.0, num_it=60)
    assert 1e-7 <= result.valley <= 1.0


def test_register_get_and_list(registered, capsys):
    lion = optimizers.get("lion", lr=3e-4)
    assert isinstance(lion, Lion) and lion.lr == 3e-4
    assert "lion" in optimizers.names()
    assert cli.main(["list"]) == 0
    assert "lion" in capsys.readouterr().out
    with pytest.raises(ValueError, match="already registered"):
        optimizers.register("lion", Lion)
    with pytest.raises(ValueError, match="did you mean 'lion'"):
        optimizers.get("loin")


def test_explorer_menu_offers_it_with_sliders_from_its_hyperparameters(registered):
    pytest.importorskip("ipywidgets")
    from gdsim.plotting import explorer

    ex = explorer.explore("himmelblau", optimizer="lion", n_starts=4, steps=30)
    try:
        assert "lion" in ex.widgets["optimizer"].options
        for name in ("beta1", "beta2", "weight_decay"):
            assert ex.widgets[name].layout.display is None, name
        assert ex.widgets["momentum"].layout.display == "none"
        ex.widgets["weight_decay"].value = 0.5
        assert isinstance(ex.run.optimizer, Lion) and ex.run.optimizer.weight_decay == 0.5
        assert ex.error is None
    finally:
        getattr(ex, "close", lambda: None)()


def test_a_subclass_keeps_its_parent_defaults():
    class MyAdam(gdsim.Adam):
        pass

    opt = MyAdam()
    assert opt.lr == 1e-3 and opt.eps == 1e-8 and MyAdam(convention="keras").eps == 1e-7
    assert MyAdam(lr=0.1).label() == "MyAdam (lr=0.1)"


# -- the same protocol for surfaces, schedules and gallery figures ------------------------------


def test_a_registered_surface_is_built_by_name_and_listed(capsys):
    def tilted_bowl(tilt=0.5):
        return surfaces.custom(
            lambda p: (p**2).sum(axis=-1) + tilt * p[..., 0],
            lambda p: 2 * p + np.array([tilt, 0.0]),
            name="tilted_bowl",
        )

    surfaces.register("tilted_bowl", tilted_bowl, "a bowl tilted along x")
    try:
        bowl = surfaces.get("tilted_bowl", tilt=1.0)
        np.testing.assert_allclose(bowl.minima[0], [-0.5, 0.0], atol=1e-8)
        run = gdsim.simulate("tilted_bowl", gdsim.SGD(lr=0.1), [[2.0, 2.0]], 200)
        assert run.reached[0] == 0
        cli.main(["list"])
        assert "tilted_bowl" in capsys.readouterr().out
    finally:
        surfaces.REGISTRY.unregister("tilted_bowl")
    with pytest.raises(ValueError, match="unknown surface"):
        surfaces.get("tilted_bowl")


def test_any_callable_of_the_step_is_a_schedule_and_a_factory_can_be_registered(capsys):
    def halving(lr, every=10):
        """Halve the lr every ``every`` steps."""
        return lambda e: lr * 0.5 ** (np.asarray(e) // every)

    run = gdsim.simulate("quadratic", gdsim.SGD(lr=halving(0.1, 5)), [[1.0, 1.0]], 20)
    np.testing.assert_allclose(run.lrs, 0.1 * 0.5 ** (np.arange(20) // 5), rtol=0, atol=0)
    schedules.register("halving", halving)
    try:
        assert schedules.get("halving", lr=0.2)(np.arange(3)).tolist() == [0.2, 0.2, 0.2]
        cli.main(["list"])
        assert "Halve the lr every ``every`` steps." in capsys.readouterr().out
    finally:
        schedules.REGISTRY.unregister("halving")


def test_a_registered_gallery_figure_is_drawn_by_gdsim_figure(tmp_path, capsys):
    from gdsim.teach import gallery

    def bowl_paths():
        """PNG: three SGD paths on the quadratic bowl."""
        run = gdsim.simulate("quadratic", gdsim.SGD(lr=0.05), STARTS, 30)
        return gdsim.plotting.trajectories(run).ax.figure

    gallery.register("bowl-paths", bowl_paths)
    try:
        out = tmp_path / "bowl.png"
        assert cli.main(["figure", "bowl-paths", "--out", str(out)]) == 0
        assert out.stat().st_size > 1000
        assert cli.main(["figure", "--list"]) == 0
        assert "PNG: three SGD paths on the quadratic bowl." in capsys.readouterr().out
    finally:
        gallery.unregister("bowl-paths")
