"""Lesson 6's figures say what their data show: loss curves, their diagnoses, a network's path."""

import re
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

from gdsim import diagnose
from gdsim.teach.gallery import lesson06

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -- the shadow of a motion -------------------------------------------------------------------


@pytest.fixture(scope="module")
def regimes():
    return lesson06.regime_runs()


def test_shadow_words_hold_on_the_loss_curves(regimes):
    runs, labels = regimes
    words = lesson06.shadow_words(runs)
    shapes = [lesson06.curve_shape(run.losses[:, 0]) for run in runs]
    (high, bounce_high, _), (low, _, fall_low), (decay, _, _) = shapes
    assert words[0] == f"bounces {bounce_high:.0f}× above its best" and bounce_high > 10
    assert words[1] == "is still falling" and fall_low < lesson06.FALLING
    assert words[2].startswith("ends lowest") and decay < min(high, low)
    # the level really is the last quarter's median, the best the curve's minimum
    losses = runs[0].losses[:, 0]
    assert high == pytest.approx(np.median(losses[-(len(losses) // 4) :]))
    assert bounce_high == pytest.approx(high / losses.min())
    title = lesson06.shadow_title(runs, labels)
    assert "large constant bounces" in title and "small constant is still falling" in title
    assert "large decaying ends lowest" in title


def test_shadow_words_say_levelled_off_when_nothing_moves():
    flat = [SimpleNamespace(losses=np.full((40, 1), v)) for v in (1.0, 2.0)]
    assert lesson06.shadow_words(flat) == ["ends lowest (1e0)", "has levelled off"]


def test_loss_shadow_movie_shows_the_losses_beside_the_paths(regimes):
    runs, labels = regimes
    movie = lesson06.loss_shadow_movie(runs, labels, frames=3)
    try:
        assert movie.figure.gdsim_figure == "loss-shadow-movie"
        assert movie.figure._suptitle.get_text() == lesson06.shadow_title(runs, labels)
        assert movie.figure.axes[1].get_yscale() == "log"  # the loss panel
        legend = [t.get_text() for t in movie.figure.legends[0].get_texts()]
        assert legend == labels
    finally:
        movie.close()


# -- diagnosed curves ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_cases():
    return lesson06.loss_cases(epochs=20)


def test_diagnosed_curves_title_each_panel_with_its_diagnosis(short_cases):
    fig = lesson06.diagnosed_curves(short_cases)
    assert fig.gdsim_figure == "diagnosed-curves"
    diagnoses = {
        name: diagnose({"loss": loss, "val_loss": val}) for name, (loss, val) in short_cases.items()
    }
    panels = fig.axes[: len(short_cases)]
    for ax, (name, d) in zip(panels, diagnoses.items()):
        assert ax.get_title() == f"{name}\n→ {d.label}\n{lesson06.evidence_line(d)}"
    assert fig._suptitle.get_text() == lesson06.diagnoses_title(diagnoses)
    counts = re.findall(r"(\d+) ([a-z ]+?)(?:,|$)", fig._suptitle.get_text().split(": ")[1])
    assert sum(int(n) for n, _ in counts) == len(short_cases)
    # the legend sits in the spare panel, which draws no data
    spare = fig.axes[len(short_cases)]
    assert spare.get_legend() is not None and not spare.get_lines()


def test_evidence_lines_quote_the_numbers_the_rules_read():
    epochs = np.arange(200)
    rng = np.random.default_rng(0)
    bouncy = 1 + rng.random(200)
    bouncy[0] = 10
    d = diagnose(bouncy)
    assert d.label == "too high"
    assert lesson06.evidence_line(d) == (
        f"jumps {d.evidence['noise']:.0%}/epoch, {d.evidence['bounce']:.0%} over best"
    )
    train = np.exp(-epochs / 40)
    val = 0.4 + (epochs - 30) ** 2 / 2000  # best at epoch 30, then up
    d = diagnose({"loss": train, "val_loss": val})
    assert d.label == "overfitting" and 25 <= d.evidence["val_best_epoch"] <= 30
    # epochs counted from 1, as the figure's axis draws them
    best = d.evidence["val_best_epoch"] + 1
    assert (
        lesson06.evidence_line(d)
        == f"val. {d.evidence['val_rise']:.0%} over best (epoch {best:.0f})"
    )


def test_an_overfitting_panel_marks_its_best_validation_epoch():
    epochs = np.arange(200)
    cases = {"overfits": (np.exp(-epochs / 40), 0.4 + (epochs - 30) ** 2 / 2000)}
    fig = lesson06.diagnosed_curves(cases)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    d = diagnose({"loss": cases["overfits"][0], "val_loss": cases["overfits"][1]})
    assert line.get_xdata()[0] == d.evidence["val_best_epoch"] + 1  # epochs drawn from 1
    # the validation curve is lowest near the line (its smoothed minimum)
    val = cases["overfits"][1]
    assert abs(np.argmin(val) + 1 - line.get_xdata()[0]) <= 5
    assert "overfitting" in fig.axes[0].get_title()


# -- the network's path ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landscape():
    return lesson06.network_landscape(epochs=60, resolution=8)


def test_path_title_reads_the_loss_along_the_path(landscape):
    title = lesson06.path_title(landscape)
    d = diagnose(np.asarray(landscape.path_loss))
    assert f"jumps {d.evidence['noise']:.0%} epoch to epoch (diagnose: {d.label})" in title
    assert d.label == "too high" and title.startswith("The network's loss never settles:\nit jumps")


def test_path_title_does_not_say_never_settles_for_a_smooth_path():
    smooth = SimpleNamespace(path_loss=1 + np.exp(-np.arange(61) / 5))
    assert "never settles" not in lesson06.path_title(smooth)


def test_network_path_movie_takes_the_lessons_landscape_and_a_projector_size(landscape):
    movie = lesson06.network_path_movie(landscape, figsize=(13.33, 7.5))
    try:
        assert movie.figure.gdsim_figure == "network-path-movie"
        np.testing.assert_allclose(movie.figure.get_size_inches(), (13.33, 7.5))
        assert len(movie) == len(landscape.path)
        assert movie.figure._suptitle.get_text() == lesson06.path_title(landscape)
    finally:
        movie.close()


def test_figures_look_the_same_whatever_the_notebooks_rc_settings(landscape):
    import matplotlib.pyplot as plt

    def sizes():
        movie = lesson06.network_path_movie(landscape)
        try:
            return movie.figure._suptitle.get_fontsize(), movie.figure.get_size_inches().tolist()
        finally:
            movie.close()

    plain = sizes()
    with plt.rc_context({"font.size": 20}):  # what a notebook's use_style() changes
        assert sizes() == plain
