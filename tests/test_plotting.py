"""Plots are checked on their data: what each artist holds must be what the run computed."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gdsim import optimizers, plotting, schedules, surfaces
from gdsim.sim import simulate, sweep


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


STARTS = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, -3.0]])


def test_trajectory_lines_hold_the_runs_positions():
    run = simulate("himmelblau", optimizers.SGD(lr=0.01), STARTS, 30)
    drawn = plotting.trajectories(run)
    assert len(drawn.lines) == 1 and len(drawn.lines[0]) == 3
    for i, line in enumerate(drawn.lines[0]):
        np.testing.assert_array_equal(line.get_xydata(), run.positions[:, i])
    np.testing.assert_array_equal(drawn.starts[0].get_xydata(), STARTS)
    np.testing.assert_array_equal(drawn.ends[0].get_xydata(), run.final)


def test_sweep_cells_get_one_colour_and_label_each():
    run = sweep(
        "rosenbrock", optimizers.SGD, STARTS[:2] * 0.5, 10, lr=[1e-3, 2e-3], momentum=[0.0, 0.9]
    )
    drawn = plotting.trajectories(run)
    assert drawn.groups == run.labels()
    colours = [group[0].get_color() for group in drawn.lines]
    assert colours == list(plotting.PALETTE[:4])
    np.testing.assert_array_equal(drawn.lines[3][1].get_xydata(), run.positions[:, 1, 1, 1])
    assert [t.get_text() for t in drawn.ax.get_legend().get_texts()] == run.labels()


def test_list_of_runs_is_a_race_with_optimizer_labels():
    surface = surfaces.get("himmelblau")
    runs = [
        simulate(surface, opt, STARTS[:1], 20)
        for opt in (optimizers.SGD(lr=0.01), optimizers.Adam(lr=0.1))
    ]
    drawn = plotting.trajectories(runs)
    assert drawn.groups == [r.optimizer.label() for r in runs]
    np.testing.assert_array_equal(drawn.lines[1][0].get_xydata(), runs[1].positions[:, 0])


def test_surface_with_paths_and_every():
    paths = np.cumsum(np.ones((11, 2, 2)) * 0.1, axis=0)
    fig, ax = plt.subplots()
    drawn = plotting.trajectories("quadratic", paths, ax=ax, every=4, background=False)
    assert drawn.ax is ax and drawn.background is None
    np.testing.assert_array_equal(drawn.lines[0][0].get_xydata(), paths[[0, 4, 8, 10], 0])


def test_contour_marks_minima_and_uses_log_levels():
    surface = surfaces.get("himmelblau")
    drawn = plotting.contour(surface, resolution=40, levels=12)
    np.testing.assert_array_equal(drawn.minima.get_xydata(), surface.minima)
    np.testing.assert_array_equal(drawn.saddles.get_xydata(), surface.saddles)
    gaps = np.diff(np.log(drawn.levels - surface.grid(40)[2].min()))
    np.testing.assert_allclose(gaps, gaps[0])  # geometric spacing
    assert drawn.ax.get_xlim() == surface.bounds[0]


def test_losses_are_the_gap_to_the_minimum():
    run = simulate("three_hump_camel", optimizers.SGD(lr=0.05), STARTS[:2] * 0.5, 15)
    drawn = plotting.losses(run)
    expected = np.maximum(run.losses[:, 1] - run.surface.minima_values[0], np.finfo(float).tiny)
    np.testing.assert_allclose(drawn.lines[0][1].get_ydata(), expected)
    assert drawn.ax.get_yscale() == "log"


def test_schedule_curves_are_the_schedule_values():
    sched = {"cosine": schedules.cosine(0.1, 50), "step": schedules.step(0.1, 10)}
    drawn = plotting.schedules(sched, 50)
    np.testing.assert_allclose(drawn.lines[0][0].get_ydata(), sched["cosine"](np.arange(50)))
    np.testing.assert_allclose(drawn.lines[1][0].get_ydata(), sched["step"](np.arange(50)))
    swept = schedules.exponential(np.array([0.1, 0.2])[:, None], 0.9)
    drawn = plotting.schedules([swept], 20)
    assert len(drawn.lines[0]) == 2


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="paths"):
        plotting.trajectories("quadratic", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="unknown surface"):
        plotting.contour("himmelblua")
    with pytest.raises(ValueError, match="labels"):
        plotting.trajectories(
            simulate("quadratic", optimizers.SGD(lr=0.1), STARTS, 3), labels=["a", "b"]
        )


def test_surface3d_lifts_the_paths_onto_the_surface():
    run = simulate("himmelblau", optimizers.Adam(lr=0.1), STARTS[:2], 10)
    drawn = plotting.surface3d(run, resolution=20)
    x, y, z = drawn.lines[0][1].get_data_3d()
    np.testing.assert_array_equal(x, run.positions[:, 1, 0])
    np.testing.assert_allclose(z, run.losses[:, 1])


def test_history_grid_draws_each_condition_and_its_mean():
    loss = np.linspace(2, 1, 6)[:, None, None] * np.arange(1, 7).reshape(1, 2, 3)
    hist = {"loss": loss, "val_loss": loss * 1.1, "accuracy": 1 / loss}
    drawn = plotting.history(hist, labels=["lr=0.1", "lr=0.01"])
    assert list(drawn.lines) == ["loss", "accuracy"]
    # train: 3 seeds + mean for each of 2 conditions, then the same for validation
    assert len(drawn.lines["loss"]) == 4 and len(drawn.lines["loss"][0]) == 4
    np.testing.assert_allclose(drawn.lines["loss"][1][3].get_ydata(), loss[:, 1].mean(axis=1))
    np.testing.assert_allclose(drawn.lines["loss"][2][0].get_ydata(), hist["val_loss"][:, 0, 0])
    assert drawn.axes[0].get_yscale() == "log"
    single = plotting.history({"loss": np.array([3.0, 2.0, 1.0])})
    np.testing.assert_array_equal(single.lines["loss"][0][0].get_ydata(), [3, 2, 1])
    with pytest.raises(ValueError, match="metric"):
        plotting.history(hist, metrics=["los"])


def test_schedule_gallery_writes_a_file(tmp_path):
    path = plotting.schedule_gallery(tmp_path / "gallery.png", steps=40)
    assert path.exists() and path.stat().st_size > 10_000
    drawn = plotting.schedule_gallery(steps=40)
    assert len(drawn.lines) == len(drawn.axes) == 14
    titles = [ax.get_title() for ax in drawn.axes]
    assert "warmup-stable-decay (WSD)" in titles and "inverse sqrt (Noam)" in titles


def test_groups_name_cells_by_their_hyperparameters():
    run = simulate(
        "himmelblau", optimizers.SGD(lr=np.array([[0.001], [0.01]]), momentum=0.5), STARTS, 5
    )
    found = plotting.groups(run)
    assert [g.label for g in found] == ["SGD (lr=0.001)", "SGD (lr=0.01)"]
    assert found[1].optimizer.lr == 0.01 and found[1].optimizer.momentum == 0.5
    np.testing.assert_array_equal(found[1].positions, run.positions[:, 1])
    swept = sweep(
        "quadratic", optimizers.SGD, STARTS, 5, lr=[0.1], nesterov=[False, True], momentum=[0.5]
    )
    assert [g.optimizer.nesterov for g in plotting.groups(swept)] == [False, True]


def test_style_context_sets_the_palette_and_sizes():
    with plotting.style():
        assert matplotlib.rcParams["font.size"] == plotting.FONT_SIZE
        (line,) = plt.figure().add_subplot().plot([0, 1])
        assert line.get_color() == plotting.PALETTE[0]


def test_every_plot_method_returns_the_same_drawn_convention():
    """``.plot()`` of every result gives ``drawn.ax`` (main axes), ``drawn.axes`` and
    ``drawn.figure``, one panel or many."""
    import matplotlib.pyplot as plt

    import gdsim

    sgd = gdsim.SGD(lr=0.01)
    results = [
        gdsim.basins("himmelblau", sgd, grid=8, steps=20),
        gdsim.basins("himmelblau", sgd, grid=8, steps=20, lr=[0.005, 0.01]),
        gdsim.stability(gdsim.surfaces.get("quadratic"), gdsim.SGD, 20, lr=[0.01, 0.1, 1.0]),
    ]
    for result in results:
        drawn = result.plot()
        assert drawn.ax in drawn.axes and drawn.figure is drawn.ax.figure
    plt.close("all")


def test_select_into_every_drawing_function():
    import gdsim

    grid = gdsim.sweep(
        "himmelblau",
        gdsim.SGD,
        [[1.0, 1.0], [-2.0, 2.0]],
        20,
        lr=[0.001, 0.01],
        momentum=[0.0, 0.9],
    )
    cell = grid.select(lr=0.01, momentum=0.9)
    for draw in (plotting.trajectories, plotting.losses):
        drawn = draw([cell, grid.select(lr=0.001, momentum=0.0)])
        labels = [t.get_text() for t in drawn.ax.get_legend().get_texts()]
        assert labels == ["SGD (lr=0.01, momentum=0.9)", "SGD (lr=0.001)"]
    anim = gdsim.animate(cell, frames=2)
    anim.close()
