"""Lesson 8's figures say what their data show: the cycles counted in the shapes' title, where
the camel runs end under each schedule, the restarts and what they do to the loss, and when a
snapshot ensemble beats its snapshots."""

import re

import matplotlib
import numpy as np
import pytest

from gdsim.sim.maps import minimum_curvatures
from gdsim.teach.gallery import lesson08

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _values(schedule, steps):
    return np.asarray(schedule(np.arange(steps)), dtype=float)


def test_shapes_title_counts_the_cycles():
    steps = 300
    named = lesson08.shapes(steps)
    title = lesson08.shapes_title(named, steps)
    # counted another way: a restart is a jump up, a triangular cycle a new trough
    for name in ("SGDR, T_0=50", "SGDR, T_0=20, T_mult=2"):
        jumps = int((np.diff(_values(named[name], steps)) > 0.05).sum())
        assert f"{name.replace(',', '')}: {jumps}×" in title
    assert jumps == 3  # T_mult=2: cycles of 20, 40, 80, 160 steps
    for name in ("triangular", "triangular2"):
        v = _values(named[name], steps)
        troughs = int(((v[1:-1] < v[:-2]) & (v[1:-1] <= v[2:])).sum())
        assert f"{name}: {troughs}×" in title
    heights = lesson08.peaks(_values(named["triangular2"], steps)) - 0.01
    assert heights[1] == pytest.approx(heights[0] / 2) and "(halving)" in title
    cycle = _values(named["one cycle"], steps)
    assert f"to step {int(np.argmax(cycle))}" in title
    assert f"{cycle[0] / cycle[-1]:,.0f}× below its start" in title
    momentum = named["one cycle"].momentum(np.arange(steps))
    assert np.argmin(momentum) == np.argmax(cycle) and "moving the other way" in title


def test_shapes_figure_draws_each_schedule_in_its_own_panel_and_colour():
    steps = 120
    named = lesson08.shapes(steps)
    figure = lesson08.cyclical_shapes(named, steps=steps)
    panels = figure.axes[: len(named)]
    colours = set()
    for ax, schedule in zip(panels, named.values()):
        (line,) = ax.get_lines()
        np.testing.assert_allclose(line.get_ydata(), _values(schedule, steps))
        colours.add(line.get_color())
    assert len(colours) == len(named)
    twin = figure.axes[len(named)]
    np.testing.assert_allclose(
        twin.get_lines()[0].get_ydata(), named["one cycle"].momentum(np.arange(steps))
    )


@pytest.fixture(scope="module")
def pair():
    return lesson08.camel_pair()


def test_restarts_title_holds_on_the_runs(pair):
    title = lesson08.restarts_title(pair)
    side = [int((run.reached > 0).sum()) for run in pair]
    assert side[0] > 0 and side[1] < side[0]  # the restarts empty the side minima
    assert f"constant 0.05: {side[0]} of 24; SGDR from 0.3: {side[1]} of 24" in title
    limits = 2 / minimum_curvatures(pair[0].surface)
    side_limit, middle_limit = re.search(r"2/λ = ([\d.]+), .* up to ([\d.]+)", title).groups()
    assert float(side_limit) == pytest.approx(limits[1:].max(), abs=0.005)
    assert float(middle_limit) == pytest.approx(limits[0], abs=0.005)
    # the mechanism: the restarts' peak lr passes the side minima's limit, not the middle one's
    assert 0.05 < limits[1:].min() and limits[1:].max() < 0.3 < limits[0]


def test_restarts_movie_shows_one_panel_per_schedule(pair):
    movie = lesson08.warm_restarts_movie(pair, frames=3)
    try:
        titles = [ax.get_title() for ax in movie.scene.mains]
        assert titles == list(lesson08.PAIR_LABELS)
        assert movie.figure._suptitle.get_text() == lesson08.restarts_title(pair)
    finally:
        movie.close()


@pytest.fixture(scope="module")
def histories():
    return lesson08.cycle_histories()


def test_cycles_title_holds_on_the_histories(histories):
    title = lesson08.cycles_title(histories)
    one, sgdr = histories.values()
    lr = np.asarray(sgdr["batch_lr"])
    restarts = np.flatnonzero(np.diff(lr) > 0) + 1
    assert restarts.tolist() == [16, 48]  # after 1 and 1 + 2 epochs of 16 batches
    assert "after batches 16, 48" in title and f"restarts at lr {lr[restarts].max():.2g}" in title
    loss = np.asarray(sgdr["batch_loss"])
    epoch_after = [loss[b : b + 16].mean() for b in restarts]
    epoch_before = [loss[b - 16 : b].mean() for b in restarts]
    falling = all(a < b for a, b in zip(epoch_after, epoch_before))
    assert falling == ("keeps falling" in title)
    lr1 = np.asarray(one["batch_lr"])
    assert f"climbs to lr {lr1.max():.2g} by batch {int(np.argmax(lr1))}" in title
    assert f"anneals to {lr1[-1]:.1e}" in title


def test_cycles_figure_marks_every_restart_on_every_panel(histories):
    figure = lesson08.one_cycle_vs_sgdr(histories)
    for ax in figure.axes[:3]:
        marks = [
            line.get_xdata()[0]
            for line in ax.get_lines()
            if line.get_linestyle() == ":" and len(set(line.get_xdata())) == 1
        ]
        assert sorted(marks) == [16, 48]


@pytest.fixture(scope="module")
def snapshots():
    return lesson08.snapshot_results(seeds=3, epochs=200, n_cycles=5)


def test_snapshots_title_holds_on_the_experiments(snapshots):
    title = lesson08.snapshots_title(snapshots)
    for lr_max, result in snapshots.items():
        line = next(part for part in title.split("\n") if f"lr_max {lr_max:g}:" in part)
        ensemble = result.ensemble[-1].mean()
        singles = result.single.mean(axis=1)
        assert f"the ensemble ({ensemble:.3f})" in line
        if "beats every single snapshot" in line:
            assert ensemble > singles.max()
        elif "is below" in line:
            assert ensemble < singles.max()
        else:
            assert abs(ensemble - singles.max()) <= 0.002 + 1e-12


def test_snapshots_figure_has_a_row_per_peak_lr_and_one_legend_outside(snapshots):
    figure = lesson08.snapshot_ensembles(snapshots)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    for lr_max in snapshots:
        assert sum(t.startswith(f"lr_max {lr_max:g}:") for t in titles) == 2
    assert len(figure.legends) == 1
