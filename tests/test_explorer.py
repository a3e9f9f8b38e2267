"""The explorer driven programmatically, as a notebook user would through the widgets."""

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace

import numpy as np
import pytest

from gdsim import optimizers, schedules
from gdsim.plotting import explorer
from gdsim.sim import simulate


@pytest.fixture()
def ex():
    e = explorer.explore("himmelblau", steps=60, n_starts=6, dpi=40)
    yield e
    import matplotlib.pyplot as plt

    plt.close(e.figure)


def test_changing_a_widget_recomputes_and_redraws(ex):
    before = ex.redraws
    ex.widgets["lr"].value = 0.005
    assert ex.redraws == before + 1
    assert ex.run.optimizer.lr == 0.005
    expected = simulate("himmelblau", optimizers.SGD(lr=0.005), ex.starts(), 60)
    np.testing.assert_array_equal(ex.run.positions, expected.positions)
    for segment, i in zip(ex.trails.get_segments(), range(6)):
        np.testing.assert_array_equal(segment, expected.positions[:, i])
    assert ex.view.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_optimizer_choice_builds_the_right_optimizer_and_shows_its_sliders(ex):
    with ex.hold():
        ex.widgets["optimizer"].value = "adam"
        ex.widgets["beta1"].value = 0.8
        ex.widgets["lr"].value = 0.05
    assert isinstance(ex.run.optimizer, optimizers.Adam)
    assert ex.run.optimizer.betas == (0.8, 0.999) and ex.run.optimizer.lr == ex.widgets["lr"].value
    assert (
        ex.widgets["momentum"].layout.display == "none"
        and ex.widgets["beta1"].layout.display is None
    )
    adam_lr = ex.widgets["lr"].value
    ex.widgets["optimizer"].value = "sgd"
    ex.widgets["momentum"].value = 0.9
    assert ex.run.optimizer.momentum == 0.9
    assert ex.run.optimizer.lr != adam_lr  # each optimizer remembers its own lr
    ex.widgets["optimizer"].value = "adam"
    assert ex.run.optimizer.lr == adam_lr


def test_schedule_steps_noise_and_starts(ex):
    ex.widgets["schedule"].value = "cosine"
    np.testing.assert_allclose(
        ex.run.lrs, schedules.cosine(ex.widgets["lr"].value, 60)(np.arange(60))
    )
    ex.widgets["steps"].value = 100
    assert ex.run.positions.shape == (101, 6, 2)
    ex.widgets["noise"].value = ex.widgets["noise"].max / 2
    noisy = ex.run.positions.copy()
    ex.widgets["seed"].value = 1
    assert not np.array_equal(ex.run.positions, noisy)
    ex.widgets["n_starts"].value = 9
    ex.widgets["placement"].value = "ring"
    assert ex.run.final.shape == (9, 2)


def test_clicks_and_the_add_fields_add_starts(ex):
    ex._on_canvas_click(SimpleNamespace(inaxes=ex.ax, xdata=1.0, ydata=-2.0))
    ex._on_canvas_click(SimpleNamespace(inaxes=ex.loss_ax, xdata=50.0, ydata=1.0))  # ignored
    assert ex.clicked == [(1.0, -2.0)]
    np.testing.assert_array_equal(ex.run.positions[0, -1], [1.0, -2.0])
    height = ex.figure.canvas.get_width_height()[1]
    px, py = ex.ax.transData.transform((3.0, 2.0))
    ex._on_image_click({"dataX": px, "dataY": height - py})
    np.testing.assert_allclose(ex.clicked[-1], (3.0, 2.0))
    ex.widgets["placement"].value = "clicked only"
    assert ex.run.final.shape == (2, 2)
    ex.clear_starts()
    assert ex.run.final.shape == (0, 2)


def test_a_bad_value_is_reported_not_raised(ex):
    ex.widgets["optimizer"].value = "adagrad"
    old = ex.run
    ex.add_start(0.0, 0.0)
    assert ex.error is None
    with pytest.raises(ValueError, match="x must"):
        ex.add_start(np.nan, 0.0)
    assert ex.run is not old


def test_placements():
    from gdsim import surfaces

    s = surfaces.get("quadratic")
    for placement in explorer.PLACEMENTS:
        starts = explorer.place_starts(s, 7, placement)
        assert starts.shape == ((0, 2) if placement == "clicked only" else (7, 2))
        (x0, x1), (y0, y1) = s.bounds
        assert (
            (starts[:, 0] >= x0)
            & (starts[:, 0] <= x1)
            & (starts[:, 1] >= y0)
            & (starts[:, 1] <= y1)
        ).all()
    with pytest.raises(ValueError, match="placement"):
        explorer.place_starts(s, 3, "spiral")


def test_bad_options_name_the_argument():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; did you mean 'adam'"):
        explorer.explore("quadratic", optimizer="adamm")
    with pytest.raises(ValueError, match="steps must be between 10 and 1000"):
        explorer.explore("quadratic", steps=5000)
    with pytest.raises(ValueError, match="lr must be > 0"):
        explorer.explore("quadratic", lr=-1.0)
